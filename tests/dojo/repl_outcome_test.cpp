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

}  // namespace
}  // namespace tatami::dojo
