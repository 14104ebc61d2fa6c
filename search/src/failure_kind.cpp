#include "tatami/search/failure_kind.h"

namespace tatami::search {

std::string_view ToString(FailureKind kind) {
  switch (kind) {
    case FailureKind::kTacticError:
      return "tactic_error";
    case FailureKind::kProofRejected:
      return "proof_rejected";
    case FailureKind::kTacticTooLong:
      return "tactic_too_long";
    case FailureKind::kWorkerFailure:
      return "worker_failure";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kGivenUp:
      return "given_up";
  }
  return "unknown";
}

}  // namespace tatami::search
