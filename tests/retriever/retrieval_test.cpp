#include "tatami/retriever/retrieval.h"

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "half.h"
#include "retrieval_testing.h"

namespace tatami::retriever {
namespace {

// An owned, 64-byte aligned matrix in the layout the retriever expects.
struct Matrix {
  Matrix(const std::vector<float>& values, std::size_t dim, EmbeddingType type,
         bool with_norm = true) {
    view.type = type;
    view.dim = dim;
    view.rows = values.size() / dim;
    view.row_stride = PaddedRowElements(dim, type);
    const std::size_t elem = type == EmbeddingType::kF32 ? 4 : 2;
    const std::size_t bytes = std::max<std::size_t>(64, view.rows * view.row_stride * elem);
    storage.reset(static_cast<unsigned char*>(std::aligned_alloc(64, bytes)));
    std::memset(storage.get(), 0, bytes);
    double max_norm = 0;
    for (std::size_t r = 0; r < view.rows; ++r) {
      double norm = 0;
      for (std::size_t i = 0; i < dim; ++i) {
        float v = values[r * dim + i];
        if (type == EmbeddingType::kF32) {
          reinterpret_cast<float*>(storage.get())[r * view.row_stride + i] = v;
        } else {
          const std::uint16_t h = internal::FloatToHalf(v);
          reinterpret_cast<std::uint16_t*>(storage.get())[r * view.row_stride + i] = h;
          v = internal::HalfToFloat(h);
        }
        norm += double(v) * v;
      }
      max_norm = std::max(max_norm, std::sqrt(norm));
    }
    view.data = storage.get();
    view.max_row_norm = with_norm ? static_cast<float>(max_norm * 1.000001) : 0.0f;
  }
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::unique_ptr<unsigned char, Free> storage;
  EmbeddingMatrix view;
};

std::vector<float> Normal(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

const RetrievalKernel kKernels[] = {RetrievalKernel::kScalar, RetrievalKernel::kSimd,
                                    RetrievalKernel::kGemm, RetrievalKernel::kAuto};

// Runs the batch through every kernel and thread count and compares each
// answer with the brute-force reference.
void ExpectAllKernelsExact(const EmbeddingMatrix& m, const std::vector<float>& queries,
                           const std::vector<AccessMask>& masks, int k, const std::string& what) {
  std::vector<const AccessMask*> ptrs;
  for (const auto& mask : masks) ptrs.push_back(&mask);
  std::vector<std::vector<Hit>> want;
  for (std::size_t q = 0; q < masks.size(); ++q) {
    want.push_back(testing::BruteForce(m, std::span<const float>(queries).subspan(q * m.dim, m.dim),
                                       masks[q], k));
  }
  for (RetrievalKernel kernel : kKernels) {
    for (unsigned threads : {1u, 2u, 3u}) {
      RetrieverOptions options;
      options.kernel = kernel;
      options.threads = threads;
      options.gemm_min_batch = 3;
      options.gemm_block_rows = 128;
      Retriever r(m, options);
      const std::string where =
          what + " kernel=" + std::string(ToString(kernel)) + " threads=" + std::to_string(threads);
      EXPECT_EQ(r.RetrieveBatch(queries, ptrs, k), want) << where;
      EXPECT_EQ(r.Retrieve(std::span<const float>(queries).subspan(0, m.dim), masks[0], k), want[0])
          << where << " (single)";
    }
  }
}

TEST(RetrievalTest, RandomMatricesAllKernelsMatchBruteForce) {
  std::mt19937 rng(42);
  for (EmbeddingType type : {EmbeddingType::kF32, EmbeddingType::kF16}) {
    for (std::size_t dim : {1u, 17u, 64u, 100u}) {
      const std::size_t rows = 700 + rng() % 900;
      const Matrix m(Normal(rows * dim, rng), dim, type);
      for (double p : {0.0, 0.02, 0.6, 1.0}) {
        for (std::size_t batch : {1u, 2u, 5u}) {
          std::vector<AccessMask> masks;
          for (std::size_t q = 0; q < batch; ++q)
            masks.push_back(testing::RandomMask(rows, p, rng));
          const auto queries = Normal(batch * dim, rng);
          for (int k : {1, 7, 100, 5000}) {
            ExpectAllKernelsExact(m.view, queries, masks, k,
                                  std::string(ToString(type)) + " dim=" + std::to_string(dim) +
                                      " p=" + std::to_string(p) + " batch=" +
                                      std::to_string(batch) + " k=" + std::to_string(k));
          }
        }
      }
    }
  }
}

TEST(RetrievalTest, LargeMatricesSplitIntoManyChunksStayExact) {
  // Enough rows that the scan splits them into many chunks (cut by accessible
  // rows, capped in length): sparse, dense, all and run-shaped masks (real
  // masks are ranges of files), one to three threads.
  std::mt19937 rng(9);
  const std::size_t rows = 40000, dim = 24;
  for (EmbeddingType type : {EmbeddingType::kF32, EmbeddingType::kF16}) {
    const Matrix m(Normal(rows * dim, rng), dim, type);
    AccessMask runs(rows);
    for (std::uint32_t begin = 0; begin < rows; begin += 700) {
      runs.SetRange({begin, std::min<std::uint32_t>(begin + 300 + begin % 350, rows)});
    }
    std::vector<AccessMask> masks = {testing::RandomMask(rows, 0.002, rng),
                                     testing::RandomMask(rows, 0.6, rng), AccessMask(rows, true),
                                     runs};
    const auto queries = Normal(masks.size() * dim, rng);
    std::vector<const AccessMask*> ptrs;
    std::vector<std::vector<Hit>> want;
    auto query = [&](std::size_t q) {
      return std::span<const float>(queries).subspan(q * dim, dim);
    };
    for (std::size_t q = 0; q < masks.size(); ++q) {
      ptrs.push_back(&masks[q]);
      want.push_back(testing::BruteForce(m.view, query(q), masks[q], 50));
    }
    for (unsigned threads : {1u, 2u, 3u}) {
      RetrieverOptions options;
      options.threads = threads;
      options.kernel = RetrievalKernel::kSimd;
      Retriever r(m.view, options);
      for (std::size_t q = 0; q < masks.size(); ++q) {
        EXPECT_EQ(r.Retrieve(query(q), masks[q], 50), want[q])
            << ToString(type) << " mask " << q << " threads " << threads;
      }
      EXPECT_EQ(r.RetrieveBatch(queries, ptrs, 50), want)
          << ToString(type) << " batch, threads " << threads;
      // An odd batch: pairs of queries, and one on its own.
      const std::vector<const AccessMask*> three(ptrs.begin(), ptrs.begin() + 3);
      EXPECT_EQ(r.RetrieveBatch(std::span<const float>(queries).subspan(0, 3 * dim), three, 50),
                std::vector<std::vector<Hit>>(want.begin(), want.begin() + 3))
          << ToString(type) << " batch of three, threads " << threads;
    }
  }
}

TEST(RetrievalTest, TiesBreakByLowerIndexInEveryKernel) {
  // Small integers: every dot product is exact, so many scores tie exactly.
  std::mt19937 rng(5);
  const std::size_t rows = 1500, dim = 24;
  std::vector<float> values(rows * dim);
  for (float& v : values) v = static_cast<float>(static_cast<int>(rng() % 3) - 1);
  // And duplicated rows far apart.
  for (std::size_t r = 1000; r < rows; ++r) {
    std::copy_n(values.begin() + (r - 1000) * dim, dim, values.begin() + r * dim);
  }
  for (EmbeddingType type : {EmbeddingType::kF32, EmbeddingType::kF16}) {
    const Matrix m(values, dim, type);
    std::vector<float> queries(4 * dim);
    for (float& v : queries) v = static_cast<float>(static_cast<int>(rng() % 3) - 1);
    std::vector<AccessMask> masks = {AccessMask(rows, true), testing::RandomMask(rows, 0.5, rng),
                                     testing::RandomMask(rows, 0.9, rng), AccessMask(rows, true)};
    for (int k : {1, 10, 64, 300}) {
      ExpectAllKernelsExact(m.view, queries, masks, k, "ties k=" + std::to_string(k));
    }
    // The answer really contains ties, ordered by index.
    Retriever r(m.view);
    const auto hits = r.Retrieve(std::span<const float>(queries).subspan(0, dim), masks[0], 300);
    int ties = 0;
    for (std::size_t i = 1; i < hits.size(); ++i) {
      if (hits[i].score == hits[i - 1].score) {
        ++ties;
        EXPECT_LT(hits[i - 1].premise, hits[i].premise);
      } else {
        EXPECT_GT(hits[i - 1].score, hits[i].score);
      }
    }
    EXPECT_GT(ties, 100);
  }
}

TEST(RetrievalTest, GemmStaysExactWhenScoresDifferOnlyByRounding) {
  // Rows that differ by a few ulps give scores closer together than the
  // GEMM's rounding error: its candidates must still yield the exact answer.
  std::mt19937 rng(11);
  const std::size_t rows = 2000, dim = 300;
  const auto base = Normal(dim, rng);
  std::vector<float> values(rows * dim);
  std::uniform_int_distribution<int> ulps(-3, 3);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < dim; ++i) {
      float v = base[i];
      for (int u = ulps(rng); u != 0; u += (u > 0 ? -1 : 1)) {
        v = std::nextafter(v, u > 0 ? INFINITY : -INFINITY);
      }
      values[r * dim + i] = v;
    }
  }
  for (bool with_norm : {true, false}) {
    const Matrix m(values, dim, EmbeddingType::kF32, with_norm);
    std::vector<float> queries = base;
    const auto more = Normal(2 * dim, rng);
    queries.insert(queries.end(), more.begin(), more.end());
    const std::vector<AccessMask> masks = {
        AccessMask(rows, true), testing::RandomMask(rows, 0.7, rng), AccessMask(rows, true)};
    for (int k : {1, 10, 100}) {
      ExpectAllKernelsExact(m.view, queries, masks, k, "near-ties k=" + std::to_string(k));
    }
  }
}

TEST(RetrievalTest, ScoreOfIsTheDotProduct) {
  std::mt19937 rng(3);
  const std::size_t rows = 50, dim = 1472;
  const auto values = Normal(rows * dim, rng);
  const Matrix m(values, dim, EmbeddingType::kF32);
  const auto q = Normal(dim, rng);
  for (std::size_t r = 0; r < rows; ++r) {
    double want = 0, mag = 0;
    for (std::size_t i = 0; i < dim; ++i) {
      want += double(q[i]) * values[r * dim + i];
      mag += std::abs(double(q[i]) * values[r * dim + i]);
    }
    EXPECT_NEAR(ScoreOf(m.view, r, q), want, mag * 1e-6);
  }
}

TEST(RetrievalTest, BadArgumentsAreClearErrors) {
  std::mt19937 rng(1);
  const Matrix m(Normal(100 * 8, rng), 8, EmbeddingType::kF32);
  Retriever r(m.view);
  const auto q = Normal(8, rng);
  const AccessMask all(100, true);
  EXPECT_THROW(r.Retrieve(q, all, 0), std::invalid_argument);
  EXPECT_THROW(r.Retrieve(q, all, -3), std::invalid_argument);
  EXPECT_THROW(r.Retrieve(Normal(9, rng), all, 3), std::invalid_argument);
  EXPECT_THROW(r.Retrieve(q, AccessMask(99, true), 3), std::invalid_argument);
  auto nan = q;
  nan[3] = NAN;
  EXPECT_THROW(r.Retrieve(nan, all, 3), std::invalid_argument);
  const AccessMask* masks[] = {&all, &all};
  EXPECT_THROW(r.RetrieveBatch(q, masks, 3), std::invalid_argument);  // 1 query, 2 masks
  EXPECT_TRUE(r.RetrieveBatch({}, {}, 3).empty());
  // k beyond the accessible set: every accessible premise, best first.
  AccessMask few(100);
  few.Set(3);
  few.Set(77);
  few.Set(50);
  const auto hits = r.Retrieve(q, few, 1000);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits, testing::BruteForce(m.view, q, few, 3));
  EXPECT_TRUE(r.Retrieve(q, AccessMask(100), 5).empty());

  EmbeddingMatrix unaligned = m.view;
  unaligned.data = static_cast<const char*>(m.view.data) + 4;
  EXPECT_THROW(Retriever{unaligned}, std::invalid_argument);
  EmbeddingMatrix bad_stride = m.view;
  bad_stride.row_stride = 8;
  EXPECT_THROW(Retriever{bad_stride}, std::invalid_argument);
}

TEST(RetrievalTest, ConcurrentCallersGetTheirOwnAnswers) {
  std::mt19937 rng(8);
  const std::size_t rows = 3000, dim = 40;
  const Matrix m(Normal(rows * dim, rng), dim, EmbeddingType::kF16);
  RetrieverOptions options;
  options.threads = 2;
  const Retriever r(m.view, options);
  std::vector<std::vector<float>> queries;
  std::vector<AccessMask> masks;
  std::vector<std::vector<Hit>> want;
  for (int i = 0; i < 4; ++i) {
    queries.push_back(Normal(dim, rng));
    masks.push_back(testing::RandomMask(rows, 0.5, rng));
    want.push_back(testing::BruteForce(m.view, queries.back(), masks.back(), 20));
  }
  std::vector<std::thread> callers;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      for (int rep = 0; rep < 25; ++rep) {
        if (r.Retrieve(queries[i], masks[i], 20) != want[i]) ++mismatches[i];
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(RetrievalTest, KernelChoice) {
  std::mt19937 rng(1);
  const Matrix m(Normal(10 * 8, rng), 8, EmbeddingType::kF32);
  RetrieverOptions options;
  EXPECT_EQ(options.gemm_min_batch, 32u);
  options.gemm_min_batch = 16;
  Retriever r(m.view, options);
  const RetrievalKernel simd =
      CpuHasSimdKernel() ? RetrievalKernel::kSimd : RetrievalKernel::kScalar;
  EXPECT_EQ(r.KernelFor(1), simd);
  EXPECT_EQ(r.KernelFor(15), simd);
  EXPECT_EQ(r.KernelFor(16), RetrievalKernel::kGemm);
  options.threads = 2;
  EXPECT_EQ(Retriever(m.view, options).threads(), 2u);
}

}  // namespace
}  // namespace tatami::retriever
