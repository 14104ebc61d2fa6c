#include "tatami/dojo/outcome.h"

#include <fmt/format.h>

namespace tatami::dojo {

namespace {

using protocol::Json;
using protocol::Message;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

constexpr std::string_view kLeanErrorPrefix = "Lean error:\n";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// What an error object says, as a failure kind and a reason.
std::pair<FailureKind, std::string> ClassifyErrorObject(const protocol::ErrorResponse& error) {
  const std::string& text = error.message;
  // The REPL spells the pickle variant "Unknown proof State.".
  if (text == "Unknown proof state." || text == "Unknown proof State.")
    return {FailureKind::kUnknownProofState, text};
  if (text == "Unknown environment.") return {FailureKind::kUnknownEnvironment, text};
  if (StartsWith(text, kLeanErrorPrefix))
    return {FailureKind::kLeanError, text.substr(kLeanErrorPrefix.size())};
  return {FailureKind::kReplError, text};
}

// The typed response of a ReplResponse: parsed from its text when it has one
// (no JSON tree is built), else from the value it was made from.
protocol::ParseResult<protocol::Response> Parse(protocol::RequestKind kind,
                                                const ReplResponse& response) {
  if (const std::string* text = response.json.text())
    return protocol::ParseResponseText(kind, *text);
  return protocol::ParseResponse(kind, response.json.value());
}

// The failure a non-response outcome means, or nullopt for a response.
std::optional<std::pair<FailureKind, std::string>> WorkerFailure(const ReplOutcome& outcome) {
  return std::visit(
      Overloaded{
          [](const ReplResponse&) -> std::optional<std::pair<FailureKind, std::string>> {
            return std::nullopt;
          },
          [&](const ReplTimeout&) -> std::optional<std::pair<FailureKind, std::string>> {
            return std::make_pair(FailureKind::kTimeout, Describe(outcome));
          },
          [&](const ReplCrash&) -> std::optional<std::pair<FailureKind, std::string>> {
            return std::make_pair(FailureKind::kCrash, Describe(outcome));
          },
          [&](const ReplProtocolError&) -> std::optional<std::pair<FailureKind, std::string>> {
            return std::make_pair(FailureKind::kProtocolError, Describe(outcome));
          },
          [&](const ReplRejected&) -> std::optional<std::pair<FailureKind, std::string>> {
            return std::make_pair(FailureKind::kRejected, Describe(outcome));
          },
      },
      outcome);
}

// The first error message's text, noting how many more there are.
std::string FirstErrorReason(const std::vector<Message>& messages) {
  const Message* first = nullptr;
  std::size_t count = 0;
  for (const auto& m : messages) {
    if (!m.is_error()) continue;
    if (!first) first = &m;
    ++count;
  }
  if (!first) return "";
  if (count == 1) return first->data;
  return fmt::format("{} (and {} more error{})", first->data, count - 1, count == 2 ? "" : "s");
}

bool HasError(const std::vector<Message>& messages) {
  for (const auto& m : messages)
    if (m.is_error()) return true;
  return false;
}

}  // namespace

ProofStatus ClassifyProofStatus(const std::optional<std::string>& proof_status) {
  if (!proof_status) return ProofStatus::kAbsent;
  const std::string& s = *proof_status;
  if (s == "Completed") return ProofStatus::kCompleted;
  if (s == "Incomplete: open goals remain") return ProofStatus::kOpenGoals;
  if (s == "Incomplete: contains sorry") return ProofStatus::kContainsSorry;
  if (s == "Incomplete: contains metavariable(s)") return ProofStatus::kContainsMetavariables;
  if (StartsWith(s, "Error")) return ProofStatus::kError;
  if (StartsWith(s, "Not verified")) return ProofStatus::kNotVerified;
  return ProofStatus::kOther;
}

std::string_view ToString(ProofStatus status) {
  switch (status) {
    case ProofStatus::kAbsent:
      return "absent";
    case ProofStatus::kCompleted:
      return "completed";
    case ProofStatus::kOpenGoals:
      return "open goals";
    case ProofStatus::kContainsSorry:
      return "contains sorry";
    case ProofStatus::kContainsMetavariables:
      return "contains metavariables";
    case ProofStatus::kError:
      return "error";
    case ProofStatus::kNotVerified:
      return "not verified";
    case ProofStatus::kOther:
      return "other";
  }
  return "other";
}

std::string_view ToString(FailureKind kind) {
  switch (kind) {
    case FailureKind::kLeanError:
      return "lean error";
    case FailureKind::kErrorMessages:
      return "error messages";
    case FailureKind::kProofRejected:
      return "proof rejected";
    case FailureKind::kUnknownProofState:
      return "unknown proof state";
    case FailureKind::kUnknownEnvironment:
      return "unknown environment";
    case FailureKind::kReplError:
      return "repl error";
    case FailureKind::kMalformedResponse:
      return "malformed response";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kCrash:
      return "crash";
    case FailureKind::kProtocolError:
      return "protocol error";
    case FailureKind::kRejected:
      return "rejected";
  }
  return "unknown";
}

FailureOrigin OriginOf(FailureKind kind) {
  switch (kind) {
    case FailureKind::kLeanError:
    case FailureKind::kErrorMessages:
    case FailureKind::kProofRejected:
      return FailureOrigin::kLean;
    case FailureKind::kUnknownProofState:
    case FailureKind::kUnknownEnvironment:
    case FailureKind::kReplError:
    case FailureKind::kMalformedResponse:
      return FailureOrigin::kRepl;
    case FailureKind::kTimeout:
    case FailureKind::kCrash:
    case FailureKind::kProtocolError:
    case FailureKind::kRejected:
      return FailureOrigin::kWorker;
  }
  return FailureOrigin::kWorker;
}

std::string_view ToString(CommandVerdict verdict) {
  switch (verdict) {
    case CommandVerdict::kClean:
      return "clean";
    case CommandVerdict::kUsesSorry:
      return "uses sorry";
    case CommandVerdict::kErrors:
      return "errors";
  }
  return "unknown";
}

bool IsSorryWarning(const protocol::Message& message) {
  return message.severity == protocol::Severity::kWarning &&
         (StartsWith(message.data, "declaration uses `sorry`") ||
          StartsWith(message.data, "declaration uses 'sorry'"));
}

namespace {

TacticResult TacticFrom(protocol::ParseResult<protocol::Response> parsed) {
  if (!parsed.ok())
    return TacticFailed{FailureKind::kMalformedResponse,
                        "malformed proof-step response: " + parsed.error().ToString(),
                        {},
                        std::nullopt,
                        ProofStatus::kAbsent};
  protocol::Response response = std::move(parsed).value();
  if (const auto* error = std::get_if<protocol::ErrorResponse>(&response)) {
    auto [kind, reason] = ClassifyErrorObject(*error);
    return TacticFailed{kind, std::move(reason), {}, std::nullopt, ProofStatus::kAbsent};
  }
  auto* step = std::get_if<protocol::ProofStepResponse>(&response);
  if (!step)
    return TacticFailed{FailureKind::kMalformedResponse,
                        "a command response where a proof-step response was expected",
                        {},
                        std::nullopt,
                        ProofStatus::kAbsent};
  protocol::ProofStepResponse& r = *step;
  const ProofStatus status = ClassifyProofStatus(r.proof_status);
  std::vector<Message> messages = r.messages.value_or(std::vector<Message>{});
  std::vector<protocol::Sorry> sorries = r.sorries.value_or(std::vector<protocol::Sorry>{});
  std::vector<std::string> traces = r.traces.value_or(std::vector<std::string>{});

  // Lean logged an error: whatever the goals say, the tactic did not work
  // (Lean recovers from elaboration errors by inserting sorry, which is why
  // such responses often show no goals).
  if (HasError(messages))
    return TacticFailed{FailureKind::kErrorMessages, FirstErrorReason(messages),
                        std::move(messages), r.proof_state, status};

  if (status == ProofStatus::kCompleted) {
    if (!r.goals.empty())
      return TacticFailed{
          FailureKind::kMalformedResponse,
          fmt::format("proofStatus \"Completed\" but {} goal(s) remain", r.goals.size()),
          std::move(messages), r.proof_state, status};
    return ProofCompleted{r.proof_state, std::move(messages), std::move(traces)};
  }
  if (!r.goals.empty())
    return TacticAdvanced{r.proof_state,      std::move(r.goals), std::move(messages),
                          std::move(sorries), std::move(traces),  status};

  // No goals, and the REPL did not say "Completed".
  switch (status) {
    case ProofStatus::kAbsent:
    case ProofStatus::kNotVerified:
    case ProofStatus::kOther:
      if (!sorries.empty())
        return TacticFailed{FailureKind::kProofRejected,
                            "no goals remain, but the tactic used sorry", std::move(messages),
                            r.proof_state, status};
      return ProofUnverified{
          r.proof_state, std::move(messages), std::move(traces), status,
          status == ProofStatus::kAbsent
              ? std::string("no goals remain, but this REPL reports no proofStatus "
                            "(before v4.19): not verified")
              : "no goals remain, but the REPL did not verify the proof: " + *r.proof_status};
    default:
      return TacticFailed{FailureKind::kProofRejected,
                          "no goals remain, but the proof is not complete: " + *r.proof_status,
                          std::move(messages), r.proof_state, status};
  }
}

CommandResult CommandFrom(protocol::ParseResult<protocol::Response> parsed) {
  if (!parsed.ok())
    return CommandFailed{FailureKind::kMalformedResponse,
                         "malformed command response: " + parsed.error().ToString(),
                         {}};
  protocol::Response response = std::move(parsed).value();
  if (const auto* error = std::get_if<protocol::ErrorResponse>(&response)) {
    auto [kind, reason] = ClassifyErrorObject(*error);
    return CommandFailed{kind, std::move(reason), {}};
  }
  auto* command = std::get_if<protocol::CommandResponse>(&response);
  if (!command)
    return CommandFailed{FailureKind::kMalformedResponse,
                         "a proof-step response where a command response was expected",
                         {}};
  CommandVerdict verdict = CommandVerdict::kClean;
  const auto& messages = command->messages_or_empty();
  if (HasError(messages)) {
    verdict = CommandVerdict::kErrors;
  } else {
    bool sorry = !command->sorries_or_empty().empty();
    for (const auto& m : messages) sorry = sorry || IsSorryWarning(m);
    if (sorry) verdict = CommandVerdict::kUsesSorry;
  }
  const std::int64_t env = command->env;
  return CommandSucceeded{env, verdict, std::move(*command)};
}

}  // namespace

TacticResult InterpretTactic(const Json& json) {
  if (!json.is_object())
    return TacticFailed{FailureKind::kMalformedResponse,
                        "response is not a JSON object",
                        {},
                        {},
                        ProofStatus::kAbsent};
  return TacticFrom(protocol::ParseResponse(protocol::RequestKind::kProofStep, json));
}

TacticResult InterpretTactic(const ReplOutcome& outcome) {
  if (auto failure = WorkerFailure(outcome))
    return TacticFailed{
        failure->first, std::move(failure->second), {}, std::nullopt, ProofStatus::kAbsent};
  return TacticFrom(Parse(protocol::RequestKind::kProofStep, std::get<ReplResponse>(outcome)));
}

CommandResult InterpretCommand(const Json& json) {
  if (!json.is_object())
    return CommandFailed{FailureKind::kMalformedResponse, "response is not a JSON object", {}};
  return CommandFrom(protocol::ParseResponse(protocol::RequestKind::kCommand, json));
}

CommandResult InterpretCommand(const ReplOutcome& outcome) {
  if (auto failure = WorkerFailure(outcome))
    return CommandFailed{failure->first, std::move(failure->second), {}};
  return CommandFrom(Parse(protocol::RequestKind::kCommand, std::get<ReplResponse>(outcome)));
}

std::optional<std::string> StartupFailure(const ReplResponse& response) {
  const std::string* text = response.json.text();
  protocol::ParseResult<protocol::Response> parsed =
      text ? protocol::ParseResponseText(*text) : protocol::ParseResponse(response.json.value());
  if (!parsed.ok()) return std::nullopt;  // not the REPL's error object, no error message
  if (const auto* error = std::get_if<protocol::ErrorResponse>(&*parsed))
    return "the REPL answered: " + error->message;
  const std::vector<Message>& messages =
      std::visit(Overloaded{
                     [](const protocol::CommandResponse& r) -> const std::vector<Message>& {
                       return r.messages_or_empty();
                     },
                     [](const protocol::ProofStepResponse& r) -> const std::vector<Message>& {
                       return r.messages_or_empty();
                     },
                     [](const protocol::ErrorResponse&) -> const std::vector<Message>& {
                       static const std::vector<Message> kNone;
                       return kNone;
                     },
                 },
                 *parsed);
  for (const Message& m : messages) {
    if (!m.is_error()) continue;
    return fmt::format("Lean reported an error at line {}, column {}: {}", m.pos.line, m.pos.column,
                       m.data);
  }
  return std::nullopt;
}

bool CodeAccepted(const CommandResult& result) {
  const auto* ok = std::get_if<CommandSucceeded>(&result);
  return ok && ok->verdict == CommandVerdict::kClean;
}

Interpretation Interpret(protocol::RequestKind kind, const ReplOutcome& outcome) {
  if (protocol::AnsweredByProofStepResponse(kind)) return InterpretTactic(outcome);
  return InterpretCommand(outcome);
}

std::string Describe(const TacticResult& result) {
  return std::visit(
      Overloaded{
          [](const TacticAdvanced& a) {
            return fmt::format("advanced to proof state {} ({} goal{})", a.proof_state,
                               a.goals.size(), a.goals.size() == 1 ? "" : "s");
          },
          [](const ProofCompleted& c) {
            return fmt::format("proof completed (proof state {})", c.proof_state);
          },
          [](const ProofUnverified& u) {
            return fmt::format("proof unverified (proof state {}): {}", u.proof_state, u.reason);
          },
          [](const TacticFailed& f) {
            return fmt::format("tactic failed ({}): {}", ToString(f.kind), f.reason);
          },
      },
      result);
}

std::string Describe(const CommandResult& result) {
  return std::visit(Overloaded{
                        [](const CommandSucceeded& s) {
                          return fmt::format("command ran: env {} ({})", s.env,
                                             ToString(s.verdict));
                        },
                        [](const CommandFailed& f) {
                          return fmt::format("command failed ({}): {}", ToString(f.kind), f.reason);
                        },
                    },
                    result);
}

std::string Describe(const Interpretation& interpretation) {
  return std::visit([](const auto& r) { return Describe(r); }, interpretation);
}

std::optional<std::string> ImportFailure(const Json& response) {
  if (!response.is_object()) return "the REPL's answer is not a JSON object";
  ReplResponse wrapped;
  wrapped.json = response;
  // What an error means is StartupFailure's rule; an import must also have
  // produced an environment.
  if (std::optional<std::string> error = StartupFailure(wrapped)) return error;
  if (auto it = response.find("env"); it == response.end() || !it->is_number_integer())
    return "the REPL's answer has no env: " + response.dump();
  return std::nullopt;
}

}  // namespace tatami::dojo
