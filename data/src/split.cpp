#include "tatami/data/split.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace tatami::data {
namespace {

// std::shuffle and std::uniform_int_distribution may differ between standard
// libraries; these draws do not, so a seed means the same split everywhere.
class Shuffler {
 public:
  explicit Shuffler(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), n > 0, by rejection.
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t limit = -n % n;  // 2^64 mod n: draws below it are biased
    for (;;) {
      const std::uint64_t x = engine_();
      if (x >= limit) return x % n;
    }
  }

  template <class T>
  void Shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

// val + test for a message, also when the sum does not fit.
std::string Needed(std::size_t num_val, std::size_t num_test) {
  if (num_val > SIZE_MAX - num_test) return fmt::format("more than {}", SIZE_MAX);
  return std::to_string(num_val + num_test);
}

}  // namespace

SplitSize SplitSize::Parse(std::string_view text, std::string_view what) {
  const std::string s(text);
  auto bad = [&](const char* why) {
    return std::invalid_argument(fmt::format("{}: {} (got \"{}\")", what, why, s));
  };
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(s.begin(), s.end(), '.') > 1 || s == ".")
    throw bad("expected a count such as 2000 or a fraction such as 0.02");
  SplitSize size;
  if (s.find('.') != std::string::npos) {
    const double f = std::strtod(s.c_str(), nullptr);
    if (!(f < 1)) throw bad("a fraction must be below 1");
    size.fraction = f;
    return size;
  }
  errno = 0;
  size.count = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE) throw bad("too large");
  return size;
}

std::size_t SplitSize::Resolve(std::size_t num_theorems) const {
  if (!fraction) return count;
  return static_cast<std::size_t>(std::floor(*fraction * static_cast<double>(num_theorems)));
}

Split SplitRandomly(std::size_t num_theorems, std::size_t num_val, std::size_t num_test,
                    std::uint64_t seed) {
  // Compared one at a time: huge counts must not wrap around in the sum.
  if (num_val > num_theorems || num_test > num_theorems - num_val)
    throw SplitError(fmt::format("random: val ({}) and test ({}) need {} theorems; there are {}",
                                 num_val, num_test, Needed(num_val, num_test), num_theorems));
  std::vector<std::size_t> order(num_theorems);
  for (std::size_t i = 0; i < num_theorems; ++i) order[i] = i;
  Shuffler(seed).Shuffle(order);
  // LeanDojo's layout of the shuffled list: train, then val, then test.
  const std::size_t num_train = num_theorems - num_val - num_test;
  Split split;
  split.train.assign(order.begin(), order.begin() + num_train);
  split.val.assign(order.begin() + num_train, order.begin() + num_train + num_val);
  split.test.assign(order.begin() + num_train + num_val, order.end());
  return split;
}

Split SplitByNovelPremises(const std::vector<std::vector<std::string>>& premises,
                           std::size_t num_val, std::size_t num_test, std::uint64_t seed) {
  if (num_val > premises.size() || num_test > premises.size() - num_val)
    throw SplitError(
        fmt::format("novel_premises: val ({}) and test ({}) need {} theorems; there "
                    "are {}",
                    num_val, num_test, Needed(num_val, num_test), premises.size()));
  const std::size_t wanted = num_val + num_test;
  // Premises in order of first use, each with the theorems using it.
  std::vector<std::vector<std::size_t>> groups;
  std::unordered_map<std::string_view, std::size_t> group_of;
  std::size_t users = 0;
  for (std::size_t t = 0; t < premises.size(); ++t) {
    users += !premises[t].empty();
    for (const std::string& p : premises[t]) {
      auto [it, added] = group_of.try_emplace(p, groups.size());
      if (added) groups.emplace_back();
      std::vector<std::size_t>& g = groups[it->second];
      // A theorem listing a premise twice is still one user of it.
      if (g.empty() || g.back() != t) g.push_back(t);
    }
  }
  if (users < wanted)
    throw SplitError(fmt::format(
        "novel_premises: val ({}) and test ({}) need {} theorems that use premises; {} of the {} "
        "theorems use any",
        num_val, num_test, wanted, users, premises.size()));
  std::vector<std::size_t> by_size(groups.size());
  for (std::size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
  std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) {
    return groups[a].size() < groups[b].size();
  });
  std::vector<char> held(premises.size(), 0);
  std::vector<std::size_t> val_test;
  for (std::size_t g : by_size) {
    if (val_test.size() >= wanted) break;
    for (std::size_t t : groups[g])
      if (!held[t]) held[t] = 1, val_test.push_back(t);
  }
  Shuffler(seed).Shuffle(val_test);
  Split split;
  split.val.assign(val_test.begin(), val_test.begin() + num_val);
  split.test.assign(val_test.begin() + num_val, val_test.end());
  for (std::size_t t = 0; t < premises.size(); ++t)
    if (!held[t]) split.train.push_back(t);
  return split;
}

std::string CheckSplit(const Split& split, std::size_t num_theorems, std::size_t num_val,
                       std::size_t num_test,
                       const std::vector<std::vector<std::string>>* premises) {
  std::vector<int> seen(num_theorems, 0);
  for (const auto* part : {&split.train, &split.val, &split.test})
    for (std::size_t t : *part) {
      if (t >= num_theorems) return fmt::format("position {} is not a theorem", t);
      if (seen[t]++) return fmt::format("theorem {} is in two places", t);
    }
  for (std::size_t t = 0; t < num_theorems; ++t)
    if (!seen[t]) return fmt::format("theorem {} is in no part", t);
  if (split.val.size() != num_val)
    return fmt::format("val holds {} theorems, not {}", split.val.size(), num_val);
  if (!premises && split.test.size() != num_test)
    return fmt::format("test holds {} theorems, not {}", split.test.size(), num_test);
  if (premises) {
    if (split.test.size() < num_test)
      return fmt::format("test holds {} theorems, fewer than {}", split.test.size(), num_test);
    std::unordered_set<std::string_view> in_train;
    for (std::size_t t : split.train)
      for (const std::string& p : (*premises)[t]) in_train.insert(p);
    for (const auto* part : {&split.val, &split.test})
      for (std::size_t t : *part) {
        const auto& ps = (*premises)[t];
        if (std::none_of(ps.begin(), ps.end(),
                         [&](const std::string& p) { return !in_train.count(p); }))
          return fmt::format("theorem {} uses no premise that train does not use", t);
      }
  }
  return {};
}

}  // namespace tatami::data
