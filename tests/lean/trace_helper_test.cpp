// lean_project/TatamiTrace.lean against a real Lean: `tatami trace
// --locate-premises` places premises defined outside the project.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "lean_test_support.h"
#include "tatami/data/benchmark_json.h"
#include "tatami/data/tracer.h"

namespace tatami::data {
namespace {

namespace fs = std::filesystem;

const fs::path kProject = lean_tests::LeanProject();

TEST(LeanTraceHelper, TracesExamplesWithPremisesPlacedInLeanCore) {
  if (auto why = lean_tests::LeanUnavailable()) GTEST_SKIP() << *why;
  dojo::WorkerPoolOptions p;
  p.repl_command = {"lake", "exe", "repl"};
  p.project_dir = kProject;
  p.workers = 2;
  p.request_timeout = std::chrono::seconds(300);
  dojo::WorkerPool pool(p);
  TraceOptions o;
  o.project = kProject;
  o.output = fs::temp_directory_path() / ("tatami_lean_trace_" + std::to_string(::getpid()));
  o.targets = {"Examples.lean"};
  o.locate_premises = true;
  const TraceSummary s = TraceProject(pool, o);
  ASSERT_EQ(s.failed, 0u) << s.failures.at(0);
  const auto theorems = ReadTheoremList((o.output / "theorems.json").string());
  ASSERT_FALSE(theorems.empty());
  std::size_t tactics = 0, placed_outside = 0;
  for (const auto& t : theorems)
    for (const auto& tac : t.traced_tactics) {
      ++tactics;
      EXPECT_NE(tac.state_before, tac.state_after) << tac.tactic;
      for (const auto& prem : tac.premises)
        if (prem.def_path != "Examples.lean") {
          ++placed_outside;
          EXPECT_GT(prem.def_pos.line, 0) << prem.full_name;
        }
    }
  EXPECT_GT(tactics, 0u);
  // Whether Examples.lean mentions core lemmas by name decides this; report it.
  std::printf("traced %zu tactics, %zu premises placed outside the project\n", tactics,
              placed_outside);
  fs::remove_all(o.output);
}

}  // namespace
}  // namespace tatami::data
