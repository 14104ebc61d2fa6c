#include "tatami/dojo/dojo.h"

#include <atomic>
#include <mutex>
#include <sstream>

#include "tatami/dojo/header.h"
#include "tatami/dojo/lean_file.h"
#include "tatami/dojo/outcome.h"

namespace tatami::dojo {
namespace internal {

// One entered theorem and the worker its proof states live on.
struct TheoremSession {
  std::uint64_t dojo_id = 0;
  // The full name it declares: shown to users, queried with `#print axioms
  // _root_.NAME`, and what Lean's answer must name.
  std::string name;
  std::string source;  // where it came from, for error messages
  ImportHeader header;
  std::string context;             // text elaborated before the statement
  std::string statement;           // up to, excluding, `:=`
  std::size_t statement_line = 1;  // 1-based line of the statement in context + statement

  std::mutex mu;  // serialises everything below and all requests on `lease`
  Lease lease;
};

struct StateNode {
  std::shared_ptr<TheoremSession> theorem;
  std::shared_ptr<StateNode> parent;  // null for the root
  std::string last_tactic;            // the tactic from parent to this state
  std::vector<std::string> path;
  std::vector<std::string> goal_strings;
  std::string pretty;
  std::vector<Goal> goals;
  std::uint64_t dojo_id = 0;
  std::uint64_t id = 0;
  // Where this state lives now; guarded by theorem->mu. A proof state id is
  // only meaningful in the process (generation) that made it.
  std::uint64_t generation = 0;
  std::int64_t proof_state = -1;
};

}  // namespace internal

using internal::StateNode;
using internal::TheoremSession;

// --- TacticState accessors -------------------------------------------------------

namespace {
const StateNode& NodeOf(const std::shared_ptr<StateNode>& node) {
  if (!node) throw std::logic_error("TacticState: empty handle");
  return *node;
}
}  // namespace

const std::string& TacticState::pretty() const { return NodeOf(node_).pretty; }
const std::vector<std::string>& TacticState::goal_strings() const {
  return NodeOf(node_).goal_strings;
}
const std::vector<Goal>& TacticState::goals() const { return NodeOf(node_).goals; }
const std::vector<std::string>& TacticState::path() const { return NodeOf(node_).path; }
const std::string& TacticState::theorem_name() const { return NodeOf(node_).theorem->name; }
std::uint64_t TacticState::dojo_id() const { return NodeOf(node_).dojo_id; }
std::uint64_t TacticState::id() const { return NodeOf(node_).id; }

// --- helpers -------------------------------------------------------------------------

std::string_view ToString(LeanError::Kind kind) {
  switch (kind) {
    case LeanError::kTactic:
      return "tactic";
    case LeanError::kProofRejected:
      return "proof rejected";
    case LeanError::kTacticTooLong:
      return "tactic too long";
    case LeanError::kWorkerFailure:
      return "worker failure";
  }
  return "unknown";
}

std::string Describe(const RunResult& result) {
  std::ostringstream out;
  if (const auto* s = std::get_if<TacticState>(&result)) {
    out << "state " << s->id() << " (" << s->num_goals() << " goal"
        << (s->num_goals() == 1 ? "" : "s") << ")";
  } else if (const auto* f = std::get_if<ProofFinished>(&result)) {
    out << "proof finished (" << f->tactics.size() << " tactics, checked)";
  } else if (const auto* e = std::get_if<LeanError>(&result)) {
    out << "lean error (" << ToString(e->kind) << "): " << e->message;
  } else if (const auto* t = std::get_if<Timeout>(&result)) {
    out << "timeout after " << t->limit.count() << " ms"
        << (t->during_check ? " (completion check)" : "");
  } else if (const auto* g = std::get_if<ProofGivenUp>(&result)) {
    out << "proof given up (uses";
    for (const auto& b : g->banned) out << ' ' << b;
    out << ")";
  }
  return out.str();
}

namespace {

std::atomic<std::uint64_t> next_dojo_id{1};

std::size_t CountLines(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if (c == '\n') ++n;
  return n;
}

std::vector<Goal> ParseGoalsLeniently(const std::vector<std::string>& goals) {
  std::vector<Goal> out;
  for (const std::string& g : goals) {
    try {
      out.push_back(ParseGoal(g));
    } catch (const std::invalid_argument&) {
      Goal whole;
      whole.target = g;
      out.push_back(std::move(whole));
    }
  }
  return out;
}

// Cuts a trailing `:= by sorry`, `:= by` or `:=` off a statement.
std::string StripAssignment(std::string_view statement) {
  std::string s(statement);
  auto rtrim = [&] {
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r'))
      s.pop_back();
  };
  auto strip = [&](std::string_view suffix) {
    rtrim();
    if (s.size() >= suffix.size() &&
        s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
      s.resize(s.size() - suffix.size());
      return true;
    }
    return false;
  };
  strip("sorry");
  strip("by");
  strip(":=");
  rtrim();
  return s;
}

bool IsWorkerFailure(FailureKind kind) { return OriginOf(kind) == FailureOrigin::kWorker; }

}  // namespace

// --- Dojo::Impl ------------------------------------------------------------------

class Dojo::Impl {
 public:
  Impl(std::shared_ptr<WorkerPool> pool, DojoOptions options)
      : pool_(std::move(pool)), options_(std::move(options)), id_(next_dojo_id++) {
    if (!pool_) throw std::invalid_argument("Dojo: pool is null");
  }

  std::uint64_t id() const { return id_; }
  const DojoOptions& options() const { return options_; }
  DojoStats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

  TacticState Enter(std::shared_ptr<TheoremSession> thm) {
    thm->dojo_id = id_;
    thm->statement_line = CountLines(thm->context) + 1;
    auto acquired = pool_->Acquire(thm->header);
    if (auto* err = std::get_if<PoolError>(&acquired))
      throw DojoError("cannot enter theorem '" + thm->name + "' from " + thm->source + ": " +
                      Describe(*err));
    thm->lease = std::move(std::get<Lease>(acquired));

    auto root = std::make_shared<StateNode>();
    root->theorem = thm;
    root->dojo_id = id_;
    root->id = next_state_id_++;
    std::lock_guard lock(thm->mu);
    std::string error;
    for (int attempt = 0;; ++attempt) {
      if (attempt > options_.max_recoveries)
        throw DojoError("cannot enter theorem '" + thm->name + "' from " + thm->source + ": " +
                        error);
      if (thm->lease.broken() && !Restart(*thm, &error)) continue;
      const EnterOutcome e = RunEnter(*thm, root.get());
      if (e.ok) break;
      if (!e.worker_failure)
        throw DojoError("theorem '" + thm->name + "' from " + thm->source +
                        " does not elaborate: " + e.error);
      error = e.error;
    }
    {
      std::lock_guard slock(stats_mu_);
      ++stats_.entered;
    }
    return TacticState(root);
  }

  RunResult RunTac(const TacticState& state, std::string_view tactic) {
    if (!state.node_) throw std::invalid_argument("Dojo::RunTac: empty TacticState");
    if (state.node_->dojo_id != id_)
      throw std::invalid_argument("Dojo::RunTac: state " + std::to_string(state.node_->id) +
                                  " of theorem '" + state.node_->theorem->name +
                                  "' belongs to Dojo " + std::to_string(state.node_->dojo_id) +
                                  ", not to this Dojo " + std::to_string(id_));
    {
      std::lock_guard slock(stats_mu_);
      ++stats_.tactics;
    }
    if (tactic.size() > options_.max_tactic_bytes)
      return LeanError{LeanError::kTacticTooLong,
                       "tactic is " + std::to_string(tactic.size()) +
                           " bytes, longer than the limit of " +
                           std::to_string(options_.max_tactic_bytes),
                       std::nullopt};
    if (auto banned = FindBannedTactics(tactic, options_.proof_check.banned_tactics);
        !banned.empty())
      return ProofGivenUp{std::move(banned)};

    const std::shared_ptr<StateNode>& node = state.node_;
    TheoremSession& thm = *node->theorem;
    std::lock_guard lock(thm.mu);
    std::string last_failure;
    int crashes_in_tactic = 0;
    for (int recoveries = 0;;) {
      if (thm.lease.broken() || thm.lease.NeedsRecycle()) {
        if (recoveries++ >= options_.max_recoveries) return WorkerFailure(last_failure);
        if (!Restart(thm, &last_failure)) continue;
      }
      std::string replay_error;
      bool replay_lean_error = false;
      if (!Ensure(node, &replay_error, &replay_lean_error)) {
        if (replay_lean_error)
          return LeanError{LeanError::kWorkerFailure,
                           "could not re-create the state: " + replay_error, std::nullopt};
        last_failure = replay_error;
        if (!thm.lease.broken()) ForceRestart(thm);
        continue;
      }
      const ReplOutcome out =
          thm.lease.Run({{"tactic", std::string(tactic)}, {"proofState", node->proof_state}},
                        Deadline(options_.tactic_timeout));
      const TacticResult r = InterpretTactic(out);
      if (const auto* adv = std::get_if<TacticAdvanced>(&r)) return MakeChild(node, tactic, *adv);
      if (std::holds_alternative<ProofCompleted>(r) || std::holds_alternative<ProofUnverified>(r))
        return CheckCompletion(node, tactic);
      const auto& failed = std::get<TacticFailed>(r);
      switch (failed.kind) {
        case FailureKind::kTimeout:
          return Timeout{std::get<ReplTimeout>(out).deadline, false};
        case FailureKind::kCrash:
        case FailureKind::kProtocolError:
          last_failure = failed.reason;
          if (++crashes_in_tactic > 1) return WorkerFailure(last_failure);
          continue;
        case FailureKind::kRejected:
        case FailureKind::kUnknownProofState:
          last_failure = failed.reason;
          if (recoveries++ >= options_.max_recoveries) return WorkerFailure(last_failure);
          if (!thm.lease.broken()) ForceRestart(thm);
          continue;
        case FailureKind::kProofRejected:
          return LeanError{LeanError::kProofRejected, failed.reason, std::nullopt};
        default:
          return LeanError{LeanError::kTactic, failed.reason, std::nullopt};
      }
    }
  }

 private:
  struct EnterOutcome {
    bool ok = false;
    bool worker_failure = false;
    std::string error;
  };

  std::optional<std::chrono::milliseconds> Deadline(std::chrono::milliseconds d) const {
    if (d.count() > 0) return d;
    return std::nullopt;
  }

  LeanError WorkerFailure(const std::string& why) const {
    return LeanError{LeanError::kWorkerFailure,
                     "the worker kept failing (gave up after " +
                         std::to_string(options_.max_recoveries) + " restarts): " + why,
                     std::nullopt};
  }

  void CountRecovery() {
    std::lock_guard slock(stats_mu_);
    ++stats_.recoveries;
  }

  // Restarts the theorem's worker process (its states must then be replayed).
  bool Restart(TheoremSession& thm, std::string* error) {
    CountRecovery();
    if (auto err = thm.lease.Restart()) {
      *error = Describe(*err);
      return false;
    }
    return true;
  }
  void ForceRestart(TheoremSession& thm) {
    std::string ignored;
    Restart(thm, &ignored);
  }

  // Elaborates context + statement + `:= by sorry` and records the root's
  // proof state (the last sorry: earlier ones belong to the context).
  EnterOutcome RunEnter(TheoremSession& thm, StateNode* root) {
    const std::string cmd = thm.context + thm.statement + " := by sorry";
    const ReplOutcome out = thm.lease.Run({{"cmd", cmd}}, Deadline(options_.check_timeout));
    const CommandResult r = InterpretCommand(out);
    if (const auto* f = std::get_if<CommandFailed>(&r))
      return {false, IsWorkerFailure(f->kind) || f->kind == FailureKind::kUnknownEnvironment,
              f->reason};
    const auto& ok = std::get<CommandSucceeded>(r);
    if (ok.verdict == CommandVerdict::kErrors) {
      for (const auto& m : ok.response.messages_or_empty())
        if (m.is_error())
          return {false, false,
                  m.data + " (line " + std::to_string(m.pos.line) + " of the elaborated text)"};
    }
    const protocol::Sorry* last = nullptr;
    for (const auto& s : ok.response.sorries_or_empty())
      if (s.proof_state.has_value()) last = &s;
    if (!last)
      return {false, false, "Lean reported no proof state for the statement (is it a theorem?)"};
    root->generation = thm.lease.generation();
    root->proof_state = *last->proof_state;
    if (root->goal_strings.empty() && root->pretty.empty()) {
      root->goal_strings = SplitGoals(last->goal);
      root->pretty = JoinGoals(root->goal_strings);
      root->goals = ParseGoalsLeniently(root->goal_strings);
    }
    return {true, false, ""};
  }

  // Makes `node`'s proof state exist in the current worker process, replaying
  // from the nearest state that does. Caller holds the theorem's mutex.
  bool Ensure(const std::shared_ptr<StateNode>& node, std::string* error, bool* lean_error) {
    TheoremSession& thm = *node->theorem;
    const std::uint64_t gen = thm.lease.generation();
    std::vector<StateNode*> chain;
    StateNode* n = node.get();
    while (n && !(n->generation == gen && n->proof_state >= 0)) {
      chain.push_back(n);
      n = n->parent.get();
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      StateNode* s = *it;
      if (!s->parent) {
        const EnterOutcome e = RunEnter(thm, s);
        if (!e.ok) {
          *error = "re-entering the theorem: " + e.error;
          *lean_error = !e.worker_failure;
          return false;
        }
        continue;
      }
      {
        std::lock_guard slock(stats_mu_);
        ++stats_.replayed;
      }
      const ReplOutcome out =
          thm.lease.Run({{"tactic", s->last_tactic}, {"proofState", s->parent->proof_state}},
                        Deadline(options_.tactic_timeout));
      const TacticResult r = InterpretTactic(out);
      if (const auto* adv = std::get_if<TacticAdvanced>(&r)) {
        s->generation = thm.lease.generation();
        s->proof_state = adv->proof_state;
        continue;
      }
      if (const auto* f = std::get_if<TacticFailed>(&r)) {
        *error = "replaying `" + s->last_tactic + "`: " + f->reason;
        *lean_error = !(IsWorkerFailure(f->kind) || f->kind == FailureKind::kUnknownProofState);
      } else {
        *error = "replaying `" + s->last_tactic + "` closed the goals it left open before";
        *lean_error = true;
      }
      return false;
    }
    return true;
  }

  TacticState MakeChild(const std::shared_ptr<StateNode>& parent, std::string_view tactic,
                        const TacticAdvanced& adv) {
    auto child = std::make_shared<StateNode>();
    child->theorem = parent->theorem;
    child->parent = parent;
    child->last_tactic = std::string(tactic);
    child->path = parent->path;
    child->path.push_back(child->last_tactic);
    child->goal_strings = adv.goals;
    child->pretty = JoinGoals(adv.goals);
    child->goals = ParseGoalsLeniently(adv.goals);
    child->dojo_id = id_;
    child->id = next_state_id_++;
    child->generation = parent->theorem->lease.generation();
    child->proof_state = adv.proof_state;
    return TacticState(child);
  }

  // The goals are gone: elaborate the whole theorem again from scratch.
  RunResult CheckCompletion(const std::shared_ptr<StateNode>& node, std::string_view tactic) {
    TheoremSession& thm = *node->theorem;
    std::vector<std::string> tactics = node->path;
    tactics.emplace_back(tactic);
    const std::string proof = SpliceProof(thm.statement, tactics, thm.name);
    const std::string code = thm.context + proof;
    {
      std::lock_guard slock(stats_mu_);
      ++stats_.checks;
    }
    ProofVerdict v;
    for (int attempt = 0;; ++attempt) {
      if (thm.lease.broken()) {
        std::string why;
        if (!Restart(thm, &why)) {
          if (attempt >= options_.max_recoveries) return WorkerFailure(why);
          continue;
        }
      }
      const ReplOutcome out = thm.lease.Run({{"cmd", code}}, Deadline(options_.check_timeout));
      v = JudgeProof(proof, out, thm.name, options_.proof_check, thm.statement_line);
      if (v.timed_out) return Timeout{std::get<ReplTimeout>(out).deadline, true};
      if (!RetryOnFreshWorker(out)) break;
      if (attempt >= options_.max_recoveries) return WorkerFailure(v.reason);
    }
    if (!v.ok) {
      std::string message =
          "completion check failed (" + std::string(ToString(v.failed)) + "): " + v.reason;
      return LeanError{LeanError::kProofRejected, std::move(message), std::move(v)};
    }
    return ProofFinished{std::move(tactics), code, std::move(v)};
  }

  std::shared_ptr<WorkerPool> pool_;
  DojoOptions options_;
  std::uint64_t id_;
  std::atomic<std::uint64_t> next_state_id_{1};
  mutable std::mutex stats_mu_;
  DojoStats stats_;
};

// --- Dojo ----------------------------------------------------------------------------

Dojo::Dojo(std::shared_ptr<WorkerPool> pool, DojoOptions options)
    : impl_(std::make_shared<Impl>(std::move(pool), std::move(options))) {}
Dojo::~Dojo() = default;

TacticState Dojo::EnterFromFile(const std::filesystem::path& path, std::string_view name) {
  TheoremSource src;
  try {
    src = LoadTheorem(path, name);
  } catch (const std::exception& e) {
    throw DojoError(e.what());
  }
  auto thm = std::make_shared<TheoremSession>();
  thm->name = src.full_name;
  thm->source = path.string() + ":" + std::to_string(src.line);
  try {
    thm->header = src.header.empty() ? ImportHeader{} : ParseHeader(src.header);
  } catch (const std::invalid_argument& e) {
    throw DojoError("bad import header in " + path.string() + ": " + e.what());
  }
  thm->context = src.context;
  thm->statement = src.statement;
  return impl_->Enter(std::move(thm));
}

TacticState Dojo::Enter(std::string_view header, std::string_view statement) {
  auto thm = std::make_shared<TheoremSession>();
  SplitSnippet split;
  try {
    split = SplitHeader(header);
  } catch (const std::invalid_argument& e) {
    throw DojoError(std::string("bad import header: ") + e.what());
  }
  thm->header = split.header;
  thm->context = split.body;
  if (!thm->context.empty() && thm->context.back() != '\n') thm->context += '\n';
  thm->statement = StripAssignment(statement);
  // The statement alone must declare one theorem; read it after the context
  // too, so that a `namespace` opened there is part of its full name.
  if (ListTheorems(thm->statement + " := sorry").size() != 1) {
    std::string shown(statement.substr(0, 120));
    throw DojoError("statement \"" + shown +
                    "\" does not declare a named theorem (expected `theorem NAME ...`)");
  }
  const auto found = ListTheorems(thm->context + thm->statement + " := sorry");
  thm->name = found.empty() ? std::string() : found.back().full_name;
  thm->source = "the given statement";
  return impl_->Enter(std::move(thm));
}

RunResult Dojo::RunTac(const TacticState& state, std::string_view tactic) {
  return impl_->RunTac(state, tactic);
}
std::uint64_t Dojo::id() const { return impl_->id(); }
DojoStats Dojo::stats() const { return impl_->stats(); }
const DojoOptions& Dojo::options() const { return impl_->options(); }

}  // namespace tatami::dojo
