#include "tatami/dojo/transcript.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "tatami/dojo/framing.h"

namespace tatami::dojo {

namespace {

using protocol::Json;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw std::runtime_error("error reading " + path.string());
  return buf.str();
}

std::string Shorten(const std::string& s, std::size_t max = 300) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "...";
}

bool AnyError(const std::vector<protocol::Message>& messages) {
  return std::any_of(messages.begin(), messages.end(),
                     [](const protocol::Message& m) { return m.is_error(); });
}

// Restates, independently of outcome.cpp, what a recorded response means,
// and says how the interpretation disagrees (nullopt when it agrees).
std::optional<std::string> Disagreement(const protocol::Response& response,
                                        const Interpretation& interpretation) {
  if (const auto* err = std::get_if<protocol::ErrorResponse>(&response)) {
    bool failed = std::visit(
        [](const auto& r) {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, TacticResult>) {
            return std::holds_alternative<TacticFailed>(r);
          } else {
            return std::holds_alternative<CommandFailed>(r);
          }
        },
        interpretation);
    if (!failed) return "error object \"" + Shorten(err->message) + "\" not read as a failure";
    return std::nullopt;
  }
  if (const auto* step = std::get_if<protocol::ProofStepResponse>(&response)) {
    const auto* tactic = std::get_if<TacticResult>(&interpretation);
    if (!tactic) return std::string("proof-step response interpreted as a command");
    if (AnyError(step->messages_or_empty())) {
      const auto* f = std::get_if<TacticFailed>(tactic);
      if (!f || f->kind != FailureKind::kErrorMessages)
        return "error messages not read as a failed tactic: " + Describe(*tactic);
      return std::nullopt;
    }
    if (step->proof_status == std::optional<std::string>("Completed")) {
      const auto* c = std::get_if<ProofCompleted>(tactic);
      if (!c || c->proof_state != step->proof_state)
        return "proofStatus \"Completed\" not read as a completed proof: " + Describe(*tactic);
      return std::nullopt;
    }
    if (!step->goals.empty()) {
      const auto* a = std::get_if<TacticAdvanced>(tactic);
      if (!a || a->proof_state != step->proof_state || a->goals != step->goals)
        return "open goals not read as an advanced proof state: " + Describe(*tactic);
      return std::nullopt;
    }
    if (std::holds_alternative<ProofCompleted>(*tactic))
      return std::string("an empty goal list without proofStatus \"Completed\" read as complete");
    return std::nullopt;
  }
  const auto& cmd = std::get<protocol::CommandResponse>(response);
  const auto* command = std::get_if<CommandResult>(&interpretation);
  if (!command) return std::string("command response interpreted as a proof step");
  const auto* s = std::get_if<CommandSucceeded>(command);
  if (!s || s->env != cmd.env)
    return "command response not read as env " + std::to_string(cmd.env) + ": " +
           Describe(*command);
  if ((s->verdict == CommandVerdict::kErrors) != AnyError(cmd.messages_or_empty()))
    return "verdict disagrees with the messages: " + Describe(*command);
  return std::nullopt;
}

}  // namespace

std::vector<std::pair<std::size_t, std::string>> SplitResponseStream(std::string_view text) {
  std::vector<std::pair<std::size_t, std::string>> out;
  for (auto& block : BlankLineSplitter::Split(text, BlankLineSplitter::Join::kWithNewlines))
    out.emplace_back(block.first_line, std::move(block.text));
  return out;
}

TranscriptCheck CheckTranscript(const std::filesystem::path& in,
                                const std::optional<std::filesystem::path>& expected_out) {
  TranscriptCheck check;
  check.in_name = in.string();
  const std::string in_text = ReadFile(in);

  std::size_t number = 0;
  for (auto& rt : protocol::SplitRequestStream(in_text)) {
    if (rt.comment) continue;  // the REPL skips it and writes no response
    TranscriptRequest req;
    req.number = ++number;
    req.line = rt.first_line;
    req.text = std::move(rt.text);
    const std::string where = fmt::format("{}:request {}", check.in_name, req.number);
    Json json = Json::parse(req.text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      check.issues.push_back(
          {where, fmt::format("not JSON (line {}): {}", req.line, Shorten(req.text))});
    } else {
      req.json = json;
      auto parsed = protocol::ParseRequest(json);
      if (!parsed.ok()) {
        check.issues.push_back({where, "not a REPL request: " + parsed.error().ToString()});
      } else {
        req.kind = protocol::KindOf(*parsed);
        Json back = protocol::ToJson(*parsed);
        if (back != json)
          check.issues.push_back(
              {where, "does not round-trip: " + json.dump() + " came back as " + back.dump()});
      }
    }
    check.requests.push_back(std::move(req));
  }

  if (!expected_out) return check;
  check.out_name = expected_out->string();
  const auto blocks = SplitResponseStream(ReadFile(*expected_out));
  check.responses = blocks.size();
  if (blocks.size() != check.requests.size())
    check.issues.push_back({*check.out_name, fmt::format("{} responses for {} requests",
                                                         blocks.size(), check.requests.size())});

  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& [line, text] = blocks[i];
    const std::string where = fmt::format("{}:response {} (line {})", *check.out_name, i + 1, line);
    Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      check.issues.push_back({where, "not JSON: " + Shorten(text)});
      continue;
    }
    if (i >= check.requests.size()) continue;
    TranscriptRequest& req = check.requests[i];
    req.response = json;
    if (!req.kind) continue;  // its request already failed; no response type to expect
    auto parsed = protocol::ParseResponse(*req.kind, json);
    if (!parsed.ok()) {
      check.issues.push_back(
          {where, fmt::format("not a {} response: {}", protocol::ToString(*req.kind),
                              parsed.error().ToString())});
      continue;
    }
    Json back = protocol::ToJson(*parsed);
    if (back != json)
      check.issues.push_back(
          {where, "does not round-trip: " + json.dump() + " came back as " + back.dump()});
    // The text parser (the one the hot path uses) must read the same values.
    auto from_text = protocol::ParseResponseText(*req.kind, text);
    if (!from_text.ok()) {
      check.issues.push_back({where, "the text parser fails: " + from_text.error().ToString()});
    } else if (!(*from_text == *parsed)) {
      check.issues.push_back({where, "the text parser reads " +
                                         protocol::ToJson(*from_text).dump() +
                                         ", the tree parser " + back.dump()});
    }
    ReplResponse recorded;
    recorded.json = json;
    req.interpretation = Interpret(*req.kind, recorded);
    if (auto why = Disagreement(*parsed, *req.interpretation))
      check.issues.push_back({where, "interpretation: " + *why});
  }
  return check;
}

std::vector<TranscriptIssue> ReplayTranscript(const TranscriptCheck& check,
                                              ReplProcessOptions options) {
  std::vector<TranscriptIssue> issues;
  const std::string program = options.command.empty() ? "" : options.command.front();
  ReplClient client(std::move(options));
  StartResult started = client.Start();
  if (!started.ok) {
    issues.push_back({check.in_name, "replay: could not start " + program + ": " + started.error});
    return issues;
  }
  for (const auto& req : check.requests) {
    const std::string where = fmt::format("{}:request {}", check.in_name, req.number);
    if (!req.json || !req.kind) {
      issues.push_back({where, "replay: not sent (the request itself does not parse)"});
      continue;
    }
    ReplOutcome outcome = client.Send(*req.json);
    Interpretation replayed = Interpret(*req.kind, outcome);
    if (!req.interpretation) {
      issues.push_back(
          {where, "replay: no recorded response to compare with; got " + Describe(replayed)});
      continue;
    }
    if (!(replayed == *req.interpretation)) {
      std::string got = Describe(replayed);
      std::string want = Describe(*req.interpretation);
      if (got == want) {
        // Same summary, different details: show the raw responses.
        const auto* resp = std::get_if<ReplResponse>(&outcome);
        got = resp ? resp->json.dump() : Describe(outcome);
        want = req.response ? req.response->dump() : want;
      }
      issues.push_back({where, "replay: got " + got + ", recorded " + want});
    }
  }
  return issues;
}

std::vector<TranscriptFiles> FindTranscripts(const std::filesystem::path& dir) {
  std::vector<TranscriptFiles> out;
  if (!std::filesystem::is_directory(dir)) return out;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    std::error_code type_ec;  // an unreadable entry is skipped, not fatal
    if (!entry.is_regular_file(type_ec) || entry.path().extension() != ".in") continue;
    TranscriptFiles files;
    files.in = entry.path();
    auto out_path = entry.path();
    out_path.replace_extension(".expected.out");
    if (std::filesystem::is_regular_file(out_path)) files.expected_out = out_path;
    out.push_back(std::move(files));
  }
  std::sort(out.begin(), out.end(),
            [](const TranscriptFiles& a, const TranscriptFiles& b) { return a.in < b.in; });
  return out;
}

}  // namespace tatami::dojo
