// A worker pool of REPL doubles serving a small scripted graph, for the
// environment tests. Every Lean text in the graph (error messages) is one
// the REPL printed (the same texts as tests/repl_double/examples/nat_add.json,
// which repl_double_test checks against the recordings).
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scripted_double_pool.h"
#include "tatami/dojo/worker_pool.h"
#include "tatami/env/theorem.h"

namespace tatami::env::testing {

inline const std::string kRoot = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p";
inline const std::string kLeft = "case left\np q : Prop\nh : p ∧ q\n⊢ q";
inline const std::string kRight = "case right\np q : Prop\nh : p ∧ q\n⊢ p";
inline const std::string kIntro = "case intro\np q : Prop\nhp : p\nhq : q\n⊢ q ∧ p";
inline const std::string kCheatRoot = "⊢ 1 = 1";
inline const std::string kStatement = "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p";
// Recorded texts (repl-transcripts invalid_tactic, unknown_tactic).
inline const std::string kUnknownIdentifier = "Unknown identifier `my_fake_premise`";
inline const std::string kUnknownTactic = "<input>:1:1: unknown tactic";

inline nlohmann::json Graph() {
  using nlohmann::json;
  return {
      {"theorems",
       {{{"statement", kStatement}, {"goal", kRoot}},
        {{"statement", "theorem cheat : 1 = 1"}, {"goal", kCheatRoot}}}},
      {"states",
       {{{"goals", {kRoot}},
         {"tactics",
          {{"constructor", {{"goals", {kLeft, kRight}}}},
           {"exact ⟨h.2, h.1⟩", {{"goals", json::array()}}},
           {"obtain ⟨hp, hq⟩ := h", {{"goals", {kIntro}}}},
           {"exact my_fake_premise", {{"error", kUnknownIdentifier}}},
           {"exat 42", {{"error", kUnknownTactic}, {"shape", "exception"}}}}}},
        {{"goals", {kLeft, kRight}}, {"tactics", {{"exact h.2", {{"goals", {kRight}}}}}}},
        {{"goals", {kRight}}, {"tactics", {{"exact h.1", {{"goals", json::array()}}}}}},
        {{"goals", {kIntro}}, {"tactics", {{"exact ⟨hq, hp⟩", {{"goals", json::array()}}}}}},
        {{"goals", {kCheatRoot}},
         {"tactics",
          {{"rfl", {{"goals", json::array()}}},
           // Closes the goal through an axiom outside the allowed set, so the
           // completion check rejects the proof.
           {"rfl_by_compiler", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
}

class EnvTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tatami_env_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "graph.json") << Graph().dump();
    std::ofstream(dir_ / "Swap.lean") << kStatement << " := by\n  exact ⟨h.2, h.1⟩\n\n"
                                      << "theorem cheat : 1 = 1 := by\n  rfl\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Theorem AndSwap() const { return Theorem::FromFile(dir_ / "Swap.lean", "and_swap'"); }
  Theorem Cheat() const { return Theorem::FromFile(dir_ / "Swap.lean", "cheat"); }

  // A pool whose workers are the double; `first_run_flags` (faults, delays)
  // apply to the first worker process only, so a restarted one is healthy.
  // Two workers by default: an Observation a test keeps holds its theorem's
  // worker while the Env enters the next theorem.
  std::shared_ptr<dojo::WorkerPool> Pool(const std::string& first_run_flags = "",
                                         std::size_t workers = 2) {
    return std::make_shared<dojo::WorkerPool>(test_pools::ScriptedDoublePoolOptions(
        dir_ / "graph.json", dir_ / "first-run-done", first_run_flags, workers));
  }

  std::filesystem::path dir_;
};

}  // namespace tatami::env::testing
