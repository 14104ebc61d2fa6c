#include "tatami/retriever/corpus.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace tatami::retriever {
namespace {

Corpus ParseText(const std::string& text, const CorpusOptions& options = {}) {
  std::istringstream in(text);
  return Corpus::Parse(in, "corpus.jsonl", options);
}

// Returns the CorpusError a parse throws (fails the test if none).
CorpusError ParseError(const std::string& text) {
  try {
    ParseText(text);
  } catch (const CorpusError& e) {
    return e;
  }
  ADD_FAILURE() << "no CorpusError for: " << text;
  return CorpusError("", 0);
}

const char* kTwoFiles =
    R"({"path": "A.lean", "imports": [], "premises": [{"full_name": "a1", "code": "theorem a1 : True := trivial", "start": [1, 1], "end": [1, 30], "kind": "commanddeclaration"}, {"full_name": "a2", "code": "def a2 := 1", "start": [3, 1], "end": [3, 12], "kind": "commanddeclaration", "extra": 5}]})"
    "\n"
    R"({"path": "B.lean", "imports": ["A.lean"], "premises": [{"full_name": "b1", "code": "lemma b1 : 1 = 1 := rfl", "start": [2, 1], "end": [2, 24]}], "unknown": {"x": 1}})"
    "\n";

TEST(CorpusTest, ParsesFilesAndPremisesInOrder) {
  const Corpus c = ParseText(kTwoFiles);
  ASSERT_EQ(c.files().size(), 2u);
  ASSERT_EQ(c.premises().size(), 3u);
  EXPECT_EQ(c.files()[0].path, "A.lean");
  EXPECT_EQ(c.files()[0].first_premise, 0u);
  EXPECT_EQ(c.files()[0].premise_count, 2u);
  EXPECT_EQ(c.files()[1].first_premise, 2u);
  EXPECT_EQ(c.files()[1].premise_count, 1u);
  EXPECT_EQ(c.files()[1].imports, std::vector<std::string>{"A.lean"});
  EXPECT_EQ(c.premises()[1].full_name, "a2");
  EXPECT_EQ(c.premises()[1].start, (Pos{3, 1}));
  EXPECT_EQ(c.premises()[1].end, (Pos{3, 12}));
  EXPECT_EQ(c.premises()[1].kind, "commanddeclaration");
  EXPECT_EQ(c.premises()[1].code, "def a2 := 1");
  EXPECT_EQ(c.premises()[2].kind, "");  // "kind" is optional
  EXPECT_EQ(c.PathOf(2), "B.lean");
  EXPECT_EQ(c.FindFile("B.lean"), 1u);
  EXPECT_FALSE(c.FindFile("C.lean").has_value());
  EXPECT_TRUE(c.issues().empty());
}

TEST(CorpusTest, KeepCodeOffDropsCode) {
  CorpusOptions options;
  options.keep_code = false;
  const Corpus c = ParseText(kTwoFiles, options);
  EXPECT_EQ(c.premises()[0].code, "");
  EXPECT_EQ(c.premises()[0].full_name, "a1");
}

TEST(CorpusTest, MalformedLinesNameTheirLine) {
  const std::string good = R"({"path": "A.lean", "imports": [], "premises": []})";
  struct Case {
    std::string line;
    std::string expect;  // substring of the message
  };
  const std::vector<Case> cases = {
      {"{not json", "not valid JSON"},
      {"[1, 2]", "expected a JSON object"},
      {R"({"imports": [], "premises": []})", "missing field \"path\""},
      {R"({"path": "B.lean", "premises": []})", "missing field \"imports\""},
      {R"({"path": "B.lean", "imports": []})", "missing field \"premises\""},
      {R"({"path": 3, "imports": [], "premises": []})", "\"path\" must be a string"},
      {R"({"path": "B.lean", "imports": [1], "premises": []})", "\"imports\" must hold strings"},
      {R"({"path": "B.lean", "imports": [], "premises": [{"full_name": "x", "code": "c", "start": [1, 1]}]})",
       "premise 0: missing field \"end\""},
      {R"({"path": "B.lean", "imports": [], "premises": [{"full_name": "x", "start": [1, 1], "end": [1, 2]}]})",
       "missing field \"code\""},
      {R"({"path": "B.lean", "imports": [], "premises": [{"full_name": "x", "code": "c", "start": [1], "end": [1, 2]}]})",
       "\"start\" must be [line, column]"},
      {R"({"path": "B.lean", "imports": [], "premises": [{"full_name": "x", "code": "c", "start": [2, 1], "end": [1, 2]}]})",
       "\"end\" is before \"start\""},
      {R"({"path": "A.lean", "imports": [], "premises": []})", "appears twice"},
      {"{\"path\": \"B\xff.lean\", \"imports\": [], \"premises\": []}", "not valid JSON"},
  };
  for (const Case& c : cases) {
    const CorpusError e = ParseError(good + "\n\n" + c.line + "\n");
    EXPECT_EQ(e.line(), 3u) << c.line;
    EXPECT_NE(std::string(e.what()).find("corpus.jsonl:3:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos)
        << "message: " << e.what() << "\nexpected: " << c.expect;
  }
}

TEST(CorpusTest, InvalidUtf8InPremiseCodeIsReported) {
  const std::string line =
      "{\"path\": \"A.lean\", \"imports\": [], \"premises\": [{\"full_name\": \"x\", \"code\": "
      "\"bad \xc3\x28\", \"start\": [1, 1], \"end\": [1, 2]}]}";
  const CorpusError e = ParseError(line);
  EXPECT_EQ(e.line(), 1u);
  EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
}

TEST(CorpusTest, SkipsIllFormedPremisesLikeReProver) {
  const std::string line =
      R"({"path": "A.lean", "imports": [], "premises": [)"
      R"({"full_name": null, "code": "x", "start": [1, 1], "end": [1, 2]},)"
      R"({"full_name": "f.user__.n", "code": "x", "start": [1, 1], "end": [1, 2]},)"
      R"({"full_name": "[a, b]", "code": "x", "start": [1, 1], "end": [1, 2]},)"
      R"({"full_name": "empty", "code": "", "start": [1, 1], "end": [1, 2]},)"
      R"({"full_name": "ok", "code": "x", "start": [1, 1], "end": [1, 2]}]})";
  const Corpus c = ParseText(line);
  ASSERT_EQ(c.premises().size(), 1u);
  EXPECT_EQ(c.premises()[0].full_name, "ok");
  EXPECT_EQ(c.issues().size(), 4u);
  EXPECT_EQ(c.issues()[0].line, 1u);

  CorpusOptions strict;
  strict.skip_ill_formed = false;
  EXPECT_THROW(ParseText(line, strict), CorpusError);  // null full_name is not a string
}

TEST(CorpusTest, MissingImportIsAnIssueNotAnError) {
  const Corpus c = ParseText(R"({"path": "A.lean", "imports": ["Nowhere.lean"], "premises": []})");
  ASSERT_EQ(c.issues().size(), 1u);
  EXPECT_NE(c.issues()[0].message.find("Nowhere.lean"), std::string::npos);
}

TEST(CorpusTest, MissingFileIsAClearError) {
  try {
    Corpus::Load("/nonexistent-dir/corpus.jsonl");
    FAIL() << "no error";
  } catch (const CorpusError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/corpus.jsonl"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

TEST(CorpusTest, LoadsFromFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tatami-corpus-test-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(path);
    out << kTwoFiles;
  }
  const Corpus c = Corpus::Load(path);
  std::filesystem::remove(path);
  EXPECT_EQ(c.premises().size(), 3u);
}

TEST(CorpusTest, FromPartsComputesRanges) {
  std::vector<CorpusFile> files(3);
  files[0].path = "X";
  files[1].path = "Y";
  files[2].path = "Z";
  std::vector<Premise> premises(3);
  premises[0].file = 0;
  premises[1].file = 2;
  premises[2].file = 2;
  const Corpus c = Corpus::FromParts(files, premises);
  EXPECT_EQ(c.files()[0].premise_count, 1u);
  EXPECT_EQ(c.files()[1].first_premise, 1u);
  EXPECT_EQ(c.files()[1].premise_count, 0u);
  EXPECT_EQ(c.files()[2].first_premise, 1u);
  EXPECT_EQ(c.files()[2].premise_count, 2u);
  premises[2].file = 1;
  EXPECT_THROW(Corpus::FromParts(files, premises), std::invalid_argument);
}

}  // namespace
}  // namespace tatami::retriever
