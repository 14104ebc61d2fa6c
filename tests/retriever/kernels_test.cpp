// Private pieces: the portable half conversion against the F16C instructions,
// and the scalar dot kernels against the AVX2 ones, bit for bit.
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "half.h"
#include "score_kernels.h"

namespace tatami::retriever::internal {
namespace {

#define REQUIRE_AVX2()                                                   \
  do {                                                                   \
    if (!CpuHasAvx2Kernels()) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C"; \
  } while (0)

TEST(HalfTest, EveryHalfConvertsLikeF16C) {
  REQUIRE_AVX2();
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float want = _cvtsh_ss(static_cast<std::uint16_t>(h));
    const float got = HalfToFloat(static_cast<std::uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(want)) << h;
    }
  }
}

TEST(HalfTest, FloatsRoundLikeF16C) {
  REQUIRE_AVX2();
  std::mt19937 rng(1);
  auto check = [](float f) {
    const std::uint16_t want = _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
    const std::uint16_t got = FloatToHalf(f);
    if (std::isnan(f)) {
      EXPECT_EQ(got & 0x7c00, 0x7c00);
      EXPECT_NE(got & 0x3ff, 0);
    } else {
      EXPECT_EQ(got, want) << f << " bits " << std::bit_cast<std::uint32_t>(f);
    }
  };
  for (int i = 0; i < 2000000; ++i) check(std::bit_cast<float>(static_cast<std::uint32_t>(rng())));
  // Every float whose exponent is in or near the half range, sampled densely.
  for (std::uint32_t bits = 0x32000000u; bits < 0x47900000u; bits += 97) {
    check(std::bit_cast<float>(bits));
    check(-std::bit_cast<float>(bits));
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 1e-8f, 2.98e-8f, 5.96e-8f, INFINITY,
                  -INFINITY}) {
    check(f);
  }
}

TEST(KernelsTest, ScalarMatchesAvx2BitForBit) {
  REQUIRE_AVX2();
  const DotKernels& s = ScalarKernels();
  const DotKernels& v = Avx2Kernels();
  std::mt19937 rng(2);
  std::normal_distribution<float> d;
  for (std::size_t n = 8; n <= 1504; n += 8) {
    alignas(64) static float q0[1504], q1[1504], row[1504];
    alignas(64) static std::uint16_t hrow[1504];
    for (std::size_t i = 0; i < n; ++i) {
      q0[i] = d(rng);
      q1[i] = d(rng);
      row[i] = d(rng) * 1e3f;
      hrow[i] = FloatToHalf(d(rng));
    }
    EXPECT_EQ(std::bit_cast<std::uint32_t>(s.dot_f32(q0, row, n)),
              std::bit_cast<std::uint32_t>(v.dot_f32(q0, row, n)))
        << n;
    EXPECT_EQ(std::bit_cast<std::uint32_t>(s.dot_f16(q0, hrow, n)),
              std::bit_cast<std::uint32_t>(v.dot_f16(q0, hrow, n)))
        << n;
    float a[2], b[2];
    s.dot2_f32(q0, q1, row, n, a);
    v.dot2_f32(q0, q1, row, n, b);
    EXPECT_EQ(a[0], b[0]);
    EXPECT_EQ(a[1], b[1]);
    EXPECT_EQ(b[0], v.dot_f32(q0, row, n));
    EXPECT_EQ(b[1], v.dot_f32(q1, row, n));
    s.dot2_f16(q0, q1, hrow, n, a);
    v.dot2_f16(q0, q1, hrow, n, b);
    EXPECT_EQ(a[0], b[0]);
    EXPECT_EQ(a[1], b[1]);
    std::vector<float> x(n), y(n);
    s.half_to_float(hrow, x.data(), n);
    v.half_to_float(hrow, y.data(), n);
    EXPECT_EQ(x, y);
  }
}

TEST(KernelsTest, ScoreRowsEqualsOneDotPerRow) {
  // Every listed row, in any order and with repeats, scores exactly as
  // dot_f32/dot_f16 of that row, in the scalar, AVX2 and AVX-512 kernels
  // (which score rows in pairs, fours or twelves and prefetch ahead of them).
  std::mt19937 rng(4);
  std::normal_distribution<float> d;
  std::vector<const DotKernels*> kernels = {&ScalarKernels()};
  if (CpuHasAvx2Kernels()) kernels.push_back(&Avx2Kernels());
  if (CpuHasAvx512Kernels()) kernels.push_back(&Avx512Kernels());
  for (std::size_t n : {8u, 16u, 24u, 32u, 40u, 48u, 56u, 96u, 112u, 1472u}) {
    const std::size_t rows = 37;
    std::vector<float> q(n);
    alignas(64) static float f32[37 * 1472];
    alignas(64) static std::uint16_t f16[37 * 1472];
    for (float& v : q) v = d(rng);
    for (std::size_t i = 0; i < rows * n; ++i) {
      f32[i] = d(rng);
      f16[i] = FloatToHalf(d(rng));
    }
    for (std::size_t count : {0u, 1u, 2u, 3u, 4u, 5u, 11u, 12u, 13u, 17u, 23u, 30u, 36u, 37u}) {
      std::vector<std::uint32_t> list(count);
      for (auto& r : list) r = static_cast<std::uint32_t>(rng() % rows);
      for (const DotKernels* k : kernels) {
        std::vector<float> got32(count + 1, -1.0f), got16(count + 1, -1.0f);
        k->score_rows_f32(q.data(), f32, n, list.data(), count, got32.data());
        k->score_rows_f16(q.data(), f16, n, list.data(), count, got16.data());
        for (std::size_t i = 0; i < count; ++i) {
          EXPECT_EQ(
              std::bit_cast<std::uint32_t>(got32[i]),
              std::bit_cast<std::uint32_t>(ScalarKernels().dot_f32(q.data(), f32 + list[i] * n, n)))
              << k->name << " n=" << n << " count=" << count << " i=" << i;
          EXPECT_EQ(
              std::bit_cast<std::uint32_t>(got16[i]),
              std::bit_cast<std::uint32_t>(ScalarKernels().dot_f16(q.data(), f16 + list[i] * n, n)))
              << k->name << " n=" << n << " count=" << count << " i=" << i;
        }
        EXPECT_EQ(got32[count], -1.0f) << "wrote past the end";
        EXPECT_EQ(got16[count], -1.0f) << "wrote past the end";
      }
    }
  }
}

}  // namespace
}  // namespace tatami::retriever::internal
