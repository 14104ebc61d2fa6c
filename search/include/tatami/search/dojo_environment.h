// DojoEnvironment: a SearchEnvironment that runs tactics in Lean through a
// Dojo, for one entered theorem.
//
// A Lean error, timeout, given-up tactic or rejected proof is a TacticFailed
// (its Describe line, its FailureKind and the LeanError's message);
// ProofFinished is a ProofClosed.
//
// Thread-safety: not thread-safe; one search at a time uses it (the Dojo
// itself is shared safely between environments of different theorems).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/dojo/dojo.h"
#include "tatami/search/search_environment.h"

namespace tatami::search {

class DojoEnvironment : public SearchEnvironment {
 public:
  // `root` is the entered theorem's initial state; `dojo` must outlive this.
  DojoEnvironment(dojo::Dojo& dojo, dojo::TacticState root);

  const std::string& RootPretty() const override;
  TacticOutcome Run(std::size_t handle, std::string_view tactic) override;
  // All of them in one Dojo::RunTacs: one round trip to the worker.
  std::vector<TacticOutcome> RunAll(std::size_t handle,
                                    const std::vector<std::string>& tactics) override;
  void Release(std::size_t handle) override;

 private:
  const dojo::TacticState& StateOf(std::size_t handle, const char* what) const;
  TacticOutcome Outcome(dojo::RunResult r);

  dojo::Dojo& dojo_;
  // Index = handle; released states are reset to empty handles, which drops
  // the theorem's worker lease once the last state is gone.
  std::vector<dojo::TacticState> states_;
};

}  // namespace tatami::search
