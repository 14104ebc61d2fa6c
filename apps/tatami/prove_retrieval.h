// Premises for `tatami prove --index --encoder`: the source a theorem's
// RetrievalAugmentedGenerator asks for the premises of a proof state, as
// ReProver's prover asks its retriever (the state embedded by the encoder,
// the top premises accessible to the theorem, each as the text ReProver's
// generator was trained on: PremiseText).
//
// Accessibility: a theorem known by a corpus file and a position (LeanDojo
// split files) may use the premises accessible there; a theorem given by its
// statement (JSON Lines, or a .lean file the index does not contain) may use
// every premise of the index, as a file importing the whole library can.
//
// Thread-safety: Premises() may be called from many threads; the encoder,
// which is not thread-safe, is used under a lock.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "retrieval_setup.h"
#include "tatami/retriever/access_mask.h"
#include "tatami/retriever/premise_retriever.h"
#include "tatami/retriever/premise_text.h"

namespace tatami::cli {

class ProveRetrieval {
 public:
  // Throws IndexError / EncoderError as OpenIndexAndEncoder does.
  ProveRetrieval(const std::string& index_path, const EncoderFlags& encoder, int num_premises,
                 const retriever::IndexOpenOptions& open_options = {})
      : opened_(OpenIndexAndEncoder(index_path, encoder, open_options)),
        retriever_(std::make_unique<retriever::PremiseRetriever>(opened_.index)),
        num_premises_(num_premises) {}

  // The premises a theorem may use: at `file` (a corpus path) and
  // `position` when both are known and the index has the file, else all.
  retriever::AccessMask MaskFor(const std::string& file,
                                const std::optional<retriever::Pos>& position) const {
    if (!file.empty() && position && retriever_->accessibility().FindFile(file))
      return retriever_->accessibility().MaskAt(file, *position);
    return retriever::AccessMask(opened_.index.size(), /*all=*/true);
  }

  // The best num_premises premise texts for each state, best first.
  std::vector<std::vector<std::string>> Premises(const std::vector<std::string>& states,
                                                 const retriever::AccessMask& mask) {
    retriever::Embeddings emb;
    {
      std::lock_guard lock(encoder_mu_);
      emb = opened_.encoder->Encode(states);
    }
    std::vector<std::vector<std::string>> out;
    for (std::size_t i = 0; i < states.size(); ++i) {
      std::vector<std::string> texts;
      for (const retriever::Hit& hit :
           retriever_->retriever().Retrieve(emb.row(i), mask, num_premises_)) {
        const retriever::PremiseRecord p = opened_.index.premise(hit.premise);
        texts.push_back(retriever::PremiseText(p.full_name, p.code));
      }
      out.push_back(std::move(texts));
    }
    return out;
  }

  std::string Describe() const { return opened_.encoder->fingerprint(); }

 private:
  OpenedRetrieval opened_;
  std::unique_ptr<retriever::PremiseRetriever> retriever_;
  int num_premises_;
  std::mutex encoder_mu_;
};

}  // namespace tatami::cli
