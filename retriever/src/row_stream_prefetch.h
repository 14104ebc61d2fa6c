// RowStreamPrefetcher: software prefetch for a scan over a list of scattered
// rows (included by the AVX2 kernels and the retrieval benchmark's read probe;
// uses SSE's prefetch instruction). The AVX-512 kernels, which read twelve
// rows at once, prefetch per row stream instead (score_kernels_avx512.cpp).
//
// The listed rows are treated as one virtual stream, and the prefetcher stays
// a fixed number of bytes ahead of the reader in that stream: for every cache
// line the kernel consumes, the line `kRowPrefetchDistanceBytes` further
// along is requested. Gaps left by masked-out rows then cost nothing, since
// the line after a gap was requested as long before it is needed as any other.
// Prefetching a fixed number of rows ahead instead puts twice as many bytes
// in flight for f32 rows as for f16 rows, one of them too few or the other
// too many; the hardware prefetcher alone stalls at every gap.
//
// Thread-safety: a value owned by one scanning thread.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace tatami::retriever::internal {

// How far ahead of the reader lines are requested. Enough to cover the memory
// latency at one core's share of the bandwidth (about 100 ns x 30 GB/s is 3 KB)
// with room for the latency under load, yet well inside the L1 data cache
// (32-48 KB) so that prefetched lines are not evicted before they are read.
inline constexpr std::size_t kRowPrefetchDistanceBytes = 8192;

class RowStreamPrefetcher {
 public:
  // `rows[0..count)` index rows of `row_bytes` bytes at `matrix` (index rows
  // are padded to 64 bytes, so lines and rows align; other widths only make
  // the distance approximate). The stream's first `rows_together` rows and
  // `kRowPrefetchDistanceBytes` more are requested at once, as the reader is
  // about to start on them.
  // `rows_together`: how many listed rows the kernel reads side by side (at
  // the same offsets). Its position in the stream then runs that many rows
  // ahead of its slowest row, so the distance is counted from there: with a
  // fixed distance shorter than those rows, the requests would land on lines
  // being read already and the rows after them would not be requested early.
  RowStreamPrefetcher(const void* matrix, std::size_t row_bytes, const std::uint32_t* rows,
                      std::size_t count, std::size_t rows_together)
      : matrix_(static_cast<const char*>(matrix)),
        row_bytes_(row_bytes),
        rows_(rows),
        count_(count) {
    if (count_ > 0) row_ = matrix_ + std::size_t{rows_[0]} * row_bytes_;
    const std::size_t ahead = rows_together * row_bytes_ + kRowPrefetchDistanceBytes;
    for (std::size_t b = 0; b < ahead; b += 64) Step();
  }

  // Requests the next line of the stream (nothing once the stream is done).
  void Step() {
    if (next_ >= count_) return;
    _mm_prefetch(row_ + offset_, _MM_HINT_T0);
    offset_ += 64;
    if (offset_ >= row_bytes_) {
      offset_ = 0;
      if (++next_ < count_) row_ = matrix_ + std::size_t{rows_[next_]} * row_bytes_;
    }
  }

  // Requests `lines` lines: a kernel calls it with the number it consumed.
  void Advance(std::size_t lines) {
    for (std::size_t i = 0; i < lines; ++i) Step();
  }

 private:
  const char* matrix_;
  std::size_t row_bytes_;
  const std::uint32_t* rows_;
  std::size_t count_;
  std::size_t next_ = 0;  // the row holding the next line to request
  std::size_t offset_ = 0;
  const char* row_ = nullptr;
};

}  // namespace tatami::retriever::internal
