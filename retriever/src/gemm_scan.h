// The GEMM path of Retriever (kernel kGemm): OpenBLAS scores blocks of rows
// for the whole batch, then every premise whose GEMM score may still belong
// to the exact top-k is rescored in the fixed order and the top-k is selected
// again, so the answers equal MaskedScan's.
//
// Thread-safety: GemmScan may be called from many threads; calls sharing a
// pool run one after another.
#pragma once

#include <cstddef>
#include <vector>

#include "query_batch.h"
#include "scan_thread_pool.h"
#include "score_kernels.h"
#include "tatami/retriever/retrieval.h"

namespace tatami::retriever::internal {

// Largest Euclidean norm of any row of `m` (reads the whole matrix).
float MaxRowNorm(const EmbeddingMatrix& m, const DotKernels& dots);

// The answer to every query of `batch`. `max_row_norm` is an upper bound on
// every row's norm (it bounds the GEMM's rounding error); `block_rows` rows
// are scored per sgemm call.
std::vector<std::vector<Hit>> GemmScan(const EmbeddingMatrix& m, const DotKernels& dots,
                                       const QueryBatch& batch, float max_row_norm,
                                       std::size_t block_rows, ScanThreadPool& pool);

}  // namespace tatami::retriever::internal
