// Premise retrieval benchmark (run as scripts/bench.sh retrieval): builds a
// ReProver-shaped index of random unit vectors, measures this machine's read
// bandwidth over the f32 matrix, then our masked top-k for one query (f32 and
// f16) and for batches; writes queries and masks for the Python baseline
// (bench/retrieval_baseline.py). Last line: key=value figures.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/retrieval.h"

extern "C" char* openblas_get_config(void);
extern "C" int openblas_get_num_threads(void);

namespace tr = tatami::retriever;
using Clock = std::chrono::steady_clock;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Fills rows with unit vectors with Gaussian directions (Box-Muller over a
// splitmix64 stream; 2 threads).
void RandomUnitRows(std::vector<float>& out, std::size_t rows, std::size_t dim,
                    std::uint64_t seed) {
  out.resize(rows * dim);
  auto work = [&](std::size_t begin, std::size_t end, std::uint64_t state) {
    auto next = [&state] {
      std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      return z ^ (z >> 31);
    };
    auto uniform = [&] { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; };
    for (std::size_t r = begin; r < end; ++r) {
      float* row = out.data() + r * dim;
      double norm = 0;
      for (std::size_t i = 0; i < dim; i += 2) {
        const double radius = std::sqrt(-2 * std::log(uniform()));
        const double angle = 2 * M_PI * uniform();
        row[i] = static_cast<float>(radius * std::cos(angle));
        if (i + 1 < dim) row[i + 1] = static_cast<float>(radius * std::sin(angle));
      }
      for (std::size_t i = 0; i < dim; ++i) norm += double(row[i]) * row[i];
      const float inv = static_cast<float>(1 / std::sqrt(norm));
      for (std::size_t i = 0; i < dim; ++i) row[i] *= inv;
    }
  };
  std::thread t(work, rows / 2, rows, seed * 1000003 + 1);
  work(0, rows / 2, seed * 1000003);
  t.join();
}

// Sums n bytes as floats with 32-byte loads, 4 chains (AVX only: the caller
// checked the CPU).
__attribute__((target("avx"))) float SumBytes(const unsigned char* p, std::size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(reinterpret_cast<const float*>(p + i)));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(reinterpret_cast<const float*>(p + i + 32)));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(reinterpret_cast<const float*>(p + i + 64)));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(reinterpret_cast<const float*>(p + i + 96)));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float total = 0;
  for (float l : lanes) total += l;
  return total;
}

// Best read bandwidth (bytes/s) over [data, data + bytes) with `threads`
// threads summing 32-byte vectors (the same traffic a single f32 query needs).
double ReadBandwidth(const void* data, std::size_t bytes, unsigned threads, int reps) {
  double best = 0;
  volatile float sink = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<float> sums(threads);
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    // Threads take 1 MiB chunks from a shared counter, as the retriever does.
    std::atomic<std::size_t> next{0};
    auto run = [&](unsigned t) {
      constexpr std::size_t kChunk = std::size_t{1} << 20;
      float sum = 0;
      for (;;) {
        const std::size_t begin = next.fetch_add(1) * kChunk;
        if (begin >= bytes) break;
        sum += SumBytes(static_cast<const unsigned char*>(data) + begin,
                        std::min(kChunk, bytes - begin));
      }
      sums[t] = sum;
    };
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
    run(0);
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, static_cast<double>(bytes) / s);
    for (float v : sums) sink = sink + v;
  }
  return best;
}

std::filesystem::path WriteIndex(const std::filesystem::path& path, const tr::Corpus& corpus,
                                 std::size_t dim, tr::EmbeddingType type,
                                 const std::vector<float>& rows) {
  tr::IndexWriterOptions options;
  options.dtype = type;
  options.encoder_fingerprint = "bench-random-unit-vectors";
  tr::IndexWriter writer(path, corpus, static_cast<std::uint32_t>(dim), options);
  const std::size_t batch = 4096;
  for (std::size_t r = 0; r < corpus.premises().size(); r += batch) {
    const std::size_t n = std::min(batch, corpus.premises().size() - r);
    writer.Append(std::span<const float>(rows).subspan(r * dim, n * dim));
  }
  writer.Finish();
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tatami premise retrieval benchmark"};
  std::filesystem::path dir;
  std::size_t premises = 150000, dim = 1472, singles = 20;
  double access = 0.6;
  int k = 100;
  unsigned threads = 2;
  app.add_option("--dir", dir, "scratch directory for the index files")->required();
  app.add_option("--premises", premises, "number of premises");
  app.add_option("--dim", dim, "embedding dimension");
  app.add_option("--access", access, "fraction of premises accessible to each query");
  app.add_option("--k", k, "premises per query");
  app.add_option("--singles", singles, "single queries timed (median reported)");
  app.add_option("--threads", threads, "retrieval threads");
  bool reuse = false;
  app.add_flag("--reuse", reuse, "reuse f32.idx/f16.idx already in --dir (same shape)");
  CLI11_PARSE(app, argc, argv);

  if (!__builtin_cpu_supports("avx")) {
    std::fprintf(stderr, "retrieval bench: the bandwidth probe needs AVX\n");
    return 1;
  }
  std::printf("cpu: avx2+fma+f16c kernel %s; %u retrieval threads\n",
              tr::CpuHasSimdKernel() ? "yes" : "no", threads);
  std::printf("blas (ours, GEMM path): %s, %d threads\n", openblas_get_config(),
              openblas_get_num_threads());

  // --- data: a corpus shape (1500 files) and random unit embeddings ---
  std::vector<tr::CorpusFile> files(1500);
  std::vector<tr::Premise> ps(premises);
  for (std::size_t f = 0; f < files.size(); ++f) files[f].path = fmt::format("Bench/F{}.lean", f);
  for (std::size_t i = 0; i < premises; ++i) {
    ps[i].full_name = fmt::format("bench.p{}", i);
    ps[i].file = static_cast<std::uint32_t>(i * files.size() / premises);
    ps[i].start = {1, 1};
    ps[i].end = {2, 1};
  }
  const tr::Corpus corpus = tr::Corpus::FromParts(std::move(files), std::move(ps));
  auto t0 = Clock::now();
  const auto f32_path = dir / "f32.idx";
  const auto f16_path = dir / "f16.idx";
  if (!reuse || !std::filesystem::exists(f32_path) || !std::filesystem::exists(f16_path)) {
    std::vector<float> rows;
    RandomUnitRows(rows, premises, dim, 1);
    std::printf("generated %zu x %zu unit vectors in %.1f s\n", premises, dim,
                Ms(Clock::now() - t0) / 1000);
    std::filesystem::create_directories(dir);
    t0 = Clock::now();
    WriteIndex(f32_path, corpus, dim, tr::EmbeddingType::kF32, rows);
    const double write_f32_s = Ms(Clock::now() - t0) / 1000;
    WriteIndex(f16_path, corpus, dim, tr::EmbeddingType::kF16, rows);
    std::printf("wrote indexes: f32 %.0f MB in %.1f s, f16 %.0f MB\n",
                std::filesystem::file_size(f32_path) / 1e6, write_f32_s,
                std::filesystem::file_size(f16_path) / 1e6);
  }

  // --- index load (mmap + structural checks), page cache warm ---
  std::vector<double> loads, loads_verified;
  for (int i = 0; i < 7; ++i) {
    t0 = Clock::now();
    auto idx = tr::PremiseIndex::Open(f32_path);
    loads.push_back(Ms(Clock::now() - t0));
  }
  {
    tr::IndexOpenOptions verify;
    verify.verify_checksum = true;
    t0 = Clock::now();
    auto idx = tr::PremiseIndex::Open(f32_path, verify);
    loads_verified.push_back(Ms(Clock::now() - t0));
  }
  const double load_ms = Median(loads);
  std::printf("index load (mmap, structure checked): median %.2f ms; with full checksum %.0f ms\n",
              load_ms, loads_verified[0]);

  const tr::PremiseIndex f32 = tr::PremiseIndex::Open(f32_path);
  const tr::PremiseIndex f16 = tr::PremiseIndex::Open(f16_path);
  const tr::EmbeddingMatrix m32 = f32.matrix(), m16 = f16.matrix();
  const std::size_t f32_bytes = m32.rows * m32.row_stride * sizeof(float);

  // --- memory bandwidth over the f32 matrix itself ---
  ReadBandwidth(m32.data, f32_bytes, threads, 1);  // fault the pages in
  ReadBandwidth(m16.data, f32_bytes / 2, threads, 1);
  const double bandwidth = ReadBandwidth(m32.data, f32_bytes, threads, 5);
  const double bound_ms = f32_bytes / bandwidth * 1000;
  std::printf(
      "read bandwidth (%u threads, best of 5): %.1f GB/s -> reading the %.0f MB f32 "
      "matrix takes %.1f ms (the bound)\n",
      threads, bandwidth / 1e9, f32_bytes / 1e6, bound_ms);

  // --- queries and masks ---
  const std::size_t max_batch = 64;
  std::vector<float> queries;
  RandomUnitRows(queries, std::max(max_batch, singles), dim, 2);
  std::vector<tr::AccessMask> masks;
  std::mt19937_64 rng(3);
  std::bernoulli_distribution keep(access);
  for (std::size_t q = 0; q < std::max(max_batch, singles); ++q) {
    tr::AccessMask mask(premises);
    for (std::size_t i = 0; i < premises; ++i) {
      if (keep(rng)) mask.Set(i);
    }
    masks.push_back(std::move(mask));
  }
  double covered = 0;
  for (const auto& mask : masks) covered += double(mask.Count()) / premises;
  covered /= masks.size();
  auto query = [&](std::size_t q) { return std::span<const float>(queries).subspan(q * dim, dim); };

  tr::RetrieverOptions options;
  options.threads = threads;
  auto single = [&](const tr::EmbeddingMatrix& m, const char* name) {
    tr::Retriever r(m, options);
    for (std::size_t q = 0; q < 3; ++q) r.Retrieve(query(q), masks[q], k);  // warm-up
    std::vector<double> times;
    for (std::size_t q = 0; q < singles; ++q) {
      t0 = Clock::now();
      auto hits = r.Retrieve(query(q), masks[q], k);
      times.push_back(Ms(Clock::now() - t0));
      if (hits.size() != static_cast<std::size_t>(k)) std::abort();
    }
    const double med = Median(times);
    std::printf("ours %s, one query (masked top-%d, %s kernel): median %.2f ms over %zu queries\n",
                name, k, std::string(tr::ToString(r.KernelFor(1))).c_str(), med, singles);
    return med;
  };
  const double ours_f32 = single(m32, "f32");
  const double ours_f16 = single(m16, "f16");

  auto batch = [&](const tr::EmbeddingMatrix& m, std::size_t b, tr::RetrievalKernel kernel,
                   int reps) {
    tr::RetrieverOptions o = options;
    o.kernel = kernel;
    tr::Retriever r(m, o);
    std::vector<const tr::AccessMask*> ptrs;
    for (std::size_t q = 0; q < b; ++q) ptrs.push_back(&masks[q]);
    const auto qs = std::span<const float>(queries).subspan(0, b * dim);
    r.RetrieveBatch(qs, ptrs, k);  // warm-up
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
      t0 = Clock::now();
      r.RetrieveBatch(qs, ptrs, k);
      times.push_back(Ms(Clock::now() - t0) / b);
    }
    const double med = Median(times);
    std::printf("ours %s, batch of %zu (%s): %.2f ms per query\n",
                std::string(tr::ToString(m.type)).c_str(), b,
                std::string(tr::ToString(r.KernelFor(b))).c_str(), med);
    return med;
  };
  const double b8 = batch(m32, 8, tr::RetrievalKernel::kAuto, 5);
  batch(m32, 8, tr::RetrievalKernel::kGemm, 3);
  batch(m32, 16, tr::RetrievalKernel::kSimd, 3);
  batch(m32, 16, tr::RetrievalKernel::kGemm, 3);
  const double b64 = batch(m32, 64, tr::RetrievalKernel::kAuto, 3);
  batch(m32, 64, tr::RetrievalKernel::kSimd, 2);
  const double b64_f16 = batch(m16, 64, tr::RetrievalKernel::kAuto, 3);

  // --- exactness spot check against the brute-force definition ---
  bool exact = true;
  {
    tr::Retriever r(m32, options);
    for (std::size_t q = 0; q < 2; ++q) {
      std::vector<tr::Hit> all;
      for (std::size_t i = 0; i < premises; ++i) {
        if (masks[q].Test(i))
          all.push_back({static_cast<std::uint32_t>(i), tr::ScoreOf(m32, i, query(q))});
      }
      std::sort(all.begin(), all.end(), [](const tr::Hit& a, const tr::Hit& b) {
        return a.score != b.score ? a.score > b.score : a.premise < b.premise;
      });
      all.resize(static_cast<std::size_t>(k));
      exact = exact && r.Retrieve(query(q), masks[q], k) == all;
    }
    std::vector<const tr::AccessMask*> ptrs;
    for (std::size_t q = 0; q < 2; ++q) ptrs.push_back(&masks[q]);
    tr::RetrieverOptions g = options;
    g.kernel = tr::RetrievalKernel::kGemm;
    tr::Retriever rg(m32, g);
    const auto viaGemm =
        rg.RetrieveBatch(std::span<const float>(queries).subspan(0, 2 * dim), ptrs, k);
    exact = exact && viaGemm[0] == r.Retrieve(query(0), masks[0], k) &&
            viaGemm[1] == r.Retrieve(query(1), masks[1], k);
    // Our answer for query 0, for the baseline to compare with.
    std::ofstream out(dir / "ours_top.txt");
    for (const auto& h : r.Retrieve(query(0), masks[0], k)) out << h.premise << "\n";
  }
  std::printf("exact vs brute force (2 queries; SIMD and GEMM): %s\n", exact ? "yes" : "NO");

  // --- inputs for the baseline ---
  {
    std::ofstream qf(dir / "queries.f32", std::ios::binary);
    qf.write(reinterpret_cast<const char*>(queries.data()),
             static_cast<std::streamsize>(queries.size() * sizeof(float)));
    std::ofstream mf(dir / "masks.u8", std::ios::binary);
    std::vector<unsigned char> bytes(premises);
    for (std::size_t q = 0; q < singles; ++q) {
      for (std::size_t i = 0; i < premises; ++i) bytes[i] = masks[q].Test(i);
      mf.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(premises));
    }
  }

  std::printf(
      "premises=%zu dim=%zu access=%.3f k=%d bandwidth_gbs=%.2f bound_ms=%.2f ours_f32_ms=%.2f "
      "ours_f16_ms=%.2f ours_b8_ms_per_query=%.2f ours_b64_ms_per_query=%.2f "
      "ours_b64_f16_ms_per_query=%.2f load_ms=%.2f exact=%d\n",
      premises, dim, covered, k, bandwidth / 1e9, bound_ms, ours_f32, ours_f16, b8, b64, b64_f16,
      load_ms, exact ? 1 : 0);
  return exact ? 0 : 1;
}
