// WorkerPool under bad input and failing workers: imports that fail or hang,
// commands that cannot start, workers that crash under a lease or a request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tatami/dojo/worker_pool.h"
#include "worker_pool_test_support.h"

namespace tatami::dojo {
namespace {

using namespace std::chrono_literals;
using testing::DoubleOptions;
using ::testing::HasSubstr;
using testing::ResponseOf;

class WorkerPoolFaultsTest : public testing::NoLeaks {};

nlohmann::json Cmd(const std::string& text) { return {{"cmd", text}}; }

TEST_F(WorkerPoolFaultsTest, FailedImportNamesTheHeaderAndThePoolKeepsServing) {
  testing::ScratchDir dir;
  auto options = DoubleOptions({}, /*workers=*/1);
  options.repl_command = testing::RoutingDouble(dir, {{"Broken", "FAIL"}});
  WorkerPool pool(options);
  const ImportHeader broken = HeaderOf({"Mathlib", "Broken"});
  // Hold the only worker so that two requests for the bad header queue up.
  Lease lease = std::move(std::get<Lease>(pool.Acquire(HeaderOf({"Mathlib"}))));
  auto first = pool.Submit(broken, Cmd("def x := 1"));
  auto second = pool.Submit(broken, Cmd("def y := 1"));
  auto good = pool.Submit(HeaderOf({"Good"}), Cmd("def z := 1"));
  lease.Release();
  for (auto* f : {&first, &second}) {
    const PoolOutcome outcome = f->get();
    ASSERT_TRUE(std::holds_alternative<PoolError>(outcome)) << Describe(outcome);
    const PoolError& e = std::get<PoolError>(outcome);
    EXPECT_EQ(e.kind, PoolError::kImportFailed);
    EXPECT_EQ(e.header, broken.Key());
    EXPECT_THAT(e.message, HasSubstr("import Mathlib;import Broken"));
    EXPECT_THAT(e.message, HasSubstr("unknown package Broken"));
  }
  ResponseOf(good.get());
  ResponseOf(pool.Submit(HeaderOf({"Good"}), Cmd("def w := 1")).get());
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.import_failures, 1u);  // the queued request shared the first failure
  EXPECT_EQ(s.queue_depth, 0u);
}

TEST_F(WorkerPoolFaultsTest, HangingImportTimesOutWithAClearError) {
  testing::ScratchDir dir;
  auto options = DoubleOptions({}, /*workers=*/1);
  options.repl_command = testing::RoutingDouble(dir, {{"Hangs", "--instant --hang-on 1"}});
  options.startup_timeout = 300ms;
  WorkerPool pool(options);
  const PoolOutcome outcome = pool.Submit(HeaderOf({"Hangs"}), Cmd("def x := 1")).get();
  ASSERT_TRUE(std::holds_alternative<PoolError>(outcome)) << Describe(outcome);
  const PoolError& e = std::get<PoolError>(outcome);
  EXPECT_EQ(e.kind, PoolError::kImportTimeout);
  EXPECT_THAT(e.message, HasSubstr("'import Hangs'"));
  EXPECT_THAT(e.message, HasSubstr("300 ms"));
  // Acquire reports the same kind of failure.
  auto acquired = pool.Acquire(HeaderOf({"Hangs"}));
  ASSERT_TRUE(std::holds_alternative<PoolError>(acquired));
  EXPECT_EQ(std::get<PoolError>(acquired).kind, PoolError::kImportTimeout);
  ResponseOf(pool.Submit(HeaderOf({"Fine"}), Cmd("def x := 1")).get());
  EXPECT_EQ(pool.stats().import_failures, 2u);
}

TEST_F(WorkerPoolFaultsTest, UnstartableCommandIsAStartFailure) {
  auto options = DoubleOptions();
  options.repl_command = {"/nonexistent/tatami-no-such-repl"};
  WorkerPool pool(options);
  const PoolOutcome outcome = pool.Submit(HeaderOf({"Mathlib"}), Cmd("def x := 1")).get();
  ASSERT_TRUE(std::holds_alternative<PoolError>(outcome)) << Describe(outcome);
  EXPECT_EQ(std::get<PoolError>(outcome).kind, PoolError::kStartFailed);
  EXPECT_THAT(std::get<PoolError>(outcome).message, HasSubstr("'import Mathlib'"));
  EXPECT_EQ(pool.stats().workers_alive, 0u);
}

TEST_F(WorkerPoolFaultsTest, CrashUnderALeaseIsDetectedThroughTheGeneration) {
  // Request 1 of every process is the import; request 3 crashes.
  WorkerPool pool(DoubleOptions({"--crash-on", "3"}, /*workers=*/1));
  Lease lease = std::move(std::get<Lease>(pool.Acquire(HeaderOf({"Mathlib"}))));
  const WorkerRef before = lease.worker();
  ResponseOf(lease.Run({{"tactic", "skip"}, {"proofState", 0}}));
  const ReplOutcome crash = lease.Run({{"tactic", "skip"}, {"proofState", 0}});
  EXPECT_TRUE(std::holds_alternative<ReplCrash>(crash)) << Describe(crash);
  EXPECT_TRUE(lease.broken());
  // Nothing reaches a new process under the old proof state numbers.
  const ReplOutcome refused = lease.Run({{"tactic", "skip"}, {"proofState", 0}});
  ASSERT_TRUE(std::holds_alternative<ReplRejected>(refused));
  EXPECT_THAT(std::get<ReplRejected>(refused).reason, HasSubstr("Restart"));
  EXPECT_EQ(lease.generation(), before.generation);
  ASSERT_FALSE(lease.Restart().has_value());
  EXPECT_FALSE(lease.broken());
  EXPECT_NE(lease.generation(), before.generation);
  EXPECT_EQ(lease.worker().slot, before.slot);
  EXPECT_EQ(ResponseOf(lease.Run({{"tactic", "skip"}, {"proofState", 0}})).json["proofState"], 0);
  EXPECT_EQ(pool.stats().restarts, 1u);
}

TEST_F(WorkerPoolFaultsTest, CrashDuringASubmitRestartsTheWorker) {
  // Header-less workers have no start-up request, so a worker's first request
  // is the body: a process whose first request says "crash" crashes on it.
  testing::ScratchDir dir;
  auto options = DoubleOptions({}, /*workers=*/1);
  options.repl_command = testing::RoutingDouble(dir, {{"crash", "--instant --crash-on 1"}});
  WorkerPool pool(options);
  const PoolOutcome crashed = pool.Submit(ImportHeader{}, Cmd("crash")).get();
  ASSERT_TRUE(std::holds_alternative<ReplOutcome>(crashed)) << Describe(crashed);
  EXPECT_TRUE(std::holds_alternative<ReplCrash>(std::get<ReplOutcome>(crashed)))
      << Describe(crashed);
  ResponseOf(pool.Submit(ImportHeader{}, Cmd("def x := 1")).get());
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.restarts, 1u);
  EXPECT_EQ(s.starts, 2u);
  EXPECT_EQ(s.workers_alive, 1u);
}

TEST_F(WorkerPoolFaultsTest, RequestTimeoutKillsOnlyThatWorker) {
  WorkerPool pool(DoubleOptions({"--hang-on", "2"}, /*workers=*/2));
  SubmitOptions quick;
  quick.timeout = 200ms;
  const PoolOutcome outcome = pool.Submit(HeaderOf({"Mathlib"}), Cmd("def x := 1"), quick).get();
  ASSERT_TRUE(std::holds_alternative<ReplOutcome>(outcome));
  EXPECT_TRUE(std::holds_alternative<ReplTimeout>(std::get<ReplOutcome>(outcome)));
  EXPECT_EQ(pool.stats().restarts, 1u);
}

}  // namespace
}  // namespace tatami::dojo
