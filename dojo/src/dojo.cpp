#include "tatami/dojo/dojo.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

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
  std::vector<std::string> goal_strings;
  std::string pretty;
  // Made on first use (PathOf, GoalsOf): a search keys most of the states it
  // makes by `pretty` alone, and copying the path and parsing the goals of
  // each was most of the Dojo's own work per tactic.
  mutable std::once_flag path_once, goals_once;
  mutable std::vector<std::string> path;
  mutable std::vector<Goal> goals;
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

namespace {

std::vector<Goal> ParseGoalsLeniently(const std::vector<std::string>& goals) {
  std::vector<Goal> out;
  out.reserve(goals.size());
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

// The tactics from the theorem's root to `node`.
const std::vector<std::string>& PathOf(const StateNode& node) {
  std::call_once(node.path_once, [&] {
    std::size_t depth = 0;
    for (const StateNode* s = &node; s->parent; s = s->parent.get()) ++depth;
    node.path.resize(depth);
    for (const StateNode* s = &node; s->parent; s = s->parent.get())
      node.path[--depth] = s->last_tactic;
  });
  return node.path;
}

const std::vector<Goal>& GoalsOf(const StateNode& node) {
  std::call_once(node.goals_once, [&] { node.goals = ParseGoalsLeniently(node.goal_strings); });
  return node.goals;
}

}  // namespace

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
const std::vector<Goal>& TacticState::goals() const { return GoalsOf(NodeOf(node_)); }
const std::vector<std::string>& TacticState::path() const { return PathOf(NodeOf(node_)); }
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

RunResultKind KindOf(const RunResult& result) {
  if (const auto* e = std::get_if<LeanError>(&result)) {
    switch (e->kind) {
      case LeanError::kTactic:
        return RunResultKind::kTacticError;
      case LeanError::kProofRejected:
        return RunResultKind::kProofRejected;
      case LeanError::kTacticTooLong:
        return RunResultKind::kTacticTooLong;
      case LeanError::kWorkerFailure:
        return RunResultKind::kWorkerFailure;
    }
    throw std::logic_error("KindOf: unknown LeanError kind");
  }
  if (std::holds_alternative<TacticState>(result)) return RunResultKind::kState;
  if (std::holds_alternative<ProofFinished>(result)) return RunResultKind::kProofFinished;
  if (std::holds_alternative<Timeout>(result)) return RunResultKind::kTimeout;
  return RunResultKind::kProofGivenUp;
}

// Plain concatenation: a search describes every failed tactic, and a string
// stream's set-up (its locale) cost more than the text.
std::string Describe(const RunResult& result) {
  std::string out;
  if (const auto* s = std::get_if<TacticState>(&result)) {
    out = "state " + std::to_string(s->id()) + " (" + std::to_string(s->num_goals()) + " goal" +
          (s->num_goals() == 1 ? "" : "s") + ")";
  } else if (const auto* f = std::get_if<ProofFinished>(&result)) {
    out = "proof finished (" + std::to_string(f->tactics.size()) + " tactics, checked)";
  } else if (const auto* e = std::get_if<LeanError>(&result)) {
    out = "lean error (";
    out += ToString(e->kind);
    out += "): ";
    out += e->message;
  } else if (const auto* t = std::get_if<Timeout>(&result)) {
    out = "timeout after " + std::to_string(t->limit.count()) + " ms" +
          (t->during_check ? " (completion check)" : "");
  } else if (const auto* g = std::get_if<ProofGivenUp>(&result)) {
    out = "proof given up (uses";
    for (const auto& b : g->banned) {
      out += ' ';
      out += b;
    }
    out += ")";
  }
  return out;
}

namespace {

std::atomic<std::uint64_t> next_dojo_id{1};

nlohmann::json TacticBody(std::string_view tactic, std::int64_t proof_state) {
  return protocol::ToJson(protocol::ProofStepRequest{proof_state, std::string(tactic), {}});
}

std::size_t CountLines(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if (c == '\n') ++n;
  return n;
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
    if (auto* err = std::get_if<PoolError>(&acquired)) {
      // A header whose imports fail is the theorem's; the rest is the pool's.
      const bool theorem =
          err->kind == PoolError::kImportFailed || err->kind == PoolError::kImportTimeout;
      throw DojoError(
          "cannot enter theorem '" + thm->name + "' from " + thm->source + ": " + Describe(*err),
          theorem ? DojoError::kTheorem : DojoError::kNoLean);
    }
    thm->lease = std::move(std::get<Lease>(acquired));

    auto root = std::make_shared<StateNode>();
    root->theorem = thm;
    root->dojo_id = id_;
    root->id = next_state_id_++;
    std::lock_guard lock(thm->mu);
    std::string error;
    // Whether the last attempt failed to start a worker at all (no Lean), or
    // Lean died on the statement (the theorem's).
    bool no_worker = false;
    for (int attempt = 0;; ++attempt) {
      if (attempt > options_.max_recoveries)
        throw DojoError(
            "cannot enter theorem '" + thm->name + "' from " + thm->source + ": " + error,
            no_worker ? DojoError::kNoLean : DojoError::kTheorem);
      no_worker = thm->lease.broken() && !Restart(*thm, &error);
      if (no_worker) continue;
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
    CheckState(state, "Dojo::RunTac");
    CountTactics(1);
    if (auto refused = Refuse(tactic)) return std::move(*refused);
    TheoremSession& thm = *state.node_->theorem;
    std::lock_guard lock(thm.mu);
    return RunTacLocked(state.node_, tactic, 0);
  }

  // The batch of Dojo::StartTactics: each tactic is sent at once if its
  // state lives in its worker's current process (the usual case); the rest,
  // and any whose worker died under the batch, run afterwards as RunTac runs
  // them (restart, replay, retry), so each result is the one RunTac gives.
  struct Batch {
    struct Item {
      std::shared_ptr<StateNode> node;
      std::string tactic;
      std::optional<RunResult> result;  // final
      bool sent = false;
      std::uint64_t generation = 0;  // of the process the tactic went to
      std::optional<ReplOutcome> outcome;
      std::string proof, code;  // the completion check's, when the goals are gone
    };
    // Not the Dojo: the callbacks of its requests hold the batch, and may
    // drop it last, in the pool's handlers, where ending the Dojo (and with it
    // perhaps the pool) would make the thread join itself.
    std::vector<Item> items;
    std::mutex mu;
    std::condition_variable answered;
    std::size_t outstanding = 0;  // requests sent and not answered, guarded by mu
  };

  std::shared_ptr<Batch> StartTactics(const std::vector<TacticRequest>& requests) {
    for (const TacticRequest& r : requests) CheckState(r.state, "Dojo::StartTactics");
    CountTactics(requests.size());
    auto batch = std::make_shared<Batch>();
    batch->items.resize(requests.size());
    // Per theorem, its requests in order, for one RunAllAsync each.
    Groups groups;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      Batch::Item& item = batch->items[i];
      item.node = requests[i].state.node_;
      item.tactic = requests[i].tactic;
      if (auto refused = Refuse(item.tactic)) {
        item.result = std::move(*refused);
        continue;
      }
      AddToGroup(groups, item.node->theorem.get(), i);
    }
    for (auto& [thm, indices] : groups) {
      std::vector<nlohmann::json> bodies;
      std::vector<std::size_t> sent;
      {
        std::lock_guard lock(thm->mu);
        if (thm->lease.broken() || thm->lease.NeedsRecycle()) continue;
        const std::uint64_t generation = thm->lease.generation();
        for (std::size_t i : indices) {
          Batch::Item& item = batch->items[i];
          if (item.node->generation != generation || item.node->proof_state < 0) continue;
          item.sent = true;
          item.generation = generation;
          bodies.push_back(TacticBody(item.tactic, item.node->proof_state));
          sent.push_back(i);
        }
        if (sent.empty()) continue;
        {
          std::lock_guard block(batch->mu);
          batch->outstanding += sent.size();
        }
        thm->lease.RunAllAsync(std::move(bodies), Recorder(batch, std::move(sent)),
                               Deadline(options_.tactic_timeout));
      }
    }
    return batch;
  }

  std::vector<RunResult> FinishTactics(const std::shared_ptr<Batch>& shared) {
    Batch& batch = *shared;
    AwaitAnswers(batch);
    std::vector<std::size_t> checks;
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
      Batch::Item& item = batch.items[i];
      if (!item.sent) continue;
      const ReplOutcome& out = *item.outcome;
      TacticResult r = InterpretTactic(out);
      if (auto* adv = std::get_if<TacticAdvanced>(&r)) {
        item.result = MakeChild(item.node, item.tactic, std::move(*adv), item.generation);
      } else if (std::holds_alternative<ProofCompleted>(r) ||
                 std::holds_alternative<ProofUnverified>(r)) {
        checks.push_back(i);
      } else {
        const auto& failed = std::get<TacticFailed>(r);
        switch (failed.kind) {
          case FailureKind::kTimeout:
            item.result = Timeout{std::get<ReplTimeout>(out).deadline, false};
            break;
          case FailureKind::kCrash:
          case FailureKind::kProtocolError:
          case FailureKind::kRejected:
          case FailureKind::kUnknownProofState: {
            // The worker died under the batch: run it again as RunTac
            // would. One crash of the tactic itself counts, as in RunTac;
            // one it never reached does not.
            const bool crashed = (std::holds_alternative<ReplCrash>(out) ||
                                  std::holds_alternative<ReplProtocolError>(out)) &&
                                 !NeverRan(out);
            TheoremSession& thm = *item.node->theorem;
            std::lock_guard lock(thm.mu);
            item.result = RunTacLocked(item.node, item.tactic, crashed ? 1 : 0);
            break;
          }
          case FailureKind::kProofRejected:
            item.result = LeanError{LeanError::kProofRejected, failed.reason, std::nullopt};
            break;
          default:
            item.result = LeanError{LeanError::kTactic, failed.reason, std::nullopt};
        }
      }
    }
    RunChecks(shared, checks);
    // Requests never sent (their state must be re-created first).
    std::vector<RunResult> results;
    results.reserve(batch.items.size());
    for (Batch::Item& item : batch.items) {
      if (!item.result) {
        TheoremSession& thm = *item.node->theorem;
        std::lock_guard lock(thm.mu);
        item.result = RunTacLocked(item.node, item.tactic, 0);
      }
      results.push_back(std::move(*item.result));
    }
    return results;
  }

 private:
  struct EnterOutcome {
    bool ok = false;
    bool worker_failure = false;
    std::string error;
  };

  void CheckState(const TacticState& state, const char* what) const {
    if (!state.node_) throw std::invalid_argument(std::string(what) + ": empty TacticState");
    if (state.node_->dojo_id != id_)
      throw std::invalid_argument(std::string(what) + ": state " + std::to_string(state.node_->id) +
                                  " of theorem '" + state.node_->theorem->name +
                                  "' belongs to Dojo " + std::to_string(state.node_->dojo_id) +
                                  ", not to this Dojo " + std::to_string(id_));
  }

  void CountTactics(std::size_t n) {
    std::lock_guard slock(stats_mu_);
    stats_.tactics += n;
  }

  // The answer for a tactic that is never sent to Lean, if it is one.
  std::optional<RunResult> Refuse(std::string_view tactic) const {
    if (tactic.size() > options_.max_tactic_bytes)
      return LeanError{LeanError::kTacticTooLong,
                       "tactic is " + std::to_string(tactic.size()) +
                           " bytes, longer than the limit of " +
                           std::to_string(options_.max_tactic_bytes),
                       std::nullopt};
    if (auto banned = FindBannedTactics(tactic, options_.proof_check.banned_tactics);
        !banned.empty())
      return ProofGivenUp{std::move(banned)};
    return std::nullopt;
  }

  // RunTac's work once the tactic may go to Lean; the caller holds the
  // theorem's mutex. `crashes_in_tactic`: crashes of this tactic already
  // seen (a batch's attempt).
  RunResult RunTacLocked(const std::shared_ptr<StateNode>& node, std::string_view tactic,
                         int crashes_in_tactic) {
    TheoremSession& thm = *node->theorem;
    std::string last_failure;
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
          thm.lease.Run(TacticBody(tactic, node->proof_state), Deadline(options_.tactic_timeout));
      TacticResult r = InterpretTactic(out);
      if (auto* adv = std::get_if<TacticAdvanced>(&r))
        return MakeChild(node, tactic, std::move(*adv), thm.lease.generation());
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

  // A batch's requests per theorem, in request order: one RunAllAsync each.
  using Groups = std::vector<std::pair<TheoremSession*, std::vector<std::size_t>>>;
  static void AddToGroup(Groups& groups, TheoremSession* thm, std::size_t item) {
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const auto& group) { return group.first == thm; });
    if (g == groups.end()) {
      groups.emplace_back(thm, std::vector<std::size_t>{});
      g = std::prev(groups.end());
    }
    g->second.push_back(item);
  }

  // The callback of a RunAllAsync whose k-th request is batch item
  // items[k]: it records the outcome and wakes the waiter after the last.
  // It holds the batch, since the notification comes after the unlock, when
  // the waiter may already be gone (and the waiter then wakes to a free mutex).
  static Lease::IndexedCallback Recorder(std::shared_ptr<Batch> batch,
                                         std::vector<std::size_t> items) {
    return
        [batch = std::move(batch), items = std::move(items)](std::size_t k, ReplOutcome outcome) {
          bool last;
          {
            std::lock_guard block(batch->mu);
            batch->items[items[k]].outcome = std::move(outcome);
            last = --batch->outstanding == 0;
          }
          if (last) batch->answered.notify_all();
        };
  }

  // Through the pool, so that a lone searching thread runs the I/O itself.
  void AwaitAnswers(Batch& batch) {
    pool_->Await(
        [&] {
          std::lock_guard block(batch.mu);
          return batch.outstanding == 0;
        },
        [&] {
          std::unique_lock block(batch.mu);
          batch.answered.wait(block, [&] { return batch.outstanding == 0; });
        });
  }

  // The completion checks of a batch's finished proofs, sent together per
  // theorem; a check whose worker died runs again as CheckCompletion does.
  void RunChecks(const std::shared_ptr<Batch>& shared, const std::vector<std::size_t>& checks) {
    Batch& batch = *shared;
    if (checks.empty()) return;
    {
      std::lock_guard slock(stats_mu_);
      stats_.checks += checks.size();
    }
    Groups groups;
    for (std::size_t i : checks) {
      Batch::Item& item = batch.items[i];
      TheoremSession* thm = item.node->theorem.get();
      std::vector<std::string> tactics = PathOf(*item.node);
      tactics.push_back(item.tactic);
      item.proof = SpliceProof(thm->statement, tactics, thm->name);
      item.code = thm->context + item.proof;
      item.outcome.reset();
      AddToGroup(groups, thm, i);
    }
    for (auto& [thm, indices] : groups) {
      std::vector<nlohmann::json> bodies;
      for (std::size_t i : indices) bodies.push_back({{"cmd", batch.items[i].code}});
      {
        std::lock_guard block(batch.mu);
        batch.outstanding += indices.size();
      }
      thm->lease.RunAllAsync(std::move(bodies), Recorder(shared, indices),
                             Deadline(options_.check_timeout));
    }
    AwaitAnswers(batch);
    for (std::size_t i : checks) {
      Batch::Item& item = batch.items[i];
      TheoremSession& thm = *item.node->theorem;
      const ReplOutcome& out = *item.outcome;
      ProofVerdict v =
          JudgeProof(item.proof, out, thm.name, options_.proof_check, thm.statement_line);
      if (v.timed_out) {
        item.result = Timeout{std::get<ReplTimeout>(out).deadline, true};
      } else if (RetryOnFreshWorker(out)) {
        std::lock_guard lock(thm.mu);
        item.result = CheckCompletion(item.node, item.tactic, /*count=*/false);
      } else {
        item.result = Verdict(item.tactic, item.node, item.code, std::move(v));
      }
    }
  }

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
      const ReplOutcome out = thm.lease.Run(TacticBody(s->last_tactic, s->parent->proof_state),
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

  // `generation`: of the process whose answer `adv` is.
  TacticState MakeChild(const std::shared_ptr<StateNode>& parent, std::string_view tactic,
                        TacticAdvanced&& adv, std::uint64_t generation) {
    auto child = std::make_shared<StateNode>();
    child->theorem = parent->theorem;
    child->parent = parent;
    child->last_tactic = std::string(tactic);
    child->goal_strings = std::move(adv.goals);
    child->pretty = JoinGoals(child->goal_strings);
    child->dojo_id = id_;
    child->id = next_state_id_++;
    child->generation = generation;
    child->proof_state = adv.proof_state;
    return TacticState(child);
  }

  // The goals are gone: elaborate the whole theorem again from scratch.
  // The caller holds the theorem's mutex; `count`: add it to stats_.checks.
  RunResult CheckCompletion(const std::shared_ptr<StateNode>& node, std::string_view tactic,
                            bool count = true) {
    TheoremSession& thm = *node->theorem;
    std::vector<std::string> tactics = PathOf(*node);
    tactics.emplace_back(tactic);
    const std::string proof = SpliceProof(thm.statement, tactics, thm.name);
    const std::string code = thm.context + proof;
    if (count) {
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
    return Verdict(tactic, node, code, std::move(v));
  }

  // What a completed check `v` of `code` (the path to `node`, then
  // `tactic`) means.
  static RunResult Verdict(std::string_view tactic, const std::shared_ptr<StateNode>& node,
                           const std::string& code, ProofVerdict v) {
    if (!v.ok) {
      std::string message =
          "completion check failed (" + std::string(ToString(v.failed)) + "): " + v.reason;
      return LeanError{LeanError::kProofRejected, std::move(message), std::move(v)};
    }
    std::vector<std::string> tactics = PathOf(*node);
    tactics.emplace_back(tactic);
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

struct PendingTactics::State {
  std::shared_ptr<Dojo::Impl> dojo;
  std::shared_ptr<Dojo::Impl::Batch> batch;
  bool waited = false;
};

PendingTactics::~PendingTactics() = default;

std::vector<RunResult> PendingTactics::Wait() {
  if (!state_) throw std::logic_error("PendingTactics::Wait: not a batch (empty object)");
  if (state_->waited) throw std::logic_error("PendingTactics::Wait: called twice");
  state_->waited = true;
  // The batch holds its states, and so their theorems' leases: let go of it.
  const std::shared_ptr<Dojo::Impl::Batch> batch = std::move(state_->batch);
  return state_->dojo->FinishTactics(batch);
}

PendingTactics Dojo::StartTactics(const std::vector<TacticRequest>& requests) {
  PendingTactics pending;
  pending.state_ = std::make_shared<PendingTactics::State>();
  pending.state_->dojo = impl_;
  pending.state_->batch = impl_->StartTactics(requests);
  return pending;
}

std::vector<RunResult> Dojo::RunTacs(const std::vector<TacticRequest>& requests) {
  return StartTactics(requests).Wait();
}
std::uint64_t Dojo::id() const { return impl_->id(); }
DojoStats Dojo::stats() const { return impl_->stats(); }
const DojoOptions& Dojo::options() const { return impl_->options(); }

}  // namespace tatami::dojo
