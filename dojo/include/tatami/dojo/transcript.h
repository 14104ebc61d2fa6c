// Recorded REPL sessions ("transcripts") and their conformance check.
//
// A transcript is a pair NAME.in (the requests a client sent, separated by
// blank lines, read the way the REPL reads its stdin - see
// protocol::SplitRequestStream) and NAME.expected.out (the responses, in
// order, separated by blank lines). Some transcripts have no responses.
//
// CheckTranscript verifies that every request parses into a typed request
// and serialises back to the same JSON value, that every response does the
// same as the response type its request calls for, that there is one response
// per request, and that the typed interpretation (outcome.h) agrees with what
// the response says. `tatami protocol-check` and the conformance test both use
// it.
//
// Thread-safety: all functions are thread-safe (they share no state).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tatami/dojo/outcome.h"
#include "tatami/dojo/protocol.h"
#include "tatami/dojo/repl_process.h"

namespace tatami::dojo {

// One failed check.
struct TranscriptIssue {
  std::string where;    // "NAME.in:request 3" or "NAME.expected.out:response 2 (line 14)"
  std::string problem;  // what is wrong
  std::string ToString() const { return where + ": " + problem; }
};

// One request of a transcript, with what was learnt about it.
struct TranscriptRequest {
  std::size_t number = 0;              // 1-based, counting only requests the REPL answers
  std::size_t line = 0;                // 1-based line in the .in file
  std::string text;                    // as the REPL reads it (lines joined without newlines)
  std::optional<nlohmann::json> json;  // set when the text is JSON
  std::optional<protocol::RequestKind> kind;     // set when it parses as a request
  std::optional<nlohmann::json> response;        // the recorded response, if any
  std::optional<Interpretation> interpretation;  // of the recorded response
};

struct TranscriptCheck {
  std::string in_name;                  // the .in path as given
  std::optional<std::string> out_name;  // the .expected.out path, if there is one
  std::vector<TranscriptRequest> requests;
  std::size_t responses = 0;            // responses found in .expected.out
  std::vector<TranscriptIssue> issues;  // empty when everything conforms
  bool ok() const { return issues.empty(); }
};

// Reads and checks a transcript. `expected_out` may be nullopt (requests
// only). Throws std::runtime_error when a file cannot be read.
TranscriptCheck CheckTranscript(const std::filesystem::path& in,
                                const std::optional<std::filesystem::path>& expected_out);

// Sends every request of a checked transcript, in order, to a fresh REPL
// started with `options` (e.g. the test double replaying the recording, or a
// real REPL) through a ReplClient, and compares the typed outcome of each
// answer (outcome.h) with that of the recorded response. Returns one issue per
// difference, "NAME.in:request N: replay: got ..., recorded ...". Requests
// that did not parse are not sent.
std::vector<TranscriptIssue> ReplayTranscript(const TranscriptCheck& check,
                                              ReplProcessOptions options);

// The response blocks of an .expected.out text: (1-based first line, text).
std::vector<std::pair<std::size_t, std::string>> SplitResponseStream(std::string_view text);

// Every transcript pair under `dir` (recursively): each NAME.in, with its
// NAME.expected.out when that exists. Sorted by path. A missing or unreadable
// directory gives what could be listed (possibly nothing); it does not throw.
struct TranscriptFiles {
  std::filesystem::path in;
  std::optional<std::filesystem::path> expected_out;
};
std::vector<TranscriptFiles> FindTranscripts(const std::filesystem::path& dir);

}  // namespace tatami::dojo
