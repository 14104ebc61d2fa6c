// Response-parsing throughput, for bench/run_parse.sh.
//
// The corpus is real REPL responses from the recorded fixtures: the Mathlib
// transcripts (repl-transcripts/Mathlib), the whole-file check responses
// recorded by Kimina Lean Server (check-transcripts-kimina/match/output, the
// REPL's command response inside each result, written back compactly), and
// the info-tree transcripts (repl-transcripts/**/infotree.expected.out).
//
//   --write-corpus FILE  collects the corpus and writes it to FILE, each
//                        response as "<kind> <bytes>\n<text>\n", so that the
//                        Python baseline parses exactly the same bytes.
//   --corpus FILE --parser ours|tree --seconds S
//                        parses every response of FILE over and over for at
//                        least S seconds and prints one line "mb_s=<figure>".
//     ours: protocol::ParseResponseText (simdjson straight into the typed
//           values the Dojo uses), on text with the spare capacity a
//           ReplProcess frame has;
//     tree: nlohmann::json::parse and then protocol::ParseResponse on the
//           tree (the way responses were read before).
// Every response must parse; the first that does not fails the run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tatami/dojo/framing.h"
#include "tatami/dojo/protocol.h"
#include "tatami/dojo/transcript.h"

namespace {

namespace fs = std::filesystem;
namespace protocol = tatami::dojo::protocol;
using Clock = std::chrono::steady_clock;

struct Sample {
  protocol::RequestKind kind = protocol::RequestKind::kCommand;
  std::string text;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "tatami-bench-parse: " << what << "\n";
  std::exit(1);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Responses of transcript pairs under `dir` whose file name passes `keep`,
// with the kind of the request each answers.
template <class Keep>
void AddTranscripts(const fs::path& dir, Keep keep, std::vector<Sample>* out) {
  for (const auto& files : tatami::dojo::FindTranscripts(dir)) {
    if (!files.expected_out || !keep(files.in)) continue;
    const auto check = tatami::dojo::CheckTranscript(files.in, files.expected_out);
    const auto blocks = tatami::dojo::SplitResponseStream(ReadFile(*files.expected_out));
    for (std::size_t i = 0; i < blocks.size() && i < check.requests.size(); ++i) {
      if (!check.requests[i].kind) continue;
      out->push_back(Sample{*check.requests[i].kind, blocks[i].second});
    }
  }
}

std::vector<Sample> CollectCorpus(const fs::path& fixtures) {
  std::vector<Sample> corpus;
  const fs::path transcripts = fixtures / "repl-transcripts";
  AddTranscripts(
      transcripts / "Mathlib", [](const fs::path&) { return true; }, &corpus);
  AddTranscripts(
      transcripts, [](const fs::path& in) { return in.stem() == "infotree"; }, &corpus);
  const fs::path kimina = fixtures / "check-transcripts-kimina" / "match" / "output";
  std::vector<fs::path> files;
  if (fs::is_directory(kimina)) {
    for (const auto& entry : fs::directory_iterator(kimina))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    nlohmann::json doc = nlohmann::json::parse(ReadFile(file), nullptr, false);
    if (doc.is_discarded()) Fail(file.string() + " is not JSON");
    for (const auto& result : doc.value("results", nlohmann::json::array())) {
      auto it = result.find("response");
      if (it == result.end() || !it->is_object()) continue;  // a server-level timeout
      nlohmann::json response = *it;
      // Kimina's server drops the REPL's `env` from most responses; put one
      // back so that each is a whole command response (all else as recorded).
      if (!response.contains("env")) response["env"] = 0;
      corpus.push_back(Sample{protocol::RequestKind::kCommand, response.dump()});
    }
  }
  return corpus;
}

void WriteCorpus(const std::vector<Sample>& corpus, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& s : corpus) {
    out << (protocol::AnsweredByProofStepResponse(s.kind) ? "step" : "command") << ' '
        << s.text.size() << '\n'
        << s.text << '\n';
  }
  if (!out) Fail("cannot write " + path);
}

std::vector<Sample> ReadCorpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  std::vector<Sample> corpus;
  std::string kind;
  std::size_t size = 0;
  while (in >> kind >> size) {
    in.get();  // the newline after the header
    Sample s;
    s.kind = kind == "step" ? protocol::RequestKind::kProofStep : protocol::RequestKind::kCommand;
    // The spare capacity a frame from FrameSplitter has.
    s.text.reserve(size + tatami::dojo::kFramePadding);
    s.text.resize(size);
    in.read(s.text.data(), static_cast<std::streamsize>(size));
    in.get();
    if (!in) Fail(path + " is truncated");
    corpus.push_back(std::move(s));
  }
  return corpus;
}

// One pass over the corpus; returns false (naming the response) if one fails.
bool ParseAll(const std::vector<Sample>& corpus, bool tree, std::size_t* checksum) {
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const Sample& s = corpus[i];
    protocol::ParseResult<protocol::Response> r =
        tree ? protocol::ParseResponse(s.kind, nlohmann::json::parse(s.text))
             : protocol::ParseResponseText(s.kind, s.text);
    if (!r.ok()) Fail("response " + std::to_string(i + 1) + ": " + r.error().ToString());
    *checksum += r->index();
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string fixtures;
  std::string write_corpus;
  std::string corpus_path;
  std::string parser = "ours";
  double seconds = 2.0;
  CLI::App app{"Throughput of REPL response parsing (for bench/run_parse.sh)"};
  app.add_option("--fixtures", fixtures, "the recorded fixtures folder");
  app.add_option("--write-corpus", write_corpus, "collect the corpus and write it here");
  app.add_option("--corpus", corpus_path, "parse the responses of this corpus file");
  app.add_option("--parser", parser, "ours | tree")
      ->check(CLI::IsMember({"ours", "tree"}))
      ->capture_default_str();
  app.add_option("--seconds", seconds, "minimum measuring time")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (!write_corpus.empty()) {
    if (fixtures.empty()) Fail("--write-corpus needs --fixtures");
    const auto corpus = CollectCorpus(fixtures);
    if (corpus.empty()) Fail("no responses found under " + fixtures);
    std::size_t bytes = 0;
    for (const auto& s : corpus) bytes += s.text.size();
    WriteCorpus(corpus, write_corpus);
    std::cout << "responses=" << corpus.size() << " bytes=" << bytes << "\n";
    return 0;
  }
  if (corpus_path.empty()) Fail("give --write-corpus FILE or --corpus FILE");
  const auto corpus = ReadCorpus(corpus_path);
  if (corpus.empty()) Fail(corpus_path + " holds no responses");
  std::size_t bytes = 0;
  for (const auto& s : corpus) bytes += s.text.size();
  const bool tree = parser == "tree";

  std::size_t checksum = 0;
  ParseAll(corpus, tree, &checksum);  // warm-up: caches, parser buffers
  std::size_t passes = 0;
  const auto start = Clock::now();
  std::chrono::duration<double> elapsed{0};
  do {
    ParseAll(corpus, tree, &checksum);
    ++passes;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < seconds);
  const double mb_s = static_cast<double>(bytes * passes) / 1e6 / elapsed.count();
  std::printf("mb_s=%.2f passes=%zu checksum=%zu\n", mb_s, passes, checksum);
  return 0;
}
