// --replay-by-code: answers a `cmd` with the response real Lean gave to the
// same code in a recording, whatever order the commands come in (a pool
// sends a project's files in any order, to any worker). The manifest names
// recordings only; the code is taken from the recorded request itself (its
// `cmd`, or the file its `path` names, next to the recording).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "responder.h"
#include "tatami/dojo/protocol.h"
#include "tatami/dojo/transcript.h"

namespace tatami::repl_double {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "tatami-repl-double: %s\n", message.c_str());
  std::exit(2);
}

std::string ReadOrDie(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot open '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CodeReplayResponder : public Responder {
 public:
  explicit CodeReplayResponder(const std::string& manifest_file) {
    const fs::path base = fs::path(manifest_file).parent_path();
    nlohmann::json manifest;
    try {
      manifest = nlohmann::json::parse(ReadOrDie(manifest_file));
    } catch (const nlohmann::json::exception& e) {
      Die("manifest '" + manifest_file + "' is not JSON: " + e.what());
    }
    if (!manifest.is_object() || !manifest.contains("recordings") ||
        !manifest["recordings"].is_array())
      Die("manifest '" + manifest_file + "' needs a \"recordings\" list");
    for (const auto& r : manifest["recordings"]) {
      const fs::path in = base / r.value("requests", "");
      const fs::path out = base / r.value("responses", "");
      const std::size_t k = r.value("index", 1);
      std::vector<std::string> requests;
      for (auto& q : tatami::dojo::protocol::SplitRequestStream(ReadOrDie(in)))
        if (!q.comment) requests.push_back(std::move(q.text));
      std::vector<std::string> responses;
      for (auto& [line, resp] : tatami::dojo::SplitResponseStream(ReadOrDie(out)))
        responses.push_back(std::move(resp));
      if (k < 1 || k > requests.size() || k > responses.size())
        Die("recording " + in.string() + " has no request/response " + std::to_string(k));
      const auto q = nlohmann::json::parse(requests[k - 1]);
      std::string code;
      if (q.contains("cmd")) {
        code = q["cmd"].get<std::string>();
      } else if (q.contains("path")) {
        // Recorded paths are relative to the REPL's repository (`test/x.lean`
        // is `x.lean` next to the recording).
        code = ReadOrDie(in.parent_path() / fs::path(q["path"].get<std::string>()).filename());
      } else {
        Die("recorded request " + std::to_string(k) + " of " + in.string() + " is no command");
      }
      by_code_[code] = responses[k - 1];
    }
  }

  int Respond(const Request& request, std::string_view, std::uint64_t, std::string* out) override {
    if (!request.has_cmd) {
      AppendErrorObject("tatami-repl-double: --replay-by-code answers only commands", out);
      return 0;
    }
    auto it = by_code_.find(request.cmd);
    if (it != by_code_.end()) {
      out->append(it->second);
      return 0;
    }
    if (HasImport(request.cmd)) {  // a header's import: its answer is a new environment
      out->append("{\"env\": " + std::to_string(next_env_++) + "}");
      return 0;
    }
    AppendErrorObject("tatami-repl-double: no recording answers this command", out);
    return 0;
  }

 private:
  std::map<std::string, std::string> by_code_;
  std::uint64_t next_env_ = 0;
};

}  // namespace

std::unique_ptr<Responder> MakeCodeReplayResponder(const std::string& manifest_file) {
  return std::make_unique<CodeReplayResponder>(manifest_file);
}

}  // namespace tatami::repl_double
