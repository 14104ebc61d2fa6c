#include "tatami/retriever/premise_retriever.h"

#include <fmt/format.h>

namespace tatami::retriever {

PremiseRetriever::PremiseRetriever(const PremiseIndex& index, const RetrieverOptions& options,
                                   const AccessibilityOptions& access_options)
    : index_(index),
      access_(index.BuildFileGraph(), access_options),
      retriever_(index.matrix(), options) {}

PremiseRetriever::~PremiseRetriever() = default;

std::vector<Hit> PremiseRetriever::Retrieve(std::span<const float> embedding, std::string_view file,
                                            Pos position, int k) const {
  const AccessMask mask = access_.MaskAt(file, position);
  return retriever_.Retrieve(embedding, mask, k);
}

std::vector<std::vector<Hit>> PremiseRetriever::RetrieveBatch(std::span<const PremiseQuery> queries,
                                                              int k) const {
  const std::size_t dim = index_.dim();
  std::vector<float> embeddings;
  embeddings.reserve(queries.size() * dim);
  std::vector<AccessMask> masks;
  masks.reserve(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const PremiseQuery& q = queries[i];
    if (q.embedding.size() != dim) {
      throw std::invalid_argument(fmt::format("query {}: embedding has {} values, the index {}", i,
                                              q.embedding.size(), dim));
    }
    embeddings.insert(embeddings.end(), q.embedding.begin(), q.embedding.end());
    masks.push_back(access_.MaskAt(q.file, q.position));
  }
  std::vector<const AccessMask*> pointers;
  for (const AccessMask& m : masks) pointers.push_back(&m);
  return retriever_.RetrieveBatch(embeddings, pointers, k);
}

}  // namespace tatami::retriever
