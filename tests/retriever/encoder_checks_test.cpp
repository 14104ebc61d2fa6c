// The torch-free half of the encoder, driven by a fake backend: batching,
// tokenisation hand-off, and the contract checks on outputs.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checked_encoder.h"
#include "encoder_checks.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/encoder.h"

namespace tatami::retriever::internal {
namespace {

// Embeds a token row (or a text's bytes) as a unit vector that depends on
// every id, and records what it was asked.
std::vector<float> Embed(const std::vector<std::int64_t>& ids) {
  double a = 1, b = 0, c = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    b += static_cast<double>(ids[i]) * static_cast<double>(i + 1);
    c += 1;
  }
  a += b / 1000.0;
  const double n = std::sqrt(a * a + b * b + c * c);
  return {static_cast<float>(a / n), static_cast<float>(b / n), static_cast<float>(c / n)};
}

struct FakeBackend : EncoderBackend {
  BackendInfo info_;
  std::vector<TokenBatch> token_calls;
  std::vector<std::vector<std::string>> text_calls;
  // Applied to every output before it is returned (fault injection).
  std::function<void(RawOutput&)> corrupt = [](RawOutput&) {};

  const BackendInfo& info() const override { return info_; }
  RawOutput EncodeTokens(const TokenBatch& batch) override {
    token_calls.push_back(batch);
    RawOutput out{batch.rows, 3, {}};
    for (std::size_t r = 0; r < batch.rows; ++r) {
      std::vector<std::int64_t> row;
      for (std::size_t i = 0; i < batch.length; ++i) {
        if (batch.mask[r * batch.length + i]) row.push_back(batch.ids[r * batch.length + i]);
      }
      auto e = Embed(row);
      out.values.insert(out.values.end(), e.begin(), e.end());
    }
    corrupt(out);
    return out;
  }
  RawOutput EncodeTexts(const std::vector<std::string>& texts) override {
    text_calls.push_back(texts);
    RawOutput out{texts.size(), 3, {}};
    for (const auto& t : texts) {
      auto e = Embed(ByT5Encode(t, 1u << 20));
      out.values.insert(out.values.end(), e.begin(), e.end());
    }
    corrupt(out);
    return out;
  }
};

struct Made {
  FakeBackend* backend;
  std::unique_ptr<Encoder> encoder;
};

Made Make(BackendInfo info, EncoderOptions options = {},
          std::function<void(RawOutput&)> corrupt = nullptr) {
  auto backend = std::make_unique<FakeBackend>();
  backend->info_ = std::move(info);
  if (corrupt) backend->corrupt = std::move(corrupt);
  FakeBackend* raw = backend.get();
  auto encoder = MakeCheckedEncoder(std::move(backend), "encoder fake.pt", options);
  return {raw, std::move(encoder)};
}

BackendInfo TokenInfo() {
  BackendInfo info;
  info.token_path = true;
  info.weights_digest = "abc";
  return info;
}

TEST(CheckedEncoder, ProbesWidthAndEncodesInLengthSortedBatches) {
  EncoderOptions options;
  options.batch_size = 2;
  auto [backend, enc] = Make(TokenInfo(), options);
  EXPECT_EQ(enc->dim(), 3u);
  ASSERT_EQ(backend->token_calls.size(), 1u);  // the probe

  const std::vector<std::string> texts = {"ccccc", "a", "bbb", "dd", ""};
  Embeddings e = enc->Encode(texts);
  ASSERT_EQ(e.rows, 5u);
  ASSERT_EQ(e.dim, 3u);
  // Batches of 2 in length order: ["", "a"], ["dd", "bbb"], ["ccccc"].
  ASSERT_EQ(backend->token_calls.size(), 4u);
  EXPECT_EQ(backend->token_calls[1].length, 2u);
  EXPECT_EQ(backend->token_calls[2].length, 4u);
  EXPECT_EQ(backend->token_calls[3].length, 6u);
  // Row i is the embedding of text i, whatever batch it went in.
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto expected = Embed(ByT5Encode(texts[i], kReProverMaxLength));
    for (std::size_t c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(e.row(i)[c], expected[c]) << i;
  }
  EXPECT_EQ(enc->Encode({}).rows, 0u);
}

TEST(CheckedEncoder, MaxLengthFromOptionsThenModuleThenReProver) {
  const std::string long_text(3000, 'x');
  {
    auto [backend, enc] = Make(TokenInfo());
    enc->Encode({long_text});
    EXPECT_EQ(backend->token_calls.back().length, kReProverMaxLength);
  }
  BackendInfo info = TokenInfo();
  info.max_length = 100;
  std::string fp100;
  {
    auto [backend, enc] = Make(info);
    enc->Encode({long_text});
    EXPECT_EQ(backend->token_calls.back().length, 100u);
    fp100 = enc->fingerprint();
  }
  EncoderOptions options;
  options.max_length = 10;
  auto [backend, enc] = Make(info, options);
  enc->Encode({long_text});
  EXPECT_EQ(backend->token_calls.back().length, 10u);
  // Truncation changes embeddings, so it changes the fingerprint.
  EXPECT_NE(enc->fingerprint(), fp100);
  EXPECT_NE(enc->fingerprint().find("abc"), std::string::npos);
}

TEST(CheckedEncoder, TextPathPassesTextsToTheModule) {
  BackendInfo info;
  info.weights_digest = "abc";
  auto [backend, enc] = Make(info);
  Embeddings e = enc->Encode({"\xE2\x8A\xA2 x", "y"});
  EXPECT_TRUE(backend->token_calls.empty());
  ASSERT_EQ(backend->text_calls.size(), 2u);  // probe + one batch
  EXPECT_EQ(backend->text_calls[1], (std::vector<std::string>{"y", "\xE2\x8A\xA2 x"}));
  EXPECT_EQ(e.rows, 2u);
}

TEST(CheckedEncoder, InvalidUtf8IsRefusedBeforeAnyWork) {
  auto [backend, enc] = Make(TokenInfo());
  try {
    enc->Encode({"good", "also good", "bad \xFF"});
    FAIL() << "expected InvalidUtf8Error";
  } catch (const InvalidUtf8Error& e) {
    EXPECT_EQ(e.text_index(), 2u);
    EXPECT_EQ(e.byte_offset(), 4u);
  }
  EXPECT_EQ(backend->token_calls.size(), 1u);  // only the probe ran
}

TEST(CheckedEncoder, DeclaredDimMustMatchOutput) {
  BackendInfo info = TokenInfo();
  info.declared_dim = 4;
  try {
    Make(info);
    FAIL() << "expected EncoderError";
  } catch (const EncoderError& e) {
    EXPECT_NE(std::string(e.what()).find("embedding_dim = 4"), std::string::npos) << e.what();
  }
}

std::string ErrorOf(std::function<void(RawOutput&)> corrupt, bool at_load) {
  try {
    if (at_load) {
      Make(TokenInfo(), {}, corrupt);
    } else {
      bool armed = false;
      auto [backend, enc] = Make(TokenInfo(), {}, [&](RawOutput& r) {
        if (armed) corrupt(r);
      });
      armed = true;
      enc->Encode({"a", "bb"});
    }
  } catch (const EncoderError& e) {
    return e.what();
  }
  return "";
}

TEST(CheckedEncoder, RefusesOutputsThatBreakTheContract) {
  auto has = [](const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
  };
  std::string e = ErrorOf([](RawOutput& r) { r.values[1] = NAN; }, false);
  EXPECT_TRUE(has(e, "non-finite")) << e;
  EXPECT_TRUE(has(e, "fake.pt")) << e;
  e = ErrorOf([](RawOutput& r) { r.values[0] = INFINITY; }, true);
  EXPECT_TRUE(has(e, "non-finite")) << e;
  e = ErrorOf(
      [](RawOutput& r) {
        for (auto& v : r.values) v *= 2;
      },
      false);
  EXPECT_TRUE(has(e, "L2 norm 2")) << e;
  e = ErrorOf([](RawOutput& r) { r.rows += 1; }, false);
  EXPECT_TRUE(has(e, "shape")) << e;
  e = ErrorOf([](RawOutput& r) { r.cols = 0, r.values.clear(); }, true);
  EXPECT_TRUE(has(e, "width 0")) << e;
  // A width change after load is caught too.
  e = ErrorOf([](RawOutput& r) { r.cols = 2, r.values.resize(r.rows * 2); }, false);
  EXPECT_TRUE(has(e, "expected [2, 3]")) << e;
}

TEST(CheckedEncoder, ModuleExceptionsBecomeEncoderErrors) {
  struct Throwing : FakeBackend {
    bool armed = false;
    RawOutput EncodeTokens(const TokenBatch& b) override {
      if (armed) throw std::runtime_error("encode_tokens failed: boom");
      return FakeBackend::EncodeTokens(b);
    }
  };
  auto backend = std::make_unique<Throwing>();
  backend->info_ = TokenInfo();
  Throwing* raw = backend.get();
  auto enc = MakeCheckedEncoder(std::move(backend), "encoder t.pt", {});
  raw->armed = true;
  try {
    enc->Encode({"x"});
    FAIL();
  } catch (const EncoderError& e) {
    EXPECT_STREQ(e.what(), "encoder t.pt: encode_tokens failed: boom");
  }
}

TEST(CheckEmbeddings, NamesTheCallersTextIndex) {
  RawOutput raw{2, 2, {1, 0, 0.5f, 0.5f}};
  try {
    CheckEmbeddings(raw, 2, 2, 1e-3, {7, 9}, "enc");
    FAIL();
  } catch (const EncoderError& e) {
    EXPECT_NE(std::string(e.what()).find("text 9"), std::string::npos) << e.what();
  }
  raw.values = {1, 0, 0.6f, 0.8f};
  EXPECT_NO_THROW(CheckEmbeddings(raw, 2, 2, 1e-3, {7, 9}, "enc"));
}

TEST(CheckedEncoder, RejectsBadOptions) {
  EncoderOptions options;
  options.batch_size = 0;
  EXPECT_THROW(Make(TokenInfo(), options), std::invalid_argument);
}

}  // namespace
}  // namespace tatami::retriever::internal
