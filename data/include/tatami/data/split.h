// Train/val/test splits of a theorem list, as LeanDojo builds LeanDojo
// Benchmark 4 (scripts/generate-benchmark-lean4 in lean-dojo/LeanDojo):
//
// random          the theorems shuffled with the seed; the last num_test are
//                 test, the num_val before them val, the rest train.
// novel_premises  premises in ascending order of the number of theorems using
//                 them (ties: order of first use in the input); while val+test
//                 holds fewer than num_val + num_test theorems, every theorem
//                 using the next premise joins it. val+test is shuffled with
//                 the seed: the first num_val are val, the rest test (so test
//                 may exceed num_test by less than the last group added);
//                 train keeps the input order. Every val/test theorem uses a
//                 premise that no train theorem uses.
//
// The shuffle is Fisher-Yates over std::mt19937_64 with unbiased draws, so a
// seed gives the same split on every platform; it is not Python's shuffle, so
// the splits differ from LeanDojo's published ones for the same seed.
//
// Thread-safety: the functions share no state; call them from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::data {

// A split that cannot be made (too few theorems, too few using premises).
class SplitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The size of val or test: a count, or a share of all theorems.
struct SplitSize {
  std::size_t count = 2000;        // theorems, when `fraction` is unset
  std::optional<double> fraction;  // in [0, 1): that share of all theorems, rounded down

  // "2000" is a count, "0.02" (anything with a '.') a fraction. Throws
  // std::invalid_argument naming `what` on anything else.
  static SplitSize Parse(std::string_view text, std::string_view what);
  std::size_t Resolve(std::size_t num_theorems) const;
};

struct SplitOptions {
  // Theorems in val; default 2000, as LeanDojo Benchmark 4.
  SplitSize num_val;
  // Theorems in test; default 2000, as LeanDojo Benchmark 4.
  SplitSize num_test;
  // Seed of the shuffles; default 3407, LeanDojo's.
  std::uint64_t seed = 3407;
};

// Positions in the input list.
struct Split {
  std::vector<std::size_t> train, val, test;
};

// Throws SplitError when num_val + num_test exceeds num_theorems.
Split SplitRandomly(std::size_t num_theorems, std::size_t num_val, std::size_t num_test,
                    std::uint64_t seed);

// premises[i]: the distinct premises theorem i uses. Throws SplitError when
// the theorems using any premise are fewer than num_val + num_test.
Split SplitByNovelPremises(const std::vector<std::vector<std::string>>& premises,
                           std::size_t num_val, std::size_t num_test, std::uint64_t seed);

// Checks what the split promises (every position once; val of num_val; test
// of num_test, or at least that for novel_premises; with premises given, the
// novel-premises property). Returns the first violation, empty when none.
std::string CheckSplit(const Split& split, std::size_t num_theorems, std::size_t num_val,
                       std::size_t num_test,
                       const std::vector<std::vector<std::string>>* premises = nullptr);

}  // namespace tatami::data
