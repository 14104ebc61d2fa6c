// On-disk layout of a premise index file (see premise_index.h). All integers
// little-endian; the structs are written as they are laid out in memory on
// x86-64 / aarch64 little-endian machines, which the static_asserts pin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tatami::retriever::internal {

inline constexpr char kIndexMagic[8] = {'T', 'A', 'T', 'A', 'M', 'I', 'D', 'X'};
inline constexpr std::size_t kEmbeddingAlignment = 64;

struct IndexHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t dtype;  // EmbeddingType
  std::uint32_t dim;
  std::uint32_t row_stride;  // elements per stored row
  std::uint64_t count;       // premises = rows
  std::uint64_t file_count;
  std::uint64_t embeddings_offset, embeddings_bytes;
  std::uint64_t strings_offset, strings_bytes;
  std::uint64_t premises_offset, premises_bytes;
  std::uint64_t files_offset, files_bytes;
  std::uint64_t imports_offset, imports_bytes;
  std::uint64_t fingerprint_offset, fingerprint_bytes;  // within the string blob
  std::uint64_t file_size;
  float max_row_norm;  // of the stored (possibly f16-rounded) rows
  std::uint32_t reserved0;
  std::uint64_t content_checksum;  // XXH64 (seed 0) of bytes [embeddings_offset, file_size)
  std::uint8_t reserved[88];
  std::uint64_t header_checksum;  // XXH64 (seed 0) of the 248 bytes before it
};
static_assert(sizeof(IndexHeader) == 256);
inline constexpr std::size_t kHeaderChecksummedBytes = offsetof(IndexHeader, header_checksum);

struct StringRef {
  std::uint64_t offset;  // within the string blob
  std::uint32_t length;
  std::uint32_t reserved;
};
static_assert(sizeof(StringRef) == 16);

struct PremiseRecordOnDisk {
  StringRef full_name, kind, code;
  std::uint32_t file;
  std::int32_t start_line, start_column, end_line, end_column;
  std::uint32_t reserved;
};
static_assert(sizeof(PremiseRecordOnDisk) == 72);

struct FileRecordOnDisk {
  StringRef path;
  std::uint32_t first_premise, premise_count;
  std::uint64_t imports_begin;  // index into the import array
  std::uint32_t imports_count;
  std::uint32_t reserved;
};
static_assert(sizeof(FileRecordOnDisk) == 40);

inline std::size_t ElementBytes(std::uint32_t dtype) { return dtype == 0 ? 4 : 2; }

inline std::uint64_t AlignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

std::uint64_t HashHeader(const IndexHeader& h);

}  // namespace tatami::retriever::internal
