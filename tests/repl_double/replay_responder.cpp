// --replay: answers the k-th request with the k-th recorded response, as
// recorded (the file split by the rule for recorded files, transcript.h); with --expect, first
// checks the request against the recorded one.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "responder.h"
#include "tatami/dojo/protocol.h"
#include "tatami/dojo/transcript.h"

namespace tatami::repl_double {

namespace {

std::string ReadFileOrDie(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tatami-repl-double: cannot open %s file '%s'\n", what, path.c_str());
    std::exit(2);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The recorded responses of a NAME.expected.out, split by the one rule for
// recorded files (transcript.h).
std::vector<std::string> RecordedResponses(const std::string& text) {
  std::vector<std::string> responses;
  for (auto& [line, response] : tatami::dojo::SplitResponseStream(text))
    responses.push_back(std::move(response));
  return responses;
}

struct ExpectedRequest {
  std::string text;  // joined as the REPL joins it
  std::optional<nlohmann::json> value;
};

class ReplayResponder : public Responder {
 public:
  ReplayResponder(const std::string& responses_file, const std::string& expect_file)
      : responses_file_(responses_file), expect_file_(expect_file) {
    responses_ = RecordedResponses(ReadFileOrDie(responses_file, "recorded responses"));
    if (!expect_file.empty()) {
      // Read as the REPL reads its stdin (protocol.h).
      for (auto& request : tatami::dojo::protocol::SplitRequestStream(
               ReadFileOrDie(expect_file, "recorded requests"))) {
        if (request.comment) continue;  // the REPL skips these too
        ExpectedRequest e;
        e.text = std::move(request.text);
        try {
          e.value = nlohmann::json::parse(e.text);
        } catch (const nlohmann::json::exception&) {
        }
        expected_.push_back(std::move(e));
      }
    }
  }

  int Respond(const Request&, std::string_view query, std::uint64_t, std::string* out) override {
    std::size_t k = ++replayed_;  // 1-based
    if (!expect_file_.empty()) {
      if (k > expected_.size()) {
        AppendErrorObject("tatami-repl-double: request " + std::to_string(k) + " differs from " +
                              expect_file_ + ": it has only " + std::to_string(expected_.size()) +
                              " requests",
                          out);
        return 0;
      }
      const ExpectedRequest& e = expected_[k - 1];
      bool same = false;
      std::string got_text;
      try {
        nlohmann::json got = nlohmann::json::parse(query);
        same = e.value ? got == *e.value : false;
        got_text = got.dump();
      } catch (const nlohmann::json::exception&) {
        got_text = std::string(query);
      }
      if (!same) {
        AppendErrorObject("tatami-repl-double: request " + std::to_string(k) + " differs from " +
                              expect_file_ + ": expected " + (e.value ? e.value->dump() : e.text) +
                              ", got " + got_text,
                          out);
        return 0;
      }
    }
    if (k > responses_.size()) {
      AppendErrorObject("tatami-repl-double: no recorded response left for request " +
                            std::to_string(k) + ": " + responses_file_ + " has only " +
                            std::to_string(responses_.size()) + " responses",
                        out);
      return 0;
    }
    const std::string& r = responses_[k - 1];
    out->append(r);
    return CountProofStates(r);
  }

 private:
  // Proof states the recorded response announces (for --state-memory-kb).
  static int CountProofStates(std::string_view r) {
    int n = 0;
    for (std::size_t p = r.find("\"proofState\": "); p != std::string_view::npos;
         p = r.find("\"proofState\": ", p + 1)) {
      ++n;
    }
    return n;
  }

  std::string responses_file_, expect_file_;
  std::vector<std::string> responses_;
  std::vector<ExpectedRequest> expected_;
  std::size_t replayed_ = 0;
};

}  // namespace

std::unique_ptr<Responder> MakeReplayResponder(const std::string& responses_file,
                                               const std::string& expect_file) {
  return std::make_unique<ReplayResponder>(responses_file, expect_file);
}

}  // namespace tatami::repl_double
