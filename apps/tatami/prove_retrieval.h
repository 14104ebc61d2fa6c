// Premises for `tatami prove --index --encoder`: the premise source of the
// RetrievalAugmentedGenerator in front of the model, asked for the premises
// of a batch of proof states (of any theorems at once), as
// ReProver's prover asks its retriever (the state embedded by the encoder,
// the top premises accessible to the theorem, each as the text ReProver's
// generator was trained on: PremiseText).
//
// Accessibility: a theorem known by a corpus file and a position (LeanDojo
// split files) may use the premises accessible there; a theorem given by its
// statement (JSON Lines, or a .lean file the index does not contain) may use
// every premise of the index, as a file importing the whole library can.
//
// Thread-safety: thread-safe; the encoder, which is not, is used under a
// lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
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
        num_premises_(num_premises),
        all_(std::make_shared<const retriever::AccessMask>(opened_.index.size(), /*all=*/true)) {}

  // The premise scope (GenerationRequest::premise_scope) of a theorem's
  // search, known until the guard ends: for a theorem at `file` (a corpus
  // path) and `position` when both are known and the index has the file, a
  // scope of the premises accessible there; for any other, scope 0, every
  // premise.
  class Scope {
   public:
    Scope(Scope&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), id_(o.id_) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Scope& operator=(Scope&&) = delete;
    ~Scope() {
      if (!owner_) return;
      std::lock_guard lock(owner_->scopes_mu_);
      owner_->scopes_.erase(id_);
    }
    std::uint64_t id() const { return id_; }

   private:
    friend class ProveRetrieval;
    Scope(ProveRetrieval* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    ProveRetrieval* owner_;  // null for scope 0, which is never removed
    std::uint64_t id_;
  };
  Scope ScopeFor(const std::string& file, const std::optional<retriever::Pos>& position) {
    if (file.empty() || !position || !retriever_->accessibility().FindFile(file))
      return Scope(nullptr, 0);
    auto mask = std::make_shared<const retriever::AccessMask>(
        retriever_->accessibility().MaskAt(file, *position));
    std::lock_guard lock(scopes_mu_);
    const std::uint64_t id = next_scope_++;
    scopes_.emplace(id, std::move(mask));
    return Scope(this, id);
  }

  // The best num_premises premise texts for each state within its scope,
  // best first: the states embedded in one encoder call and searched in one
  // batched scan. A scope that has ended (its theorem's search ended while a
  // batch with a prediction of it was being formed; that answer is not used)
  // gets no premises; one never given out is a caller's error
  // (std::invalid_argument).
  std::vector<std::vector<std::string>> Premises(const std::vector<std::string>& states,
                                                 const std::vector<std::uint64_t>& scopes) {
    if (scopes.size() != states.size())
      throw std::invalid_argument("ProveRetrieval::Premises: " + std::to_string(scopes.size()) +
                                  " scopes for " + std::to_string(states.size()) + " states");
    // Held until the scan ends, however the scopes change meanwhile.
    std::vector<std::shared_ptr<const retriever::AccessMask>> held(states.size());
    {
      std::lock_guard lock(scopes_mu_);
      for (std::size_t i = 0; i < scopes.size(); ++i) {
        if (scopes[i] >= next_scope_)
          throw std::invalid_argument("ProveRetrieval::Premises: premise scope " +
                                      std::to_string(scopes[i]) + " was never given out");
        if (scopes[i] == 0) {
          held[i] = all_;
        } else if (auto it = scopes_.find(scopes[i]); it != scopes_.end()) {
          held[i] = it->second;
        }
      }
    }
    std::vector<std::string> texts;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < states.size(); ++i)
      if (held[i]) {
        texts.push_back(states[i]);
        which.push_back(i);
      }
    std::vector<std::vector<std::string>> out(states.size());
    if (texts.empty()) return out;
    retriever::Embeddings emb;
    {
      std::lock_guard lock(encoder_mu_);
      emb = opened_.encoder->Encode(texts);
    }
    std::vector<const retriever::AccessMask*> masks;
    masks.reserve(which.size());
    for (std::size_t i : which) masks.push_back(held[i].get());
    const std::vector<std::vector<retriever::Hit>> hits =
        retriever_->retriever().RetrieveBatch(emb.values, masks, num_premises_);
    for (std::size_t k = 0; k < which.size(); ++k)
      for (const retriever::Hit& hit : hits[k]) {
        const retriever::PremiseRecord p = opened_.index.premise(hit.premise);
        out[which[k]].push_back(retriever::PremiseText(p.full_name, p.code));
      }
    return out;
  }

  std::string Describe() const { return opened_.encoder->fingerprint(); }

 private:
  OpenedRetrieval opened_;
  std::unique_ptr<retriever::PremiseRetriever> retriever_;
  int num_premises_;
  std::shared_ptr<const retriever::AccessMask> all_;
  std::mutex encoder_mu_;
  std::mutex scopes_mu_;
  std::map<std::uint64_t, std::shared_ptr<const retriever::AccessMask>> scopes_;  // scopes_mu_
  std::uint64_t next_scope_ = 1;                                                  // scopes_mu_
};

}  // namespace tatami::cli
