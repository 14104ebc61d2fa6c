// Premise index file: the embeddings of every premise of a corpus, plus what
// is needed to answer queries without the corpus (premise names, positions,
// kinds, code, and the file import graph), in one versioned file that is
// memory-mapped at load.
//
// Layout (little-endian): a 256-byte header {magic "TATAMIDX", version, dtype,
// dim, row stride, count, encoder fingerprint, section offsets/sizes, max row
// norm, xxhash64 of the header and of everything after it}; the embedding
// matrix at a 64-byte aligned offset (rows padded, see EmbeddingMatrix); then
// the metadata sections (string blob, fixed-size premise records, file
// records, import lists). Written to a temporary file and renamed into place,
// so a reader never sees a half-written index.
//
// Opening checks magic, version, the header checksum, every size and offset
// against the file size (a truncated file is refused) and every record's
// references; it does not read the embeddings, so it takes milliseconds. The
// full-content checksum reads the whole file (about a second for Mathlib at
// f32) and runs when IndexOpenOptions::verify_checksum is set or on
// VerifyChecksum().
//
// Thread-safety: an open PremiseIndex is immutable; const members may be
// called from many threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tatami/retriever/accessibility.h"
#include "tatami/retriever/corpus.h"
#include "tatami/retriever/embedding_matrix.h"

namespace tatami::retriever {

inline constexpr std::uint32_t kIndexFormatVersion = 1;

// An index file that cannot be used: missing, unreadable, truncated, corrupt,
// of another format version, or built for another encoder or dimension.
class IndexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IndexOpenOptions {
  // Hash the whole file and compare with the stored checksum. Default: false
  // (structure is always checked; this catches flipped bits in the
  // embeddings at the cost of reading them all).
  bool verify_checksum = false;

  // Refuse an index whose encoder fingerprint differs. Default: unset (accept
  // any encoder).
  std::optional<std::string> expected_encoder_fingerprint;

  // Refuse an index whose embedding dimension differs. Default: unset.
  std::optional<std::uint32_t> expected_dim;

  // Ask the kernel to start reading the embeddings in the background
  // (madvise WILLNEED) so the first query does not wait on the disk.
  // Ignored with load_into_memory, which reads them at once. Default: true.
  bool prefetch = true;

  // Copy the embeddings at open into private anonymous memory aligned to
  // 2 MiB, asking for transparent huge pages (madvise MADV_HUGEPAGE), and
  // query that copy instead of the file mapping. A masked query jumps from
  // row to row; on 4 KiB pages (what a file's page cache usually has) nearly
  // every jump is a TLB miss and a page walk, which makes scattered rows
  // markedly slower to read than contiguous ones. Cost: open reads the whole
  // matrix (measured from the page cache: 0.13 s per GB into memory the
  // process had used before, 1.3-2.7 s per GB for the first copy of a fresh
  // process on a virtual machine; disk speed when not cached), and the
  // process holds a second copy of it: the matrix's size in anonymous RSS,
  // beside whatever page cache the file keeps. Huge pages are
  // a request: with transparent huge pages off (`never`) or memory too
  // fragmented the copy has small pages, and the answers are the same.
  // Throws IndexError when the memory cannot be allocated or the file read.
  // Default: false (the embeddings are read through the mapping).
  bool load_into_memory = false;
};

// One premise's metadata; views point into the mapped file.
struct PremiseRecord {
  std::string_view full_name;
  std::string_view path;
  std::string_view kind;
  std::string_view code;
  std::uint32_t file = 0;
  Pos start;
  Pos end;
};

class PremiseIndex {
 public:
  // Maps and checks an index file. Throws IndexError.
  static PremiseIndex Open(const std::filesystem::path& path, const IndexOpenOptions& options = {});

  PremiseIndex(PremiseIndex&&) noexcept;
  PremiseIndex& operator=(PremiseIndex&&) noexcept;
  ~PremiseIndex();

  std::uint32_t version() const;
  std::size_t size() const;  // number of premises
  std::uint32_t dim() const;
  EmbeddingType dtype() const;
  std::string_view encoder_fingerprint() const;
  const std::filesystem::path& path() const;

  // The embeddings, valid while this index lives.
  EmbeddingMatrix matrix() const;

  // Whether matrix() points to a copy in memory (load_into_memory) rather
  // than into the file mapping.
  bool embeddings_loaded() const;

  // Metadata of premise i (i < size()).
  PremiseRecord premise(std::size_t i) const;

  std::size_t file_count() const;
  std::string_view file_path(std::size_t file) const;

  // The stored import graph (for Accessibility).
  FileGraph BuildFileGraph() const;

  // Recomputes the content checksum. Throws IndexError on mismatch.
  void VerifyChecksum() const;

 private:
  struct Impl;
  explicit PremiseIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct IndexWriterOptions {
  // Storage type of the embeddings. Default: f32.
  EmbeddingType dtype = EmbeddingType::kF32;

  // Identifies the encoder that produced the embeddings (e.g. model name and
  // a hash of its weights); queries check it. Default: empty.
  std::string encoder_fingerprint;
};

// Writes an index for a corpus: append the embeddings of its premises in
// corpus order (in batches, as they are encoded), then Finish(). Nothing is
// visible at `path` until Finish() renames the completed temporary file into
// place; destroying an unfinished writer removes the temporary file.
//
// Thread-safety: not thread-safe.
class IndexWriter {
 public:
  // Throws IndexError when the temporary file cannot be created, and
  // std::invalid_argument when dim is 0.
  IndexWriter(const std::filesystem::path& path, const Corpus& corpus, std::uint32_t dim,
              const IndexWriterOptions& options = {});
  ~IndexWriter();
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  // Appends rows.size() / dim embeddings (row-major). Throws
  // std::invalid_argument when rows.size() is not a multiple of dim, when a
  // value is not finite, or when more rows than premises are appended;
  // IndexError on a write failure.
  void Append(std::span<const float> rows);

  std::size_t appended() const { return appended_; }
  std::size_t expected() const { return expected_; }

  // Writes the metadata and header, syncs and renames. Throws IndexError when
  // fewer rows than premises were appended or on a write failure.
  void Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::size_t appended_ = 0;
  std::size_t expected_ = 0;
};

}  // namespace tatami::retriever
