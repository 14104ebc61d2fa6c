// The scan path of Retriever (kernels kScalar and kSimd): every accessible row
// is scored by the dot kernels in the fixed order, so the answers are exact
// as computed. Masked-out rows are never read.
//
// Thread-safety: MaskedScan may be called from many threads; calls sharing a
// pool run one after another.
#pragma once

#include <cstddef>
#include <vector>

#include "query_batch.h"
#include "scan_thread_pool.h"
#include "score_kernels.h"
#include "tatami/retriever/retrieval.h"

namespace tatami::retriever::internal {

// The answer to every query of `batch` (result q answers batch.query(q)).
std::vector<std::vector<Hit>> MaskedScan(const EmbeddingMatrix& m, const DotKernels& dots,
                                         const QueryBatch& batch, ScanThreadPool& pool);

}  // namespace tatami::retriever::internal
