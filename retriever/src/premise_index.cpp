#include "tatami/retriever/premise_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <xxhash.h>

#include "index_format.h"

namespace tatami::retriever {

using internal::FileRecordOnDisk;
using internal::IndexHeader;
using internal::PremiseRecordOnDisk;
using internal::StringRef;

namespace {

// A private anonymous mapping holding a copy of the embeddings
// (IndexOpenOptions::load_into_memory); unmapped when destroyed.
struct LoadedEmbeddings {
  void* map = nullptr;
  std::size_t map_size = 0;
  const unsigned char* matrix = nullptr;  // inside map, 2 MiB aligned

  LoadedEmbeddings() = default;
  LoadedEmbeddings(LoadedEmbeddings&& other) noexcept
      : map(std::exchange(other.map, nullptr)),
        map_size(other.map_size),
        matrix(std::exchange(other.matrix, nullptr)) {}
  LoadedEmbeddings& operator=(LoadedEmbeddings&& other) noexcept {
    std::swap(map, other.map);
    std::swap(map_size, other.map_size);
    std::swap(matrix, other.matrix);
    return *this;
  }
  ~LoadedEmbeddings() {
    if (map) ::munmap(map, map_size);
  }
};

}  // namespace

struct PremiseIndex::Impl {
  std::filesystem::path path;
  const unsigned char* base = nullptr;
  std::size_t size = 0;
  IndexHeader header{};
  LoadedEmbeddings loaded;  // empty when the embeddings are read through `base`

  ~Impl() {
    if (base) ::munmap(const_cast<unsigned char*>(base), size);
  }

  const PremiseRecordOnDisk* premises() const {
    return reinterpret_cast<const PremiseRecordOnDisk*>(base + header.premises_offset);
  }
  const FileRecordOnDisk* files() const {
    return reinterpret_cast<const FileRecordOnDisk*>(base + header.files_offset);
  }
  const std::uint32_t* imports() const {
    return reinterpret_cast<const std::uint32_t*>(base + header.imports_offset);
  }
  std::string_view String(const StringRef& ref) const {
    return {reinterpret_cast<const char*>(base + header.strings_offset + ref.offset), ref.length};
  }
};

namespace {

[[noreturn]] void Refuse(const std::filesystem::path& path, const std::string& why) {
  throw IndexError(fmt::format("{}: {}", path.string(), why));
}

bool SectionOk(std::uint64_t offset, std::uint64_t bytes, std::uint64_t file_size,
               std::uint64_t alignment) {
  return offset % alignment == 0 && offset <= file_size && bytes <= file_size - offset;
}

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Closes a descriptor on every way out of Open.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// The x86-64 huge page size; the copy is aligned to it so that transparent
// huge pages can back the whole matrix.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// Reads the embeddings (`bytes` at `offset` of `fd`) into fresh anonymous
// memory with huge pages requested (IndexOpenOptions::load_into_memory).
LoadedEmbeddings LoadEmbeddings(const std::filesystem::path& path, int fd, std::uint64_t offset,
                                std::size_t bytes) {
  const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  const std::size_t map_size = rounded + kHugePageBytes;  // room to align the start
  void* map = ::mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    Refuse(path, fmt::format("cannot allocate {} bytes to load the embeddings into memory: {}",
                             map_size, ErrnoText(errno)));
  }
  LoadedEmbeddings loaded;
  loaded.map = map;
  loaded.map_size = map_size;
  const auto start = (reinterpret_cast<std::uintptr_t>(map) + kHugePageBytes - 1) &
                     ~std::uintptr_t{kHugePageBytes - 1};
  auto* out = reinterpret_cast<unsigned char*>(start);
  // Before the first touch, so that the pages are faulted in huge. A kernel
  // without transparent huge pages refuses (EINVAL): small pages then, same
  // answers.
  ::madvise(out, rounded, MADV_HUGEPAGE);
  for (std::size_t done = 0; done < bytes;) {
    const ::ssize_t got = ::pread(fd, out + done, bytes - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) Refuse(path, fmt::format("cannot read the embeddings: {}", ErrnoText(errno)));
    if (got == 0) Refuse(path, "truncated while the embeddings were being loaded");
    done += static_cast<std::size_t>(got);
  }
  ::mprotect(out, rounded, PROT_READ);  // an open index is immutable
  loaded.matrix = out;
  return loaded;
}

}  // namespace

PremiseIndex::PremiseIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PremiseIndex::PremiseIndex(PremiseIndex&&) noexcept = default;
PremiseIndex& PremiseIndex::operator=(PremiseIndex&&) noexcept = default;
PremiseIndex::~PremiseIndex() = default;

PremiseIndex PremiseIndex::Open(const std::filesystem::path& path,
                                const IndexOpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0) Refuse(path, fmt::format("cannot open index: {}", ErrnoText(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) Refuse(path, "not a regular file");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size < sizeof(IndexHeader)) {
    Refuse(path, fmt::format("truncated: {} bytes, shorter than the {}-byte header", file_size,
                             sizeof(IndexHeader)));
  }
  void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) Refuse(path, fmt::format("cannot map index: {}", ErrnoText(errno)));
  impl->base = static_cast<const unsigned char*>(map);
  impl->size = file_size;
  IndexHeader& h = impl->header;
  std::memcpy(&h, impl->base, sizeof(h));

  if (std::memcmp(h.magic, internal::kIndexMagic, sizeof(h.magic)) != 0) {
    Refuse(path, "not a tatami premise index (bad magic)");
  }
  if (h.version != kIndexFormatVersion) {
    Refuse(path, fmt::format("index format version {}; this build reads version {} (rebuild the "
                             "index with `tatami index build`)",
                             h.version, kIndexFormatVersion));
  }
  if (internal::HashHeader(h) != h.header_checksum)
    Refuse(path, "corrupt header (checksum mismatch)");
  if (h.file_size != file_size) {
    Refuse(path, fmt::format("{}: {} bytes, header says {}",
                             file_size < h.file_size ? "truncated" : "trailing data", file_size,
                             h.file_size));
  }
  if (h.dtype > 1) Refuse(path, fmt::format("unknown embedding type {}", h.dtype));
  const auto type = static_cast<EmbeddingType>(h.dtype);
  if (h.dim == 0 || h.row_stride != PaddedRowElements(h.dim, type)) {
    Refuse(path, fmt::format("bad dimension {} / row stride {}", h.dim, h.row_stride));
  }
  if (h.count > 0xffffffffu || h.file_count > 0xffffffffu) Refuse(path, "too many premises/files");
  const std::uint64_t element = internal::ElementBytes(h.dtype);
  if (h.embeddings_bytes != h.count * h.row_stride * element ||
      !SectionOk(h.embeddings_offset, h.embeddings_bytes, file_size,
                 internal::kEmbeddingAlignment) ||
      !SectionOk(h.strings_offset, h.strings_bytes, file_size, 1) ||
      h.premises_bytes != h.count * sizeof(PremiseRecordOnDisk) ||
      !SectionOk(h.premises_offset, h.premises_bytes, file_size, 8) ||
      h.files_bytes != h.file_count * sizeof(FileRecordOnDisk) ||
      !SectionOk(h.files_offset, h.files_bytes, file_size, 8) || h.imports_bytes % 4 != 0 ||
      !SectionOk(h.imports_offset, h.imports_bytes, file_size, 4) ||
      h.fingerprint_offset > h.strings_bytes ||
      h.fingerprint_bytes > h.strings_bytes - h.fingerprint_offset) {
    Refuse(path, "corrupt: section sizes or offsets do not fit the file");
  }
  if (!(h.max_row_norm >= 0) || !std::isfinite(h.max_row_norm)) Refuse(path, "corrupt: bad norm");

  auto ref_ok = [&](const StringRef& r) {
    return r.offset <= h.strings_bytes && r.length <= h.strings_bytes - r.offset;
  };
  const std::uint64_t import_count = h.imports_bytes / 4;
  std::uint64_t next_premise = 0;
  for (std::uint64_t i = 0; i < h.file_count; ++i) {
    const FileRecordOnDisk& f = impl->files()[i];
    if (!ref_ok(f.path) || f.first_premise != next_premise ||
        std::uint64_t{f.first_premise} + f.premise_count > h.count ||
        f.imports_begin > import_count || f.imports_count > import_count - f.imports_begin) {
      Refuse(path, fmt::format("corrupt: file record {}", i));
    }
    next_premise += f.premise_count;
    for (std::uint32_t j = 0; j < f.imports_count; ++j) {
      if (impl->imports()[f.imports_begin + j] >= h.file_count) {
        Refuse(path, fmt::format("corrupt: import of file record {}", i));
      }
    }
  }
  if (next_premise != h.count) Refuse(path, "corrupt: file records do not cover all premises");
  for (std::uint64_t i = 0; i < h.count; ++i) {
    const PremiseRecordOnDisk& p = impl->premises()[i];
    if (!ref_ok(p.full_name) || !ref_ok(p.kind) || !ref_ok(p.code) || p.file >= h.file_count) {
      Refuse(path, fmt::format("corrupt: premise record {}", i));
    }
  }
  if (options.expected_dim && *options.expected_dim != h.dim) {
    Refuse(path, fmt::format("index has dimension {}, the encoder produces {}", h.dim,
                             *options.expected_dim));
  }
  const std::string_view fingerprint(
      reinterpret_cast<const char*>(impl->base + h.strings_offset + h.fingerprint_offset),
      h.fingerprint_bytes);
  if (options.expected_encoder_fingerprint &&
      *options.expected_encoder_fingerprint != fingerprint) {
    Refuse(path, fmt::format("index was built with encoder \"{}\", not \"{}\"", fingerprint,
                             *options.expected_encoder_fingerprint));
  }
  if (options.load_into_memory && h.embeddings_bytes > 0) {
    impl->loaded = LoadEmbeddings(path, fd, h.embeddings_offset, h.embeddings_bytes);
  }
  PremiseIndex index(std::move(impl));
  if (options.verify_checksum) index.VerifyChecksum();
  if (options.prefetch && !index.embeddings_loaded() && h.embeddings_bytes > 0) {
    ::madvise(const_cast<unsigned char*>(index.impl_->base) + h.embeddings_offset,
              h.embeddings_bytes, MADV_WILLNEED);
  }
  return index;
}

std::uint32_t PremiseIndex::version() const { return impl_->header.version; }
std::size_t PremiseIndex::size() const { return impl_->header.count; }
std::uint32_t PremiseIndex::dim() const { return impl_->header.dim; }
EmbeddingType PremiseIndex::dtype() const {
  return static_cast<EmbeddingType>(impl_->header.dtype);
}
const std::filesystem::path& PremiseIndex::path() const { return impl_->path; }

std::string_view PremiseIndex::encoder_fingerprint() const {
  const IndexHeader& h = impl_->header;
  return {reinterpret_cast<const char*>(impl_->base + h.strings_offset + h.fingerprint_offset),
          h.fingerprint_bytes};
}

EmbeddingMatrix PremiseIndex::matrix() const {
  const IndexHeader& h = impl_->header;
  EmbeddingMatrix m;
  m.data = impl_->loaded.matrix ? impl_->loaded.matrix : impl_->base + h.embeddings_offset;
  m.type = dtype();
  m.rows = h.count;
  m.dim = h.dim;
  m.row_stride = h.row_stride;
  m.max_row_norm = h.max_row_norm;
  return m;
}

bool PremiseIndex::embeddings_loaded() const { return impl_->loaded.matrix != nullptr; }

PremiseRecord PremiseIndex::premise(std::size_t i) const {
  if (i >= size()) throw std::out_of_range(fmt::format("premise {} of {}", i, size()));
  const PremiseRecordOnDisk& p = impl_->premises()[i];
  PremiseRecord r;
  r.full_name = impl_->String(p.full_name);
  r.path = impl_->String(impl_->files()[p.file].path);
  r.kind = impl_->String(p.kind);
  r.code = impl_->String(p.code);
  r.file = p.file;
  r.start = {p.start_line, p.start_column};
  r.end = {p.end_line, p.end_column};
  return r;
}

std::size_t PremiseIndex::file_count() const { return impl_->header.file_count; }

std::string_view PremiseIndex::file_path(std::size_t file) const {
  if (file >= file_count())
    throw std::out_of_range(fmt::format("file {} of {}", file, file_count()));
  return impl_->String(impl_->files()[file].path);
}

FileGraph PremiseIndex::BuildFileGraph() const {
  FileGraph g;
  const std::size_t nf = file_count();
  g.files.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const FileRecordOnDisk& f = impl_->files()[i];
    auto& out = g.files[i];
    out.path = impl_->String(f.path);
    out.first_premise = f.first_premise;
    out.premise_count = f.premise_count;
    out.imports.assign(impl_->imports() + f.imports_begin,
                       impl_->imports() + f.imports_begin + f.imports_count);
  }
  g.premise_end.resize(size());
  for (std::size_t i = 0; i < size(); ++i) {
    const PremiseRecordOnDisk& p = impl_->premises()[i];
    g.premise_end[i] = {p.end_line, p.end_column};
  }
  return g;
}

void PremiseIndex::VerifyChecksum() const {
  const IndexHeader& h = impl_->header;
  const std::uint64_t got =
      XXH64(impl_->base + h.embeddings_offset, h.file_size - h.embeddings_offset, 0);
  if (got != h.content_checksum) {
    Refuse(impl_->path, fmt::format("corrupt: content checksum {:016x}, header says {:016x}", got,
                                    h.content_checksum));
  }
}

}  // namespace tatami::retriever
