#include "masked_scan.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "top_k.h"

namespace tatami::retriever::internal {
namespace {

// A run of mask words [begin, end) handed to one thread at a time.
struct Chunk {
  std::size_t begin;
  std::size_t end;
};

// Rows per chunk that some query may see. Threads take chunks from a shared
// counter rather than fixed halves, so a thread that is descheduled (a busy
// machine) or a mask that is dense in one region does not leave the other
// thread idle; cutting chunks by accessible rows rather than by rows keeps
// their cost equal, so the last chunk taken ends at about the same time on
// every thread.
constexpr std::size_t kChunkAccessibleRows = 512;
// Bounds a chunk's row list (64 words = 4096 rows) when the masks are sparse.
constexpr std::size_t kChunkMaxWords = 64;

std::vector<Chunk> ChunksByAccessibleRows(std::span<const std::uint64_t> any) {
  std::vector<Chunk> chunks;
  std::size_t begin = 0, rows = 0;
  for (std::size_t w = 0; w < any.size(); ++w) {
    rows += static_cast<std::size_t>(std::popcount(any[w]));
    if (rows >= kChunkAccessibleRows || w + 1 - begin >= kChunkMaxWords) {
      if (rows > 0) chunks.push_back({begin, w + 1});
      begin = w + 1;
      rows = 0;
    }
  }
  if (rows > 0) chunks.push_back({begin, any.size()});
  return chunks;
}

// Per-thread state: a top-k per query and the scratch row lists of a chunk
// and of the one after it.
struct ScanState {
  ScanState(std::size_t queries, std::size_t k) : tops(queries, TopK(k)) {
    rows.reserve(kChunkMaxWords * 64);
    next_rows.reserve(kChunkMaxWords * 64);
    scores.reserve(kChunkMaxWords * 64);
  }
  std::vector<TopK> tops;
  std::vector<std::uint32_t> rows, next_rows;
  std::vector<float> scores;
};

// The rows of `chunk` that `words` (a mask) lets through, in order.
void ListRows(std::span<const std::uint64_t> words, Chunk chunk, std::vector<std::uint32_t>* rows) {
  rows->clear();
  for (std::size_t w = chunk.begin; w < chunk.end; ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      rows->push_back(static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits)));
    }
  }
}

// Requests the lines the kernel reads first when it starts on `rows`: the
// heads of the rows it reads side by side.
void PrefetchFirstRows(const EmbeddingMatrix& m, const std::vector<std::uint32_t>& rows) {
  const std::size_t row_bytes = m.row_stride * (m.type == EmbeddingType::kF32 ? 4 : 2);
  const auto* base = static_cast<const char*>(m.data);
  for (std::size_t i = 0; i < std::min(kRowsReadTogether, rows.size()); ++i) {
    const char* row = base + std::size_t{rows[i]} * row_bytes;
    for (std::size_t b = 0; b < std::min(kStreamPrefetchBytes, row_bytes); b += 64) {
      __builtin_prefetch(row + b);
    }
  }
}

// Scores state.rows for query q (into state.scores).
void ScoreListedRows(const EmbeddingMatrix& m, const DotKernels& dots, const QueryBatch& batch,
                     std::size_t q, ScanState& state) {
  state.scores.resize(state.rows.size());
  ScoreRows(dots, m, batch.query(q), state.rows.data(), state.rows.size(), state.scores.data());
}

// Offers the scored state.rows to query q's top-k.
void KeepBest(ScanState& state, std::size_t q) {
  TopK& top = state.tops[q];
  for (std::size_t i = 0; i < state.rows.size(); ++i) top.Push(state.scores[i], state.rows[i]);
}

// One query over its chunks, taken one ahead from `next_chunk`: a chunk's
// accessible rows are listed first, so that the kernel sees the whole
// sequence of rows it must read and can prefetch ahead; while the scores of
// one chunk enter the top-k, the first rows of the next are already being
// fetched (the memory would otherwise idle then, and the next chunk would
// start by waiting a full memory latency).
void ScanOneQuery(const EmbeddingMatrix& m, const DotKernels& dots, const QueryBatch& batch,
                  std::size_t q, std::span<const Chunk> chunks,
                  std::atomic<std::size_t>& next_chunk, ScanState& state) {
  const auto words = batch.mask(q).words();
  std::size_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
  if (c < chunks.size()) ListRows(words, chunks[c], &state.rows);
  while (c < chunks.size()) {
    const std::size_t following = next_chunk.fetch_add(1, std::memory_order_relaxed);
    ScoreListedRows(m, dots, batch, q, state);
    if (following < chunks.size()) {
      ListRows(words, chunks[following], &state.next_rows);
      PrefetchFirstRows(m, state.next_rows);
    }
    KeepBest(state, q);
    std::swap(state.rows, state.next_rows);
    c = following;
  }
}

// One query over one chunk (the odd one out of a batch).
void ScanChunkOfOneQuery(const EmbeddingMatrix& m, const DotKernels& dots, const QueryBatch& batch,
                         std::size_t q, Chunk chunk, ScanState& state) {
  ListRows(batch.mask(q).words(), chunk, &state.rows);
  ScoreListedRows(m, dots, batch, q, state);
  KeepBest(state, q);
}

// Queries q and q + 1 over one chunk: a row both may see is read once for
// both (the 64 rows of a word stay in cache while the pair scans them).
void ScanQueryPair(const EmbeddingMatrix& m, const DotKernels& dots, const QueryBatch& batch,
                   std::size_t q, Chunk chunk, ScanState& state) {
  const auto w0 = batch.mask(q).words(), w1 = batch.mask(q + 1).words();
  TopK& top0 = state.tops[q];
  TopK& top1 = state.tops[q + 1];
  for (std::size_t w = chunk.begin; w < chunk.end; ++w) {
    const std::uint64_t m0 = w0[w], m1 = w1[w];
    for (std::uint64_t bits = m0 | m1; bits != 0; bits &= bits - 1) {
      const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
      const std::uint64_t bit = std::uint64_t{1} << (r & 63);
      if ((m0 & bit) && (m1 & bit)) {
        float s[2];
        RowDot2(dots, m, batch.query(q), batch.query(q + 1), r, s);
        top0.Push(s[0], static_cast<std::uint32_t>(r));
        top1.Push(s[1], static_cast<std::uint32_t>(r));
      } else if (m0 & bit) {
        top0.Push(RowDot(dots, m, batch.query(q), r), static_cast<std::uint32_t>(r));
      } else {
        top1.Push(RowDot(dots, m, batch.query(q + 1), r), static_cast<std::uint32_t>(r));
      }
    }
  }
}

}  // namespace

std::vector<std::vector<Hit>> MaskedScan(const EmbeddingMatrix& m, const DotKernels& dots,
                                         const QueryBatch& batch, ScanThreadPool& pool) {
  const std::size_t nq = batch.size();
  const std::vector<Chunk> chunks = ChunksByAccessibleRows(batch.union_words());
  std::atomic<std::size_t> next_chunk{0};
  std::vector<ScanState> states;
  states.reserve(pool.size());
  for (unsigned t = 0; t < pool.size(); ++t) states.emplace_back(nq, batch.k());
  pool.Run([&](unsigned t) {
    ScanState& state = states[t];
    if (nq == 1) {
      ScanOneQuery(m, dots, batch, 0, chunks, next_chunk, state);
      return;
    }
    for (;;) {
      const std::size_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks.size()) break;
      std::size_t q = 0;
      for (; q + 2 <= nq; q += 2) ScanQueryPair(m, dots, batch, q, chunks[c], state);
      if (q < nq) ScanChunkOfOneQuery(m, dots, batch, q, chunks[c], state);
    }
  });
  std::vector<std::vector<Hit>> results(nq);
  for (std::size_t q = 0; q < nq; ++q) {
    std::vector<Scored> all;
    for (const ScanState& state : states) {
      all.insert(all.end(), state.tops[q].entries().begin(), state.tops[q].entries().end());
    }
    results[q] = ToHits(all, batch.k());
  }
  return results;
}

}  // namespace tatami::retriever::internal
