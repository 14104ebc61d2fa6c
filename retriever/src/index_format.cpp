#include "index_format.h"

#include <xxhash.h>

namespace tatami::retriever::internal {

std::uint64_t HashHeader(const IndexHeader& h) { return XXH64(&h, kHeaderChecksummedBytes, 0); }

}  // namespace tatami::retriever::internal
