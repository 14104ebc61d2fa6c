// WorkerPool under bad input and failing workers: imports that fail or hang,
// commands that cannot start, workers that crash under a lease or a request,
// and restores from a pickle of the header env that fail.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "repl_process_test_support.h"
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
    EXPECT_THAT(e.message, HasSubstr("tatami-test: import failed: Broken"));
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
  // Also the limit of the import of "Fine" below, which must succeed on a
  // loaded machine.
  options.startup_timeout = 1500ms;
  WorkerPool pool(options);
  const PoolOutcome outcome = pool.Submit(HeaderOf({"Hangs"}), Cmd("def x := 1")).get();
  ASSERT_TRUE(std::holds_alternative<PoolError>(outcome)) << Describe(outcome);
  const PoolError& e = std::get<PoolError>(outcome);
  EXPECT_EQ(e.kind, PoolError::kImportTimeout);
  EXPECT_THAT(e.message, HasSubstr("'import Hangs'"));
  EXPECT_THAT(e.message, HasSubstr("1500 ms"));
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

// ---------------------------------------------------------------- pickles
//
// The double in script mode really writes pickles (pickleTo) and reads them
// back (unpickleEnvFrom), and refuses missing or foreign files, so a restore
// can fail the ways it can with Lean.

std::string ScriptFile() {
  return (std::filesystem::path(TATAMI_SOURCE_DIR) / "tests/repl_double/examples/nat_add.json")
      .string();
}

// One worker running the script double, pickling into `dir`.
WorkerPoolOptions PicklingOptions(const testing::ScratchDir& dir) {
  auto options = DoubleOptions({}, /*workers=*/1);
  options.repl_command = {testing::ReplDoublePath().string(), "--script", ScriptFile()};
  options.restore_from_pickle = true;
  options.pickle_dir = dir.path();
  return options;
}

// The pickles the pool has written under `dir`.
std::vector<std::filesystem::path> PicklesIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  if (!std::filesystem::exists(dir)) return found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".olean") found.push_back(e.path());
  return found;
}

// A command that needs the header env: the double answers "Unknown
// environment." if the lease's header env does not exist in the process.
void ExpectHeaderEnvUsable(Lease& lease) {
  const ReplResponse r = ResponseOf(lease.Run(Cmd("open Nat")));
  EXPECT_FALSE(r.json.contains("message")) << r.json.dump();
  EXPECT_TRUE(r.json.contains("env")) << r.json.dump();
}

const ImportHeader kPickled = HeaderOf({"Mathlib"});

TEST_F(WorkerPoolFaultsTest, RestartRestoresTheHeaderFromItsPickle) {
  testing::ScratchDir dir;
  {
    WorkerPool pool(PicklingOptions(dir));
    Lease lease = std::move(std::get<Lease>(pool.Acquire(kPickled)));
    ASSERT_EQ(PicklesIn(dir.path()).size(), 1u);
    EXPECT_EQ(pool.stats().pickles, 1u);
    ASSERT_FALSE(lease.Restart().has_value());
    const PoolStats s = pool.stats();
    EXPECT_EQ(s.imports, 1u);
    EXPECT_EQ(s.restores, 1u);
    EXPECT_EQ(s.restore_failures, 0u);
    ExpectHeaderEnvUsable(lease);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "the pool removes its pickles";
}

// Each way a restore can fail ends in a normal import, and the lease (or the
// request) that waited for it gets a working worker.
TEST_F(WorkerPoolFaultsTest, MissingPickleFallsBackToImport) {
  testing::ScratchDir dir;
  WorkerPool pool(PicklingOptions(dir));
  Lease lease = std::move(std::get<Lease>(pool.Acquire(kPickled)));
  const auto pickles = PicklesIn(dir.path());
  ASSERT_EQ(pickles.size(), 1u);
  std::filesystem::remove(pickles[0]);
  ASSERT_FALSE(lease.Restart().has_value());
  PoolStats s = pool.stats();
  EXPECT_EQ(s.restores, 1u);
  EXPECT_EQ(s.restore_failures, 1u);
  EXPECT_EQ(s.imports, 2u);
  EXPECT_EQ(s.import_failures, 0u);
  ExpectHeaderEnvUsable(lease);
  // The failed pickle is forgotten: the next restart imports at once.
  ASSERT_FALSE(lease.Restart().has_value());
  s = pool.stats();
  EXPECT_EQ(s.restores, 1u);
  EXPECT_EQ(s.imports, 3u);
  ExpectHeaderEnvUsable(lease);
}

TEST_F(WorkerPoolFaultsTest, CorruptPickleFallsBackToImport) {
  testing::ScratchDir dir;
  WorkerPool pool(PicklingOptions(dir));
  Lease lease = std::move(std::get<Lease>(pool.Acquire(kPickled)));
  const auto pickles = PicklesIn(dir.path());
  ASSERT_EQ(pickles.size(), 1u);
  std::ofstream(pickles[0], std::ios::trunc) << "not a pickle\n";
  ASSERT_FALSE(lease.Restart().has_value());
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.restore_failures, 1u);
  EXPECT_EQ(s.imports, 2u);
  EXPECT_TRUE(PicklesIn(dir.path()).empty()) << "a pickle that failed is deleted";
  ExpectHeaderEnvUsable(lease);
}

TEST_F(WorkerPoolFaultsTest, UnpicklerThatCrashesOrHangsFallsBackToImport) {
  for (const char* fault : {"--crash-on 1", "--hang-on 1"}) {
    SCOPED_TRACE(fault);
    testing::ScratchDir dir;
    auto options = PicklingOptions(dir);
    const std::string script = "--script " + ScriptFile();
    options.repl_command =
        testing::RoutingDouble(dir, {{"unpickleEnvFrom", script + " " + fault}}, script);
    // Also the limit of the imports and the pickle, which must succeed on a
    // loaded machine.
    options.startup_timeout = 3s;
    WorkerPool pool(options);
    Lease lease = std::move(std::get<Lease>(pool.Acquire(kPickled)));
    ASSERT_EQ(pool.stats().pickles, 1u);
    ASSERT_FALSE(lease.Restart().has_value());
    const PoolStats s = pool.stats();
    EXPECT_EQ(s.restores, 1u);
    EXPECT_EQ(s.restore_failures, 1u);
    EXPECT_EQ(s.imports, 2u);
    ExpectHeaderEnvUsable(lease);
  }
}

TEST_F(WorkerPoolFaultsTest, RecycledWorkerFallsBackToImportForASubmit) {
  testing::ScratchDir dir;
  auto options = PicklingOptions(dir);
  options.max_proof_states = 1;  // a `sorry` makes a proof state: recycle after it
  WorkerPool pool(options);
  ResponseOf(pool.Submit(kPickled, Cmd("open Nat")).get());
  const auto pickles = PicklesIn(dir.path());
  ASSERT_EQ(pickles.size(), 1u);
  std::filesystem::remove(pickles[0]);
  const ReplResponse sorry =
      ResponseOf(pool.Submit(kPickled, Cmd("theorem two_add_two : 2 + 2 = 4 := by sorry")).get());
  ASSERT_TRUE(sorry.json.contains("sorries")) << sorry.json.dump();
  const ReplResponse after = ResponseOf(pool.Submit(kPickled, Cmd("open Nat")).get());
  EXPECT_FALSE(after.json.contains("message")) << after.json.dump();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.recycles, 1u);
  EXPECT_EQ(s.restores, 1u);
  EXPECT_EQ(s.restore_failures, 1u);
  EXPECT_EQ(s.imports, 2u);
}

TEST_F(WorkerPoolFaultsTest, PickleThatCannotBeWrittenIsNeverUsed) {
  testing::ScratchDir dir;
  auto options = PicklingOptions(dir);
  options.pickle_dir = dir.path() / "missing";  // the pool cannot create its directory here
  WorkerPool pool(options);
  Lease lease = std::move(std::get<Lease>(pool.Acquire(kPickled)));
  ASSERT_FALSE(lease.Restart().has_value());
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.pickles, 0u);
  EXPECT_EQ(s.restores, 0u);
  EXPECT_EQ(s.imports, 2u);
  ExpectHeaderEnvUsable(lease);
}

TEST_F(WorkerPoolFaultsTest, ARequestToAnIdleWorkerThatDiedUnnoticedIsANeverRunCrash) {
  WorkerPool pool(DoubleOptions({}, /*workers=*/1));
  ResponseOf(pool.Submit(ImportHeader{}, Cmd("def a := 1")).get());
  // Hold the pool's I/O in a callback, so that the death below is not
  // noticed before the next request is written to the dead worker.
  std::promise<void> holding;
  std::atomic<bool> release{false};
  pool.SubmitAsync(ImportHeader{}, Cmd("def b := 1"), [&](PoolOutcome) {
    holding.set_value();
    while (!release) std::this_thread::yield();
  });
  holding.get_future().wait();
  const std::vector<int> children = testing::OurChildren();
  ASSERT_EQ(children.size(), 1u);
  ASSERT_EQ(::kill(children[0], SIGKILL), 0);
  const auto limit = std::chrono::steady_clock::now() + 10s;
  auto is_zombie = [&] {
    std::ifstream stat("/proc/" + std::to_string(children[0]) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
  };
  while (!is_zombie() && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
  ASSERT_TRUE(is_zombie());
  std::future<PoolOutcome> next = pool.Submit(ImportHeader{}, Cmd("def c := 1"));
  release = true;
  const PoolOutcome got = next.get();
  ASSERT_TRUE(std::holds_alternative<ReplOutcome>(got)) << Describe(got);
  EXPECT_TRUE(NeverRan(std::get<ReplOutcome>(got))) << Describe(got);
  // The pool keeps serving, on a new worker.
  ResponseOf(pool.Submit(ImportHeader{}, Cmd("def d := 1")).get());
}

}  // namespace
}  // namespace tatami::dojo
