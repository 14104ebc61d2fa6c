"""tatami: Lean 4 as an environment, from Python.

The C++ extension ``tatami._tatami`` does the work; this package re-exports
it. Importing tatami loads no libtorch (the TorchScript encoder and generator
are loaded through tatami's plugins only when asked for).

    import tatami
    pool = tatami.WorkerPool(["lake", "env", "repl"], project_dir="lean_project")
    env = tatami.Env(pool, max_steps=50)
    obs, info = env.reset(tatami.Theorem("theorem t (n : Nat) : n + 0 = n"))
    obs, reward, terminated, truncated, info = env.step("simp")
"""

from . import _tatami
from ._tatami import *  # noqa: F401,F403
from ._tatami import __version__  # noqa: F401

__all__ = [name for name in dir(_tatami) if not name.startswith("_")]

#: True when this build binds the environment API (Env, VecEnv).
HAS_ENV = hasattr(_tatami, "VecEnv")
