#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>

#include <fmt/format.h>
#include <xxhash.h>

#include "half.h"
#include "index_format.h"
#include "tatami/retriever/premise_index.h"

namespace tatami::retriever {

using internal::IndexHeader;

namespace {

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

}  // namespace

struct IndexWriter::State {
  std::filesystem::path path;
  std::filesystem::path temp;
  const Corpus* corpus = nullptr;
  std::uint32_t dim = 0;
  std::size_t stride = 0;
  IndexWriterOptions options;
  int fd = -1;
  bool finished = false;
  std::uint64_t offset = 0;  // bytes written so far
  XXH64_state_t* hash = nullptr;
  std::vector<unsigned char> buffer;
  double max_norm_sq = 0;

  ~State() {
    if (hash) XXH64_freeState(hash);
    if (fd >= 0) ::close(fd);
    if (!finished && !temp.empty()) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
    }
  }

  void Flush() {
    const unsigned char* p = buffer.data();
    std::size_t left = buffer.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IndexError(fmt::format("{}: write failed: {}", temp.string(), ErrnoText()));
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    buffer.clear();
  }

  // Appends bytes that are covered by the content checksum.
  void Write(const void* data, std::size_t bytes) {
    XXH64_update(hash, data, bytes);
    const auto* p = static_cast<const unsigned char*>(data);
    buffer.insert(buffer.end(), p, p + bytes);
    offset += bytes;
    if (buffer.size() >= (std::size_t{1} << 20)) Flush();
  }

  void PadTo(std::uint64_t alignment) {
    static const unsigned char zeros[64] = {};
    const std::uint64_t target = internal::AlignUp(offset, alignment);
    if (target > offset) Write(zeros, target - offset);
  }
};

IndexWriter::IndexWriter(const std::filesystem::path& path, const Corpus& corpus, std::uint32_t dim,
                         const IndexWriterOptions& options)
    : state_(std::make_unique<State>()), expected_(corpus.premises().size()) {
  if (dim == 0) throw std::invalid_argument("IndexWriter: dim must be positive");
  State& s = *state_;
  s.path = path;
  s.corpus = &corpus;
  s.dim = dim;
  s.stride = PaddedRowElements(dim, options.dtype);
  s.options = options;
  s.temp = path;
  s.temp += fmt::format(".tmp.{}", ::getpid());
  s.fd = ::open(s.temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s.fd < 0) {
    throw IndexError(fmt::format("{}: cannot create index: {}", s.temp.string(), ErrnoText()));
  }
  s.hash = XXH64_createState();
  XXH64_reset(s.hash, 0);
  // The header is written last; reserve its space (not hashed).
  const IndexHeader blank{};
  s.buffer.insert(s.buffer.end(), reinterpret_cast<const unsigned char*>(&blank),
                  reinterpret_cast<const unsigned char*>(&blank) + sizeof(blank));
  s.offset = internal::AlignUp(sizeof(IndexHeader), internal::kEmbeddingAlignment);
  s.buffer.resize(s.offset, 0);
}

IndexWriter::~IndexWriter() = default;

void IndexWriter::Append(std::span<const float> rows) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("IndexWriter::Append after Finish");
  if (rows.size() % s.dim != 0) {
    throw std::invalid_argument(
        fmt::format("IndexWriter::Append: {} values is not a whole number of rows of dimension {}",
                    rows.size(), s.dim));
  }
  const std::size_t n = rows.size() / s.dim;
  if (appended_ + n > expected_) {
    throw std::invalid_argument(
        fmt::format("IndexWriter::Append: {} rows appended but the corpus has {} premises",
                    appended_ + n, expected_));
  }
  std::vector<float> f32(s.stride, 0.0f);
  std::vector<std::uint16_t> f16(s.stride, 0);
  for (std::size_t r = 0; r < n; ++r) {
    const float* in = rows.data() + r * s.dim;
    for (std::size_t i = 0; i < s.dim; ++i) {
      if (!std::isfinite(in[i])) {
        throw std::invalid_argument(
            fmt::format("IndexWriter::Append: embedding of premise {} has a non-finite value at {}",
                        appended_ + r, i));
      }
    }
    double norm = 0;
    if (s.options.dtype == EmbeddingType::kF32) {
      std::memcpy(f32.data(), in, s.dim * sizeof(float));
      for (std::size_t i = 0; i < s.dim; ++i) norm += static_cast<double>(in[i]) * in[i];
      s.Write(f32.data(), s.stride * sizeof(float));
    } else {
      internal::FloatToHalf(in, f16.data(), s.dim);
      for (std::size_t i = 0; i < s.dim; ++i) {
        if (std::isinf(internal::HalfToFloat(f16[i]))) {
          throw std::invalid_argument(
              fmt::format("IndexWriter::Append: embedding of premise {} overflows f16 at {} ({})",
                          appended_ + r, i, in[i]));
        }
        const double v = internal::HalfToFloat(f16[i]);
        norm += v * v;
      }
      s.Write(f16.data(), s.stride * sizeof(std::uint16_t));
    }
    s.max_norm_sq = std::max(s.max_norm_sq, norm);
  }
  appended_ += n;
}

void IndexWriter::Finish() {
  State& s = *state_;
  if (s.finished) throw std::logic_error("IndexWriter::Finish called twice");
  if (appended_ != expected_) {
    throw IndexError(fmt::format("{}: {} embeddings appended but the corpus has {} premises",
                                 s.path.string(), appended_, expected_));
  }
  const Corpus& corpus = *s.corpus;
  IndexHeader h{};
  std::memcpy(h.magic, internal::kIndexMagic, sizeof(h.magic));
  h.version = kIndexFormatVersion;
  h.dtype = static_cast<std::uint32_t>(s.options.dtype);
  h.dim = s.dim;
  h.row_stride = static_cast<std::uint32_t>(s.stride);
  h.count = expected_;
  h.file_count = corpus.files().size();
  h.embeddings_offset = internal::AlignUp(sizeof(IndexHeader), internal::kEmbeddingAlignment);
  h.embeddings_bytes = s.offset - h.embeddings_offset;
  // Strictly above the largest norm, so the GEMM error bound stays a bound.
  h.max_row_norm = static_cast<float>(std::sqrt(s.max_norm_sq) * (1 + 1e-6));

  // String blob: fingerprint, paths, then each premise's strings (kinds shared).
  std::string blob;
  auto add = [&blob](std::string_view text) {
    if (text.size() > 0xffffffffu) throw IndexError("IndexWriter: string longer than 4 GiB");
    internal::StringRef ref{blob.size(), static_cast<std::uint32_t>(text.size()), 0};
    blob.append(text);
    return ref;
  };
  const internal::StringRef fingerprint = add(s.options.encoder_fingerprint);
  std::vector<internal::FileRecordOnDisk> files;
  std::vector<std::uint32_t> imports;
  for (const CorpusFile& f : corpus.files()) {
    internal::FileRecordOnDisk rec{};
    rec.path = add(f.path);
    rec.first_premise = f.first_premise;
    rec.premise_count = f.premise_count;
    rec.imports_begin = imports.size();
    for (const std::string& imp : f.imports) {
      // Imports of files outside the corpus are reported by the corpus; the
      // index keeps the graph it can use.
      if (auto id = corpus.FindFile(imp)) imports.push_back(*id);
    }
    rec.imports_count = static_cast<std::uint32_t>(imports.size() - rec.imports_begin);
    files.push_back(rec);
  }
  std::map<std::string, internal::StringRef, std::less<>> kinds;
  std::vector<internal::PremiseRecordOnDisk> premises;
  premises.reserve(corpus.premises().size());
  for (const Premise& p : corpus.premises()) {
    internal::PremiseRecordOnDisk rec{};
    rec.full_name = add(p.full_name);
    auto kind = kinds.find(p.kind);
    if (kind == kinds.end()) kind = kinds.emplace(p.kind, add(p.kind)).first;
    rec.kind = kind->second;
    rec.code = add(p.code);
    rec.file = p.file;
    rec.start_line = p.start.line;
    rec.start_column = p.start.column;
    rec.end_line = p.end.line;
    rec.end_column = p.end.column;
    premises.push_back(rec);
  }
  h.fingerprint_offset = fingerprint.offset;
  h.fingerprint_bytes = fingerprint.length;

  h.strings_offset = s.offset;
  h.strings_bytes = blob.size();
  s.Write(blob.data(), blob.size());
  s.PadTo(8);
  h.premises_offset = s.offset;
  h.premises_bytes = premises.size() * sizeof(internal::PremiseRecordOnDisk);
  s.Write(premises.data(), h.premises_bytes);
  h.files_offset = s.offset;
  h.files_bytes = files.size() * sizeof(internal::FileRecordOnDisk);
  s.Write(files.data(), h.files_bytes);
  h.imports_offset = s.offset;
  h.imports_bytes = imports.size() * sizeof(std::uint32_t);
  s.Write(imports.data(), h.imports_bytes);
  s.Flush();
  h.file_size = s.offset;
  h.content_checksum = XXH64_digest(s.hash);
  h.header_checksum = internal::HashHeader(h);
  if (::pwrite(s.fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h)) || ::fsync(s.fd) != 0) {
    throw IndexError(fmt::format("{}: write failed: {}", s.temp.string(), ErrnoText()));
  }
  if (::close(s.fd) != 0) {
    s.fd = -1;
    throw IndexError(fmt::format("{}: close failed: {}", s.temp.string(), ErrnoText()));
  }
  s.fd = -1;
  std::error_code ec;
  std::filesystem::rename(s.temp, s.path, ec);
  if (ec) {
    throw IndexError(
        fmt::format("cannot rename {} to {}: {}", s.temp.string(), s.path.string(), ec.message()));
  }
  s.finished = true;
  // Make the rename durable.
  const auto dir = s.path.has_parent_path() ? s.path.parent_path() : std::filesystem::path(".");
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace tatami::retriever
