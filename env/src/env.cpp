#include "tatami/env/env.h"

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

namespace tatami::env {
namespace {

using Clock = std::chrono::steady_clock;

void CheckOptions(const EnvOptions& o) {
  if (o.step_timeout.count() < 0)
    throw std::invalid_argument("EnvOptions::step_timeout is negative");
  if (o.episode_timeout.count() < 0)
    throw std::invalid_argument("EnvOptions::episode_timeout is negative");
  if (o.terminate_on.count(OutcomeKind::kState))
    throw std::invalid_argument(
        "EnvOptions::terminate_on lists \"state\": only failure kinds can end an episode");
}

std::shared_ptr<dojo::Dojo> MakeDojo(std::shared_ptr<dojo::WorkerPool> pool,
                                     const EnvOptions& options) {
  if (!pool) throw std::invalid_argument("Env: the worker pool is null");
  CheckOptions(options);
  dojo::DojoOptions d = options.dojo;
  if (options.step_timeout.count() > 0) d.tactic_timeout = options.step_timeout;
  return std::make_shared<dojo::Dojo>(std::move(pool), std::move(d));
}

std::string MessageOf(const dojo::RunResult& result) {
  if (const auto* e = std::get_if<dojo::LeanError>(&result)) return e->message;
  if (std::holds_alternative<dojo::TacticState>(result) ||
      std::holds_alternative<dojo::ProofFinished>(result))
    return {};
  return dojo::Describe(result);
}

}  // namespace

class Env::Impl {
 public:
  Impl(std::shared_ptr<dojo::Dojo> dojo, EnvOptions options)
      : dojo_(std::move(dojo)), options_(std::move(options)) {
    if (!dojo_) throw std::invalid_argument("Env: the Dojo is null");
    CheckOptions(options_);
    const auto own = dojo_->options().tactic_timeout;
    if (options_.step_timeout.count() != 0 && options_.step_timeout != own)
      throw std::invalid_argument(
          "Env: EnvOptions::step_timeout (" + std::to_string(options_.step_timeout.count()) +
          " ms) differs from the given Dojo's tactic_timeout (" + std::to_string(own.count()) +
          " ms); set it in the Dojo's options, or build the Env on the pool");
  }

  Observation Reset(const Theorem& theorem) {
    if (!theorem.from_file() && theorem.statement.empty())
      throw std::invalid_argument(
          "Env::Reset: the theorem names neither a file and a theorem in it nor a statement");
    if (theorem.from_file() && theorem.name.empty())
      throw std::invalid_argument("Env::Reset: no theorem name given for " + theorem.file.string());
    if (theorem_ && *theorem_ == theorem && root_.valid()) return Restart();
    // Drop every state of the previous theorem first: they hold its worker
    // lease, which entering the new theorem may need.
    DropEpisode();
    root_ = {};
    theorem_.reset();
    dojo::TacticState root = theorem.from_file() ? dojo_->EnterFromFile(theorem.file, theorem.name)
                                                 : dojo_->Enter(theorem.header, theorem.statement);
    theorem_ = theorem;
    root_ = std::move(root);
    return Restart();
  }

  Observation Reset() {
    if (!theorem_)
      throw std::logic_error("Env::Reset(): no theorem to restart; call Reset(theorem) first");
    if (root_.valid()) return Restart();
    const Theorem again = *theorem_;  // a copy: Reset(theorem) clears theorem_
    return Reset(again);
  }

  StepResult StepFrom(std::uint64_t handle, std::string_view action) {
    return Run(BeginStep(handle, "Env::StepFrom"), action);
  }

  dojo::TacticState BeginStep(std::optional<std::uint64_t> handle, const char* what) const {
    CheckActive(what);
    if (!handle) return current_;
    const auto it = states_.find(*handle);
    if (it == states_.end())
      throw std::invalid_argument(std::string(what) + ": unknown state handle " +
                                  std::to_string(*handle) + ": not a state of the current episode" +
                                  (*handle == kNoState ? " (0 is the \"no state\" handle)" : ""));
    return it->second;
  }

  StepResult StepFrom(const dojo::TacticState& state, std::string_view action) {
    CheckActive("Env::StepFrom");
    if (!state.valid()) throw std::invalid_argument("Env::StepFrom: empty state handle");
    const auto it = states_.find(state.id());
    if (state.dojo_id() != dojo_->id() || it == states_.end() || !(it->second == state))
      throw std::invalid_argument("Env::StepFrom: state " + std::to_string(state.id()) +
                                  " of Dojo " + std::to_string(state.dojo_id()) +
                                  " is not a state of the current episode");
    return Run(state, action);
  }

  StepResult Step(std::string_view action) {
    return Run(BeginStep(std::nullopt, "Env::Step"), action);
  }

  bool active() const { return active_; }
  std::size_t steps() const { return steps_; }
  const Observation& observation() const {
    if (!observed_) throw std::logic_error("Env::observation: no episode yet; call Reset first");
    if (!observation_) observation_ = ObservationOf(current_);
    return *observation_;
  }
  const std::optional<Theorem>& theorem() const { return theorem_; }
  std::optional<dojo::TacticState> State(std::uint64_t handle) const {
    const auto it = states_.find(handle);
    if (it == states_.end()) return std::nullopt;
    return it->second;
  }
  void Close() {
    DropEpisode();
    root_ = {};
  }
  const EnvOptions& options() const { return options_; }
  const std::shared_ptr<dojo::Dojo>& dojo() const { return dojo_; }

 private:
  void CheckActive(const char* what) const {
    if (active_) return;
    if (!observed_)
      throw std::logic_error(std::string(what) + ": no episode is open; call Reset first");
    throw std::logic_error(std::string(what) + ": the episode has ended (after " +
                           std::to_string(steps_) + " steps); call Reset to start another");
  }

  void DropEpisode() {
    states_.clear();
    current_ = {};
    observation_.reset();
    observed_ = false;
    active_ = false;
  }

  Observation Restart() {
    DropEpisode();
    states_.emplace(root_.id(), root_);
    current_ = root_;
    observation_ = ObservationOf(root_);
    observed_ = true;
    active_ = true;
    steps_ = 0;
    started_ = Clock::now();
    return *observation_;
  }

  // `from` by value: it may live in states_ or be current_, both of which change here.
  StepResult Run(const dojo::TacticState from, std::string_view action) {
    const auto t0 = Clock::now();
    dojo::RunResult result = dojo_->RunTac(from, action);
    return FinishStep(from, std::move(result),
                      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0));
  }

 public:
  // `from` by value, as in Run.
  StepResult FinishStep(const dojo::TacticState from, dojo::RunResult result,
                        std::chrono::microseconds elapsed) {
    const auto t1 = Clock::now();
    ++steps_;

    StepResult out;
    StepInfo& info = out.info;
    info.outcome = KindOf(result);
    info.message = MessageOf(result);
    info.episode_steps = steps_;
    info.elapsed = elapsed;
    const std::size_t before = from.num_goals();
    std::size_t after = before;
    if (const auto* next = std::get_if<dojo::TacticState>(&result)) {
      states_.emplace(next->id(), *next);
      current_ = *next;
      after = next->num_goals();
      // The step's result is the only copy made now; observation() builds its
      // own from current_ if anyone asks.
      out.observation = ObservationOf(*next);
      observation_.reset();
    } else if (const auto* done = std::get_if<dojo::ProofFinished>(&result)) {
      info.proof = done->tactics;
      info.verdict = done->verdict;
      current_ = {};
      after = 0;
      observation_ = FinishedObservation(from.theorem_name());
      out.observation = *observation_;
    } else {
      if (const auto* e = std::get_if<dojo::LeanError>(&result)) info.verdict = e->verdict;
      if (!(current_ == from)) {
        current_ = from;
        observation_.reset();
      }
      out.observation = observation();
    }
    info.goals_closed = static_cast<long>(before) - static_cast<long>(after);
    out.reward = Reward(options_.reward, info.outcome, before, after);
    out.terminated = info.outcome == OutcomeKind::kProofFinished ||
                     options_.terminate_on.count(info.outcome) > 0;
    out.truncated =
        (options_.max_steps > 0 && steps_ >= options_.max_steps) ||
        (options_.episode_timeout.count() > 0 && t1 - started_ >= options_.episode_timeout);
    if (out.terminated || out.truncated) active_ = false;
    info.result = std::move(result);
    return out;
  }

 private:
  std::shared_ptr<dojo::Dojo> dojo_;
  EnvOptions options_;
  std::optional<Theorem> theorem_;
  dojo::TacticState root_;  // the theorem's initial state, reused by Reset
  // Every state of the episode by handle, so StepFrom can branch from any.
  std::unordered_map<std::uint64_t, dojo::TacticState> states_;
  dojo::TacticState current_;  // empty after a finished proof
  // The observation of current_, built when first asked for (a step hands
  // its own to the caller): empty = not built yet.
  mutable std::optional<Observation> observation_;
  bool observed_ = false;  // an episode was started (observation() is meaningful)
  bool active_ = false;
  std::size_t steps_ = 0;
  Clock::time_point started_{};
};

Env::Env(std::shared_ptr<dojo::WorkerPool> pool, EnvOptions options)
    : impl_(std::make_unique<Impl>(MakeDojo(std::move(pool), options), options)) {}
Env::Env(std::shared_ptr<dojo::Dojo> dojo, EnvOptions options)
    : impl_(std::make_unique<Impl>(std::move(dojo), std::move(options))) {}
Env::~Env() = default;
Env::Env(Env&&) noexcept = default;
Env& Env::operator=(Env&&) noexcept = default;

dojo::TacticState Env::BeginStep(std::optional<std::uint64_t> handle, const char* what) const {
  return impl_->BeginStep(handle, what);
}
StepResult Env::FinishStep(const dojo::TacticState& from, dojo::RunResult result,
                           std::chrono::microseconds elapsed) {
  return impl_->FinishStep(from, std::move(result), elapsed);
}

Observation Env::Reset(const Theorem& theorem) { return impl_->Reset(theorem); }
Observation Env::Reset() { return impl_->Reset(); }
StepResult Env::Step(std::string_view action) { return impl_->Step(action); }
StepResult Env::StepFrom(std::uint64_t handle, std::string_view action) {
  return impl_->StepFrom(handle, action);
}
StepResult Env::StepFrom(const dojo::TacticState& state, std::string_view action) {
  return impl_->StepFrom(state, action);
}
bool Env::episode_active() const { return impl_->active(); }
std::size_t Env::episode_steps() const { return impl_->steps(); }
const Observation& Env::observation() const { return impl_->observation(); }
const std::optional<Theorem>& Env::theorem() const { return impl_->theorem(); }
std::optional<dojo::TacticState> Env::State(std::uint64_t handle) const {
  return impl_->State(handle);
}
void Env::Close() { impl_->Close(); }
const EnvOptions& Env::options() const { return impl_->options(); }
const std::shared_ptr<dojo::Dojo>& Env::dojo() const { return impl_->dojo(); }

}  // namespace tatami::env
