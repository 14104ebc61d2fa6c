// What an outcome means for the worker that ran the request: which outcomes
// kill it, and which are worth the same request on a fresh worker.
#include "tatami/dojo/repl_outcome.h"

#include <gtest/gtest.h>

namespace tatami::dojo {
namespace {

TEST(ReplOutcomeTest, KilledWorkerIsTimeoutCrashAndProtocolError) {
  EXPECT_FALSE(KilledWorker(ReplResponse{}));
  EXPECT_TRUE(KilledWorker(ReplTimeout{}));
  EXPECT_TRUE(KilledWorker(ReplCrash{}));
  EXPECT_TRUE(KilledWorker(ReplProtocolError{}));
  EXPECT_FALSE(KilledWorker(ReplRejected{})) << "a rejection never reached the child";
}

TEST(ReplOutcomeTest, RetryOnFreshWorkerExcludesTimeoutAndIncludesRejection) {
  EXPECT_FALSE(RetryOnFreshWorker(ReplResponse{})) << "an answer is an answer";
  EXPECT_FALSE(RetryOnFreshWorker(ReplTimeout{})) << "a timeout is the request's own answer";
  EXPECT_TRUE(RetryOnFreshWorker(ReplCrash{}));
  EXPECT_TRUE(RetryOnFreshWorker(ReplProtocolError{}));
  EXPECT_TRUE(RetryOnFreshWorker(ReplRejected{})) << "it never reached a live worker";
}

ReplCrash CrashFor(std::string reason) {
  ReplCrash crash;
  crash.reason = std::move(reason);
  return crash;
}

TEST(ReplOutcomeTest, NeverRanIsACrashBeforeTheReplReachedTheRequest) {
  EXPECT_TRUE(NeverRan(CrashFor("not sent: the worker died")));
  EXPECT_TRUE(NeverRan(CrashFor("not run: the worker died")));
  EXPECT_FALSE(NeverRan(CrashFor("exited with code 1")));
  EXPECT_FALSE(NeverRan(ReplTimeout{}));
  EXPECT_FALSE(NeverRan(ReplRejected{"not sent: looks like one, but is a rejection"}));
}

TEST(ReplOutcomeTest, MaxProofStateReadsTheResponseOrTheValueReplProcessFound) {
  ReplResponse r;
  r.json = ResponseJson::FromText(
      R"({"proofState": 3, "sorries": [{"proofState": 7}, {"goal": "x"}],)"
      R"( "tactics": [{"proofState": 5}], "messages": [{"proofState": 99}]})");
  EXPECT_EQ(MaxProofState(r), 7) << "ids inside messages are not proof states";
  EXPECT_EQ(MaxProofState(ReplResponse{}), -1);
  ReplResponse nested;
  // One level, as ReplProcess reads it: the REPL nests no deeper.
  nested.json =
      ResponseJson::FromText(R"({"sorries": [{"proofState": 2, "tactics": [{"proofState": 9}]}]})");
  EXPECT_EQ(MaxProofState(nested), 2);
  r.max_proof_state = 11;
  EXPECT_EQ(MaxProofState(r), 11);
}

}  // namespace
}  // namespace tatami::dojo
