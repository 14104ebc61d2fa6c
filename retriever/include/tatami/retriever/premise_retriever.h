// PremiseRetriever: retrieval by (file, position) over an open premise index,
// the form a prover uses: the accessibility mask of the query's file and
// position is applied inside the top-k.
//
// Thread-safety: thread-safe (see Retriever and Accessibility).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/retriever/accessibility.h"
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/retrieval.h"

namespace tatami::retriever {

// One query: an embedding (PremiseIndex::dim() values) and where it is asked.
struct PremiseQuery {
  std::span<const float> embedding;
  std::string file;  // corpus path of the theorem's file
  Pos position;      // the theorem's position in it
};

class PremiseRetriever {
 public:
  // `index` must outlive the retriever.
  explicit PremiseRetriever(const PremiseIndex& index, const RetrieverOptions& options = {},
                            const AccessibilityOptions& access_options = {});
  ~PremiseRetriever();

  const PremiseIndex& index() const { return index_; }
  const Accessibility& accessibility() const { return access_; }
  const Retriever& retriever() const { return retriever_; }

  // Best min(k, accessible) premises. Throws UnknownFileError for a file not
  // in the index, std::invalid_argument for k <= 0 or a wrong dimension.
  std::vector<Hit> Retrieve(std::span<const float> embedding, std::string_view file, Pos position,
                            int k) const;
  std::vector<std::vector<Hit>> RetrieveBatch(std::span<const PremiseQuery> queries, int k) const;

 private:
  const PremiseIndex& index_;
  Accessibility access_;
  Retriever retriever_;
};

}  // namespace tatami::retriever
