#include "checked_encoder.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "encoder_checks.h"
#include "tatami/retriever/byt5_tokenizer.h"

namespace tatami::retriever {

Encoder::~Encoder() = default;

namespace internal {
namespace {

// What the probe at load time encodes: short, and non-ASCII so that a module
// that mishandles multi-byte characters fails early.
const char* const kProbeText = "\xE2\x8A\xA2 True";  // "⊢ True"

class CheckedEncoder final : public Encoder {
 public:
  CheckedEncoder(std::unique_ptr<EncoderBackend> backend, std::string source,
                 const EncoderOptions& options)
      : backend_(std::move(backend)), source_(std::move(source)), options_(options) {
    if (options_.batch_size == 0) throw std::invalid_argument("EncoderOptions::batch_size is 0");
    if (!(options_.norm_tolerance >= 0)) {
      throw std::invalid_argument("EncoderOptions::norm_tolerance must be >= 0");
    }
    const BackendInfo& info = backend_->info();
    max_length_ = options_.max_length ? options_.max_length
                  : info.max_length   ? info.max_length
                                      : kReProverMaxLength;

    // The probe learns the width; CheckEmbeddings then checks it like any output.
    const std::vector<std::string> probe = {kProbeText};
    RawOutput raw = Run(probe, {0});
    if (raw.cols == 0) throw EncoderError(source_ + ": encoder returned embeddings of width 0");
    if (info.declared_dim != 0 && info.declared_dim != raw.cols) {
      throw EncoderError(
          fmt::format("{}: module declares embedding_dim = {} but returned embeddings of width {}",
                      source_, info.declared_dim, raw.cols));
    }
    dim_ = raw.cols;
    CheckEmbeddings(raw, 1, dim_, options_.norm_tolerance, {0}, source_);

    // Truncation changes embeddings, so the token budget is part of the identity.
    fingerprint_ = info.token_path ? fmt::format("{}-byt5-{}", info.weights_digest, max_length_)
                                   : fmt::format("{}-text", info.weights_digest);
  }

  Embeddings Encode(const std::vector<std::string>& texts) override {
    Embeddings out;
    out.rows = texts.size();
    out.dim = dim_;
    out.values.resize(out.rows * out.dim);
    // Validate everything first, so that a bad text fails before any work.
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (auto bad = FindInvalidUtf8(texts[i])) {
        throw InvalidUtf8Error(fmt::format("text {} is not valid UTF-8 (byte offset {})", i, *bad),
                               i, *bad);
      }
    }
    std::vector<std::size_t> order(texts.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return texts[a].size() < texts[b].size();
    });
    for (std::size_t begin = 0; begin < order.size(); begin += options_.batch_size) {
      const std::size_t end = std::min(order.size(), begin + options_.batch_size);
      std::vector<std::size_t> rows(order.begin() + begin, order.begin() + end);
      RawOutput raw = Run(texts, rows);
      CheckEmbeddings(raw, rows.size(), dim_, options_.norm_tolerance, rows, source_);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        std::copy_n(raw.values.data() + r * dim_, dim_, out.values.data() + rows[r] * dim_);
      }
    }
    return out;
  }

  std::size_t dim() const override { return dim_; }
  const std::string& fingerprint() const override { return fingerprint_; }

  std::string Describe() const override {
    const BackendInfo& info = backend_->info();
    return fmt::format(
        "{} (dim {}, {}, {})", source_, dim_,
        info.token_path ? fmt::format("ByT5 bytes tokenised by tatami, max_length {}", max_length_)
                        : std::string("texts tokenised by the module"),
        info.runtime);
  }

 private:
  // Runs the module on texts[rows[0]], texts[rows[1]], ...
  RawOutput Run(const std::vector<std::string>& texts, const std::vector<std::size_t>& rows) {
    try {
      if (backend_->info().token_path) {
        return backend_->EncodeTokens(ByT5EncodeBatch(texts, max_length_, rows));
      }
      std::vector<std::string> batch;
      batch.reserve(rows.size());
      for (std::size_t i : rows) batch.push_back(texts[i]);
      return backend_->EncodeTexts(batch);
    } catch (const InvalidUtf8Error&) {
      throw;
    } catch (const EncoderError&) {
      throw;
    } catch (const std::exception& e) {
      throw EncoderError(source_ + ": " + e.what());
    }
  }

  std::unique_ptr<EncoderBackend> backend_;
  std::string source_;
  EncoderOptions options_;
  std::size_t max_length_ = 0;
  std::size_t dim_ = 0;
  std::string fingerprint_;
};

}  // namespace

std::unique_ptr<Encoder> MakeCheckedEncoder(std::unique_ptr<EncoderBackend> backend,
                                            const std::string& source,
                                            const EncoderOptions& options) {
  return std::make_unique<CheckedEncoder>(std::move(backend), source, options);
}

}  // namespace internal
}  // namespace tatami::retriever
