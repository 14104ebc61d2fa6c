// A short version of the Dojo soak (bench/run_dojo_soak.sh runs the long
// one): random crashes, hangs, garbage and memory-cap kills of the workers
// must never escape as exceptions, never leave a state unusable, and never
// leak a child process or a file descriptor.
#include "dojo_soak.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace tatami::dojo::soak {
namespace {

TEST(DojoSoakTest, EveryCallTypedEveryStateUsableNothingLeaked) {
  SoakOptions o;
  o.double_path = TATAMI_REPL_DOUBLE;
  o.work_dir =
      std::filesystem::temp_directory_path() / ("tatami_dojo_soak_" + std::to_string(::getpid()));
  o.calls = 3000;
  o.theorems = 8;
  o.fault_rate = 0.01;
  o.memory_limit_mb = 48;
  o.state_memory_kb = 256;
  const SoakReport r = RunSoak(o);
  std::filesystem::remove_all(o.work_dir);

  std::uint64_t typed = 0;
  for (const auto& [kind, n] : r.outcomes)
    if (kind != "enter_failed") typed += n;
  EXPECT_EQ(r.exceptions, 0u);
  EXPECT_EQ(typed, r.calls);
  EXPECT_GT(r.outcomes.count("state") ? r.outcomes.at("state") : 0, 0u);
  EXPECT_GT(r.outcomes.count("finished") ? r.outcomes.at("finished") : 0, 0u);
  // Faults really happened and states were re-created.
  EXPECT_GT(r.pool.restarts, 0u);
  EXPECT_GT(r.dojo.recoveries, 0u);
  EXPECT_GT(r.dojo.replayed, 0u);
  EXPECT_GT(r.states_probed, 0u);
  EXPECT_EQ(r.states_unusable, 0u);
  EXPECT_EQ(r.children_after, 0);
  EXPECT_EQ(r.fds_after, r.fds_before);
}

}  // namespace
}  // namespace tatami::dojo::soak
