"""Type stubs of the tatami extension module (tatami._tatami)."""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = Union[str, os.PathLike[str]]

class DojoError(RuntimeError):
    """A theorem could not be entered (file, name, statement or header); names the input."""

class NoLeanError(DojoError):
    """No Lean to enter a theorem in: the worker process could not be started, or the pool is
    full or shutting down. Not the theorem's fault; another theorem would fail the same way."""

class ConfigError(ValueError):
    """A bad configuration file or TATAMI_* variable; names the key and the source."""

class GeneratorSpecError(ValueError):
    """A generator spec names no generator, or one this build lacks."""

class IndexFileError(OSError):
    """A premise index file that cannot be used (missing, truncated, corrupt, other version)."""

class CorpusError(ValueError):
    """A corpus file that cannot be read or parsed; names the file and line."""

class EncoderError(RuntimeError):
    """The encoder plugin or model cannot be loaded, or the model broke its contract."""

# --- goals and states -------------------------------------------------------

class Hypothesis:
    """One line group of a goal's local context (``a b : Nat``)."""

    @property
    def names(self) -> list[str]: ...
    @property
    def type(self) -> str: ...
    @property
    def type_on_new_line(self) -> bool: ...

class Goal:
    """One goal split into case tag, hypotheses and target; ``pretty`` is Lean's text."""

    @property
    def case_tag(self) -> Optional[str]: ...
    @property
    def hypotheses(self) -> list[Hypothesis]: ...
    @property
    def target(self) -> str: ...
    @property
    def pretty(self) -> str: ...

def parse_goal(text: str) -> Goal:
    """Splits one pretty-printed goal; ValueError if it has no ``⊢`` line."""

class TacticState:
    """An immutable handle on one proof state; usable across worker crashes."""

    @property
    def pretty(self) -> str: ...
    @property
    def goals(self) -> list[Goal]: ...
    @property
    def goal_strings(self) -> list[str]: ...
    @property
    def num_goals(self) -> int: ...
    @property
    def path(self) -> list[str]: ...
    @property
    def theorem_name(self) -> str: ...
    @property
    def id(self) -> int: ...
    @property
    def dojo_id(self) -> int: ...
    def __hash__(self) -> int: ...

# --- typed results of a tactic ---------------------------------------------

class ProofVerdict:
    """The whole-proof check's verdict. ``failed``: none, banned_tactic, not_checked,
    lean_error, sorry, axioms_unknown or axioms."""

    @property
    def ok(self) -> bool: ...
    @property
    def failed(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def axioms(self) -> list[str]: ...
    @property
    def messages(self) -> list[dict]: ...
    @property
    def banned(self) -> list[str]: ...
    @property
    def timed_out(self) -> bool: ...

class ProofFinished:
    """The last goal is closed and the whole proof passed the check."""

    @property
    def tactics(self) -> list[str]: ...
    @property
    def checked_code(self) -> str: ...
    @property
    def verdict(self) -> ProofVerdict: ...

class LeanError:
    """``kind``: tactic, proof_rejected, tactic_too_long or worker_failure."""

    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def verdict(self) -> Optional[ProofVerdict]: ...

class Timeout:
    """The tactic (or, with ``during_check``, the completion check) ran out of time."""

    @property
    def limit(self) -> float: ...
    @property
    def during_check(self) -> bool: ...

class ProofGivenUp:
    """The tactic uses a banned tactic (sorry, admit, native_decide); not sent to Lean."""

    @property
    def banned(self) -> list[str]: ...

RunResult = Union[TacticState, ProofFinished, LeanError, Timeout, ProofGivenUp]

# --- the pool and the Dojo ---------------------------------------------------

class WorkerPool:
    """Warm REPL processes keyed by import header. Thread-safe.

    When the last reference goes, it kills and reaps every worker with the
    GIL released.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        project_dir: PathLike = "",
        workers: int = 0,
        request_timeout: float = 60.0,
        startup_timeout: float = 600.0,
        memory_limit: int = 0,
        max_proof_states: int = 0,
        recycle_rss: int = 0,
        environment: dict[str, str] = {},
    ) -> None: ...
    @staticmethod
    def from_config(config_file: Optional[PathLike] = None) -> WorkerPool: ...
    @property
    def size(self) -> int: ...
    def stats(self) -> dict[str, int]: ...

class Dojo:
    """Theorem-level interaction. Thread-safe; blocking calls release the GIL."""

    def __init__(
        self,
        pool: WorkerPool,
        *,
        max_tactic_bytes: int = 4096,
        tactic_timeout: float = 0.0,
        check_timeout: float = 0.0,
        max_recoveries: int = 4,
        allowed_axioms: Optional[Sequence[str]] = None,
        banned_tactics: Optional[Sequence[str]] = None,
    ) -> None: ...
    def enter(self, header: str, statement: str) -> TacticState: ...
    def enter_file(self, path: PathLike, name: str) -> TacticState: ...
    def run_tac(self, state: TacticState, tactic: str) -> RunResult: ...
    def run_tacs(self, requests: list[tuple[TacticState, str]]) -> list[RunResult]: ...
    @property
    def id(self) -> int: ...
    def stats(self) -> dict[str, int]: ...

# --- checking snippets --------------------------------------------------------

class CheckResult:
    """``outcome``: ok, lean_error, sorry, axioms, banned_tactic, timeout, crash,
    repl_error, import_failed, import_timeout or not_run."""

    @property
    def ok(self) -> bool: ...
    @property
    def outcome(self) -> str: ...
    @property
    def messages(self) -> list[dict]: ...
    @property
    def sorries(self) -> list[dict]: ...
    @property
    def time_s(self) -> float: ...
    @property
    def verdict(self) -> Optional[ProofVerdict]: ...

def check(
    pool: WorkerPool,
    code: str,
    *,
    timeout: Optional[float] = None,
    allowed_axioms: Optional[Sequence[str]] = None,
    banned_tactics: Optional[Sequence[str]] = None,
) -> CheckResult: ...
def check_many(
    pool: WorkerPool,
    codes: Sequence[str],
    *,
    timeout: Optional[float] = None,
    allowed_axioms: Optional[Sequence[str]] = None,
    banned_tactics: Optional[Sequence[str]] = None,
) -> list[CheckResult]:
    """Checks the snippets in parallel; results in input order.

    Ctrl-C raises KeyboardInterrupt while waiting (check too); the snippets
    already submitted still run in the pool and their results are dropped.
    """

# --- proof search -------------------------------------------------------------

class GenerationRequest:
    def __init__(self, state: str, premises: Sequence[str] = ..., num_candidates: int = 64) -> None: ...
    @property
    def state(self) -> str: ...
    @property
    def premises(self) -> list[str]: ...
    @property
    def num_candidates(self) -> int: ...

class Candidate:
    def __init__(self, tactic: str, logprob: float = 0.0) -> None: ...
    @property
    def tactic(self) -> str: ...
    @property
    def logprob(self) -> float: ...

class TacticGenerator:
    """A C++ tactic generator (make_generator). Thread-safe."""

    def generate(self, batch: Sequence[GenerationRequest]) -> list[list[Candidate]]: ...
    def describe(self) -> str: ...

def make_generator(spec: str) -> TacticGenerator: ...

CandidateLike = Union[Candidate, Tuple[str, float], str]
PythonGenerator = Callable[[list[GenerationRequest]], Sequence[Sequence[CandidateLike]]]

class SearchResult:
    """``status``: proved, failed or open (a limit was reached)."""

    @property
    def status(self) -> str: ...
    @property
    def proof(self) -> Optional[list[str]]: ...
    @property
    def expansions(self) -> int: ...
    @property
    def states(self) -> int: ...
    @property
    def generator_s(self) -> float: ...
    @property
    def lean_s(self) -> float: ...
    @property
    def total_s(self) -> float: ...

def prove(
    dojo: Dojo,
    state: TacticState,
    generator: Union[str, TacticGenerator, PythonGenerator],
    *,
    num_tactics: int = 64,
    timeout: float = 600.0,
    max_expansions: int = 0,
) -> SearchResult:
    """Best-first search from an entered theorem's root.

    The search runs on a thread of its own; the calling thread waits without
    the GIL and runs Python's signal handlers every 50 ms. Ctrl-C (any
    exception a signal handler raises) cancels the search after its current
    expansion (the tactics already sent to Lean finish first) and is raised
    as KeyboardInterrupt once the search has stopped; the partial result is
    dropped.
    """

def prove_many(
    dojo: Dojo,
    states: Sequence[TacticState],
    generator: Union[str, TacticGenerator, PythonGenerator],
    *,
    num_tactics: int = 64,
    timeout: float = 600.0,
    max_expansions: int = 0,
    max_batch: int = 16,
    max_wait: float = 0.005,
) -> list[SearchResult]:
    """Searches every theorem at once; the generator gets batches across searches.

    Ctrl-C cancels every search after its current expansion and is raised as
    KeyboardInterrupt once all have stopped, as for prove.
    """

# --- premise retrieval ----------------------------------------------------------

def write_index(
    path: PathLike,
    corpus: PathLike,
    embeddings: npt.ArrayLike,
    *,
    encoder_fingerprint: str = "",
    dtype: str = "f32",
) -> None:
    """Writes a premise index for a LeanDojo corpus from its premises' embeddings."""

class PremiseIndex:
    def __init__(
        self, path: PathLike, *, verify_checksum: bool = False, load_into_memory: bool = False
    ) -> None: ...
    def __len__(self) -> int: ...
    @property
    def embeddings_loaded(self) -> bool: ...
    @property
    def dim(self) -> int: ...
    @property
    def encoder_fingerprint(self) -> str: ...
    def premise(self, i: int) -> dict: ...

class PremiseRetriever:
    def __init__(self, index: PremiseIndex, *, threads: int = 0) -> None: ...
    def retrieve(
        self, embedding: npt.ArrayLike, file: str, line: int, column: int, k: int = 100
    ) -> list[Tuple[int, float]]: ...

class Encoder:
    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...
    @property
    def dim(self) -> int: ...
    @property
    def fingerprint(self) -> str: ...
    def describe(self) -> str: ...

def load_encoder(model: PathLike, *, num_threads: int = 0) -> Encoder: ...

# --- environments (present when tatami.HAS_ENV) -----------------------------------

class RewardOptions:
    """reward = proof (checked proof) + failure (failed tactic) + goal_closed * goals
    closed - step_penalty."""

    proof: float
    step_penalty: float
    goal_closed: float
    failure: float
    def __init__(
        self, *, proof: float = 1.0, step_penalty: float = 0.0, goal_closed: float = 0.0,
        failure: float = 0.0
    ) -> None: ...

class Theorem:
    def __init__(self, statement: str, header: str = "", name: str = "") -> None: ...
    @staticmethod
    def from_file(file: PathLike, name: str) -> Theorem: ...
    @staticmethod
    def from_json_line(line: str) -> Theorem: ...
    @property
    def file(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def header(self) -> str: ...
    @property
    def statement(self) -> str: ...

class Observation:
    @property
    def handle(self) -> int: ...
    @property
    def state(self) -> Optional[TacticState]: ...
    @property
    def pretty(self) -> str: ...
    @property
    def goal_strings(self) -> list[str]: ...
    @property
    def goals(self) -> list[Goal]: ...
    @property
    def num_goals(self) -> int: ...
    @property
    def path(self) -> list[str]: ...
    @property
    def theorem_name(self) -> str: ...

# info keys: outcome (state, proof_finished, tactic_error, proof_rejected,
# tactic_too_long, worker_failure, timeout, proof_given_up), message, proof,
# verdict, goals_closed, episode_steps, elapsed, result (RunResult), and
# final_observation (VecEnv with auto_reset, on the step that ended an episode).
StepTuple = Tuple[Observation, float, bool, bool, dict]
TheoremLike = Union[Theorem, str]

class Env:
    """One theorem as an RL environment. Not thread-safe.

    Deleted (``del``, garbage collection) with the GIL released.
    """

    def __init__(
        self,
        pool: Union[WorkerPool, Dojo],
        *,
        max_steps: int = 0,
        step_timeout: float = 0.0,
        episode_timeout: float = 0.0,
        terminate_on: Sequence[str] = (),
        reward: Optional[RewardOptions] = None,
    ) -> None: ...
    def reset(self, theorem: Optional[TheoremLike] = None) -> Tuple[Observation, dict]: ...
    def step(self, action: str) -> StepTuple: ...
    def step_from(self, state: Union[int, Observation, TacticState], action: str) -> StepTuple: ...
    def close(self) -> None: ...
    @property
    def episode_active(self) -> bool: ...
    @property
    def episode_steps(self) -> int: ...
    @property
    def observation(self) -> Observation: ...
    @property
    def theorem(self) -> Optional[Theorem]: ...
    @property
    def dojo(self) -> Dojo: ...
    def __enter__(self) -> Env: ...
    def __exit__(self, *args: object) -> None: ...

VecStepTuple = Tuple[list[Observation], list[float], list[bool], list[bool], list[dict]]

class VecEnv:
    """N environments stepped together over the pool. Not thread-safe.

    Deleting it (``del``, garbage collection) waits for a step in flight and
    joins its threads with the GIL released: other Python threads run on.
    """

    def __init__(
        self,
        pool: WorkerPool,
        num_envs: int,
        *,
        auto_reset: bool = False,
        max_steps: int = 0,
        step_timeout: float = 0.0,
        episode_timeout: float = 0.0,
        terminate_on: Sequence[str] = (),
        reward: Optional[RewardOptions] = None,
    ) -> None: ...
    def __len__(self) -> int: ...
    @property
    def num_envs(self) -> int: ...
    def reset(
        self, theorems: Union[TheoremLike, Iterable[TheoremLike]]
    ) -> Tuple[list[Observation], list[dict]]: ...
    def step_async(self, actions: Sequence[str]) -> None: ...
    def step_wait(self) -> VecStepTuple: ...
    def step(self, actions: Sequence[str]) -> VecStepTuple: ...
    def step_from(self, handles: Sequence[int], actions: Sequence[str]) -> VecStepTuple: ...
    def step_from_async(self, handles: Sequence[int], actions: Sequence[str]) -> None: ...
    @property
    def pending(self) -> bool: ...
    @property
    def dojo(self) -> Dojo: ...
