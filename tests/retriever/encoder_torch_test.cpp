// The TorchScript encoder end to end: the plugin is dlopen()ed by this
// torch-free test binary and runs encoders made by scripts/make_test_encoder.py.
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "encoder_test_support.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/encoder.h"

namespace tatami::retriever {
namespace {

using testing::TestEncoder;

const std::vector<std::string> kTexts = {
    "n : \xE2\x84\x95\n\xE2\x8A\xA2 n + 0 = n",  // "n : ℕ\n⊢ n + 0 = n"
    "theorem <a>Nat.add_zero</a> (n : Nat) : n + 0 = n := rfl",
    "",
    std::string(1500, 'x') + "\xE2\x8A\xA2",  // longer than max_length
    "a",
};

float Dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

std::string LoadError(const std::filesystem::path& model, const EncoderOptions& options = {}) {
  try {
    auto enc = LoadTorchScriptEncoder(model, options);
    enc->Encode(kTexts);
  } catch (const EncoderError& e) {
    return e.what();
  }
  return "";
}

TEST(TorchEncoder, EncodesThroughThePlugin) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  auto enc = LoadTorchScriptEncoder(TestEncoder("ok"));
  EXPECT_EQ(enc->dim(), 32u);
  EXPECT_NE(enc->Describe().find("threads"), std::string::npos) << enc->Describe();
  EXPECT_NE(enc->Describe().find(std::to_string(std::max(1u, std::thread::hardware_concurrency())) +
                                 " threads"),
            std::string::npos)
      << enc->Describe();
  Embeddings e = enc->Encode(kTexts);
  ASSERT_EQ(e.rows, kTexts.size());
  ASSERT_EQ(e.dim, 32u);
  for (std::size_t i = 0; i < e.rows; ++i) EXPECT_NEAR(Dot(e.row(i), e.row(i)), 1.0f, 1e-4f);
  // Distinct texts, distinct embeddings.
  EXPECT_LT(Dot(e.row(0), e.row(1)), 0.999f);
  // The same text alone or padded in a batch gets the same embedding.
  for (std::size_t i = 0; i < kTexts.size(); ++i) {
    Embeddings alone = enc->Encode({kTexts[i]});
    EXPECT_NEAR(Dot(alone.row(0), e.row(i)), 1.0f, 1e-5f) << i;
  }
}

TEST(TorchEncoder, TatamiTokenisationMatchesTheModules) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  // Same weights (same seed); one is tokenised here, the other by TorchScript.
  auto ours = LoadTorchScriptEncoder(TestEncoder("ok"));
  auto theirs = LoadTorchScriptEncoder(TestEncoder("text-only"));
  EXPECT_NE(ours->Describe().find("tokenised by tatami"), std::string::npos);
  EXPECT_NE(theirs->Describe().find("tokenised by the module"), std::string::npos);
  Embeddings a = ours->Encode(kTexts);
  Embeddings b = theirs->Encode(kTexts);
  ASSERT_EQ(a.rows, b.rows);
  for (std::size_t i = 0; i < a.rows; ++i) {
    for (std::size_t c = 0; c < a.dim; ++c) EXPECT_NEAR(a.row(i)[c], b.row(i)[c], 1e-5f) << i;
  }
}

TEST(TorchEncoder, TruncationFollowsMaxLength) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  auto enc = LoadTorchScriptEncoder(TestEncoder("ok"));
  const std::string head(kReProverMaxLength - 1, 'y');
  Embeddings e = enc->Encode({head, head + "tail that is cut off"});
  EXPECT_NEAR(Dot(e.row(0), e.row(1)), 1.0f, 1e-6f);
  EncoderOptions shorter;
  shorter.max_length = 8;
  auto cut = LoadTorchScriptEncoder(TestEncoder("ok"), shorter);
  Embeddings f = cut->Encode({"abcdefg", "abcdefgh and more"});
  EXPECT_NEAR(Dot(f.row(0), f.row(1)), 1.0f, 1e-6f);
}

TEST(TorchEncoder, FingerprintIdentifiesWeightsCodeAndTokenisation) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  const auto fp = LoadTorchScriptEncoder(TestEncoder("ok"))->fingerprint();
  EXPECT_EQ(LoadTorchScriptEncoder(TestEncoder("ok"))->fingerprint(), fp);
  // The same model saved to another file.
  const auto copy = std::filesystem::path(TATAMI_TEST_ENCODER_DIR) / "ok-copy.pt";
  std::filesystem::copy_file(TestEncoder("ok"), copy,
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(LoadTorchScriptEncoder(copy)->fingerprint(), fp);
  EXPECT_NE(LoadTorchScriptEncoder(TestEncoder("ok", 32, 1))->fingerprint(), fp);
  EXPECT_NE(LoadTorchScriptEncoder(TestEncoder("text-only"))->fingerprint(), fp);
  EncoderOptions shorter;
  shorter.max_length = 64;
  EXPECT_NE(LoadTorchScriptEncoder(TestEncoder("ok"), shorter)->fingerprint(), fp);
}

TEST(TorchEncoder, HalfPrecisionOutputIsWidened) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  auto half = LoadTorchScriptEncoder(TestEncoder("f16"));
  auto full = LoadTorchScriptEncoder(TestEncoder("ok"));
  Embeddings a = half->Encode(kTexts);
  Embeddings b = full->Encode(kTexts);
  for (std::size_t i = 0; i < a.rows; ++i) EXPECT_NEAR(Dot(a.row(i), b.row(i)), 1.0f, 1e-3f);
}

TEST(TorchEncoder, ContractViolationsAreClearErrors) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  struct Case {
    const char* variant;
    const char* message_part;
  };
  for (const Case& c :
       {Case{"f64", "Double"}, Case{"f64", "float32"}, Case{"rank3", "shape [1, 1, 32]"},
        Case{"extra-row", "expected shape [1, d]"}, Case{"unnormalised", "L2 norm 2"},
        Case{"nan", "non-finite"}, Case{"wrong-dim-attr", "embedding_dim = 33"},
        Case{"fails", "injected failure"}}) {
    const auto model = TestEncoder(c.variant);
    const std::string e = LoadError(model);
    EXPECT_NE(e.find(c.message_part), std::string::npos) << c.variant << ": " << e;
    EXPECT_NE(e.find(model.filename().string()), std::string::npos) << c.variant << ": " << e;
  }
}

TEST(TorchEncoder, UnloadableFilesAreClearErrors) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  const std::filesystem::path dir = TATAMI_TEST_ENCODER_DIR;
  EXPECT_NE(LoadError(dir / "does-not-exist.pt").find("no such file"), std::string::npos);
  EXPECT_NE(LoadError(dir).find("not a regular file"), std::string::npos);
  const auto garbage = dir / "garbage.pt";
  std::ofstream(garbage) << "this is not a TorchScript archive";
  const std::string e = LoadError(garbage);
  EXPECT_NE(e.find("cannot load"), std::string::npos) << e;
  EXPECT_NE(e.find("garbage.pt"), std::string::npos) << e;
}

TEST(TorchEncoder, MissingPluginIsAClearError) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  EncoderOptions options;
  options.plugin = "/nonexistent/libtatami_torch_encoder.so";
  const std::string e = LoadError(TestEncoder("ok"), options);
  EXPECT_NE(e.find("TATAMI_TORCH_PLUGIN"), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/libtatami_torch_encoder.so: not found"), std::string::npos) << e;
  // A file that is not a plugin.
  options.plugin = TestEncoder("ok");
  EXPECT_NE(
      LoadError(TestEncoder("ok"), options).find("cannot load the TorchScript encoder plugin"),
      std::string::npos);
}

TEST(TorchEncoder, InvalidUtf8IsRefused) {
  TATAMI_REQUIRE_TEST_ENCODERS();
  auto enc = LoadTorchScriptEncoder(TestEncoder("ok"));
  EXPECT_THROW(enc->Encode({"ok", "\xC3"}), InvalidUtf8Error);
  auto text_only = LoadTorchScriptEncoder(TestEncoder("text-only"));
  EXPECT_THROW(text_only->Encode({"\xFF"}), InvalidUtf8Error);
}

}  // namespace
}  // namespace tatami::retriever
