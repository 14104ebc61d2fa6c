// ByT5 tokenisation, UTF-8 validation and ReProver's premise text.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/premise_text.h"

namespace tatami::retriever {
namespace {

using Ids = std::vector<std::int64_t>;

TEST(ByT5Tokenizer, BytesPlusThreeThenEos) {
  EXPECT_EQ(ByT5Encode("ab", 1024), (Ids{'a' + 3, 'b' + 3, 1}));
  EXPECT_EQ(ByT5Encode("", 1024), (Ids{1}));
  // "⊢" is E2 8A A2 in UTF-8: three byte tokens.
  EXPECT_EQ(ByT5Encode("\xE2\x8A\xA2", 1024), (Ids{0xE2 + 3, 0x8A + 3, 0xA2 + 3, 1}));
  // The highest byte maps inside the vocabulary, below the sentinels.
  EXPECT_EQ(ByT5Encode("\xF4\x8F\xBF\xBF", 8)[3], 0xBF + 3);
  EXPECT_LT(0xFF + kByT5ByteOffset, kByT5VocabSize);
}

TEST(ByT5Tokenizer, TruncatesToMaxLengthIncludingEos) {
  EXPECT_EQ(ByT5Encode("abcdef", 4), (Ids{'a' + 3, 'b' + 3, 'c' + 3, 1}));
  EXPECT_EQ(ByT5Encode("abc", 4), (Ids{'a' + 3, 'b' + 3, 'c' + 3, 1}));
  EXPECT_EQ(ByT5Encode("abcdef", 1), (Ids{1}));
  // Truncation counts bytes, so it may cut a character, as ByT5 does.
  EXPECT_EQ(ByT5Encode("a\xE2\x8A\xA2", 3), (Ids{'a' + 3, 0xE2 + 3, 1}));
  EXPECT_EQ(ByT5Encode(std::string(5000, 'x'), kReProverMaxLength).size(), kReProverMaxLength);
  EXPECT_THROW(ByT5Encode("a", 0), std::invalid_argument);
}

TEST(ByT5Tokenizer, BatchPadsToLongestRowWithMask) {
  const std::vector<std::string> texts = {"abc", "", "de"};
  TokenBatch b = ByT5EncodeBatch(texts, 1024);
  ASSERT_EQ(b.rows, 3u);
  ASSERT_EQ(b.length, 4u);
  EXPECT_EQ(b.ids, (Ids{'a' + 3, 'b' + 3, 'c' + 3, 1,  //
                        1, 0, 0, 0,                    //
                        'd' + 3, 'e' + 3, 1, 0}));
  EXPECT_EQ(b.mask, (Ids{1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0}));
}

TEST(ByT5Tokenizer, BatchFollowsGivenOrder) {
  const std::vector<std::string> texts = {"abc", "", "de"};
  TokenBatch b = ByT5EncodeBatch(texts, 1024, {2, 0});
  ASSERT_EQ(b.rows, 2u);
  ASSERT_EQ(b.length, 4u);
  EXPECT_EQ(b.ids, (Ids{'d' + 3, 'e' + 3, 1, 0, 'a' + 3, 'b' + 3, 'c' + 3, 1}));
  EXPECT_THROW(ByT5EncodeBatch(texts, 1024, {3}), std::out_of_range);
}

TEST(ByT5Tokenizer, InvalidUtf8NamesTextAndOffset) {
  const std::vector<std::string> texts = {"fine", "ok \xC3\x28 bad"};
  try {
    ByT5EncodeBatch(texts, 1024);
    FAIL() << "expected InvalidUtf8Error";
  } catch (const InvalidUtf8Error& e) {
    EXPECT_EQ(e.text_index(), 1u);
    EXPECT_EQ(e.byte_offset(), 3u);
    EXPECT_NE(std::string(e.what()).find("text 1"), std::string::npos) << e.what();
  }
}

TEST(Utf8, FindsFirstInvalidByte) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("\xE2\x8A\xA2 \xF0\x9D\x94\xB8 \xC2\xAB"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("ab\x80"), 2u);                          // stray continuation
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);                        // overlong "/"
  EXPECT_EQ(FindInvalidUtf8("x\xE0\x80\xAF"), 1u);                   // overlong 3-byte
  EXPECT_EQ(FindInvalidUtf8("\xED\xA0\x80"), 0u);                    // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);                // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xF5\x80\x80\x80"), 0u);                // invalid lead
  EXPECT_EQ(FindInvalidUtf8("abc\xE2\x8A"), 3u);                     // truncated at end
  EXPECT_EQ(FindInvalidUtf8(std::string("a\0b", 3)), std::nullopt);  // NUL is valid
}

// Expected texts below were produced by ReProver's Premise.serialize() logic
// run with Python's `re` on the same inputs.
TEST(PremiseText, MarksTheDeclaredNameAfterWhitespace) {
  EXPECT_EQ(PremiseText("Nat.add_comm", "theorem add_comm (n m : Nat) : n + m = m + n := by omega"),
            "theorem <a>Nat.add_comm</a> (n m : Nat) : n + m = m + n := by omega");
  EXPECT_EQ(PremiseText("Nat.add_comm", "theorem Nat.add_comm (n m : Nat) : n + m = m + n"),
            "theorem <a>Nat.add_comm</a> (n m : Nat) : n + m = m + n");
  EXPECT_EQ(PremiseText("Foo.bar", "def x := bar"), "def x := <a>Foo.bar</a>");
  EXPECT_EQ(PremiseText("A.b.c", "lemma c : b.c = c := rfl"), "lemma c : <a>A.b.c</a> = c := rfl");
}

TEST(PremiseText, RootPrefixAndGuillemets) {
  EXPECT_EQ(PremiseText("Nat.add_comm", "protected theorem _root_.Nat.add_comm : True := trivial"),
            "protected theorem <a>Nat.add_comm</a> : True := trivial");
  EXPECT_EQ(PremiseText("Foo.\xC2\xAB"
                        "bar baz\xC2\xBB",
                        "def \xC2\xAB"
                        "bar baz\xC2\xBB := 1"),
            "def <a>Foo.\xC2\xAB"
            "bar baz\xC2\xBB</a> := 1");
  EXPECT_EQ(PremiseText("Foo.bar",
                        "def \xC2\xAB"
                        "bar\xC2\xBB := 1"),
            "def <a>Foo.bar</a> := 1");
}

TEST(PremiseText, ReplacesEveryOccurrenceAfterAnyUnicodeSpace) {
  // U+00A0 counts as whitespace for Python's \s.
  EXPECT_EQ(PremiseText("Foo.bar",
                        "def\xC2\xA0"
                        "bar := 1 -- bar\n  bar"),
            "def\xC2\xA0<a>Foo.bar</a> := 1 -- <a>Foo.bar</a>\n  <a>Foo.bar</a>");
  EXPECT_EQ(PremiseText("Set.mem_setOf",
                        "theorem mem_setOf {a : \xCE\xB1} : a \xE2\x88\x88 { x | p x } := Iff.rfl"),
            "theorem <a>Set.mem_setOf</a> {a : \xCE\xB1} : a \xE2\x88\x88 { x | p x } := Iff.rfl");
}

TEST(PremiseText, NameIsARegularExpressionAsInReProver) {
  // "." matches any character.
  EXPECT_EQ(PremiseText("X.a.b", "def a.b : axb := 0"), "def <a>X.a.b</a> : <a>X.a.b</a> := 0");
  // "t?" makes the t optional, so "get?" matches "get" and leaves the "?".
  EXPECT_EQ(PremiseText("List.get?", "def get? : List \xCE\xB1 \xE2\x86\x92 Nat"),
            "def <a>List.get?</a>? : List \xCE\xB1 \xE2\x86\x92 Nat");
  // ... and "get?_nil" does not match the literal text "get?_nil" at all.
  EXPECT_EQ(
      PremiseText("List.get?_nil", "@[simp] theorem get?_nil : ([] : List \xCE\xB1).get? n = none"),
      "@[simp] theorem get?_nil : ([] : List \xCE\xB1).get? n = none");
}

TEST(PremiseText, CodeWithoutTheNameIsUnchanged) {
  EXPECT_EQ(PremiseText("Foo.bar",
                        "instance : Inhabited Nat := \xE2\x9F\xA8"
                        "0\xE2\x9F\xA9"),
            "instance : Inhabited Nat := \xE2\x9F\xA8"
            "0\xE2\x9F\xA9");
  EXPECT_EQ(PremiseText("Foo.bar", "xbar"), "xbar");  // no whitespace before
}

}  // namespace
}  // namespace tatami::retriever
