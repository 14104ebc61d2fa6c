// Premise retrieval benchmark (run as scripts/bench.sh retrieval): builds a
// ReProver-shaped index of random unit vectors; in rounds, side by side,
// measures the read bounds (the whole f32 matrix read sequentially; the rows
// one query may see read as a masked query reads them, scattered) and our
// masked top-k for one query (f32 and f16); then batches, exactness against
// brute force on many queries, and writes queries and masks for the Python
// baseline (bench/retrieval_baseline.py). Last line: key=value figures.
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "row_stream_prefetch.h"  // the library's prefetch schedule, for the masked read
#include "score_kernels.h"        // the AVX-512 scan's schedule, likewise
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/retrieval.h"

extern "C" char* openblas_get_config(void);
extern "C" int openblas_get_num_threads(void);

namespace tr = tatami::retriever;
namespace tri = tatami::retriever::internal;
using Clock = std::chrono::steady_clock;

namespace {

// Masks written for bench/retrieval_baseline.py (it times up to 10 queries).
constexpr std::size_t kBaselineQueries = 10;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Bytes of [p, p + n) that the kernel backs with transparent huge pages: the
// AnonHugePages of the mappings in /proc/self/smaps that the range overlaps,
// each counted up to the overlap.
std::size_t HugePageBytes(const void* p, std::size_t n) {
  const auto begin = reinterpret_cast<std::uintptr_t>(p), end = begin + n;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  std::uintptr_t lo = 0, hi = 0;
  std::size_t total = 0;
  while (std::getline(smaps, line)) {
    unsigned long a = 0, b = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &a, &b) == 2) {
      lo = a;
      hi = b;
    } else if (line.rfind("AnonHugePages:", 0) == 0 && lo < end && begin < hi) {
      const std::size_t kb = std::stoul(line.substr(14));
      total += std::min<std::size_t>(kb * 1024, std::min(hi, end) - std::max(lo, begin));
    }
  }
  return total;
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

// ORs n bytes (a multiple of 128) into *acc with 32-byte loads, 4
// independent chains: a read that costs nothing beyond the loads themselves
// (integer ops, so f16 bit patterns read as floats cannot hit slow paths).
// Vectors pass by pointer: the rest of this file is built without AVX.
__attribute__((target("avx2"))) inline void OrBytes(const unsigned char* p, std::size_t n,
                                                    __m256i* acc) {
  __m256i a0 = *acc, a1 = _mm256_setzero_si256(), a2 = a1, a3 = a1;
  for (std::size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_or_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_or_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_or_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_or_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  *acc = _mm256_or_si256(_mm256_or_si256(a0, a1), _mm256_or_si256(a2, a3));
}

// Two rows read together while the library's prefetcher is advanced by the
// lines read: the access schedule of the library's SIMD scan, without its
// arithmetic.
__attribute__((target("avx2"))) inline void OrRowPair(const unsigned char* r0,
                                                      const unsigned char* r1, std::size_t bytes,
                                                      tri::RowStreamPrefetcher& prefetch,
                                                      __m256i* acc) {
  __m256i a0 = *acc, a1 = _mm256_setzero_si256(), a2 = a1, a3 = a1;
  for (std::size_t i = 0; i + 128 <= bytes; i += 128) {
    prefetch.Advance(4);
    a0 = _mm256_or_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(r0 + i)));
    a1 = _mm256_or_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(r1 + i)));
    a0 = _mm256_or_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(r0 + i + 32)));
    a1 = _mm256_or_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(r1 + i + 32)));
    a2 = _mm256_or_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(r0 + i + 64)));
    a3 = _mm256_or_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(r1 + i + 64)));
    a2 = _mm256_or_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(r0 + i + 96)));
    a3 = _mm256_or_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(r1 + i + 96)));
  }
  *acc = _mm256_or_si256(_mm256_or_si256(a0, a1), _mm256_or_si256(a2, a3));
}

// The access schedule of the library's AVX-512 scan
// (src/score_kernels_avx512.cpp), without its arithmetic: twelve rows read
// side by side at the same offsets, each the current row of one of twelve
// streams that continue into `next` (the next twelve rows, or null), with
// lines requested kPrefetchBytes ahead in every stream.
constexpr std::size_t kRowsTogether = tri::kRowsReadTogether;
constexpr std::size_t kPrefetchBytes = tri::kStreamPrefetchBytes;
__attribute__((target("avx2"))) inline void OrRowGroup(const unsigned char* const* r,
                                                       const unsigned char* const* next,
                                                       std::size_t bytes, __m256i* acc) {
  __m256i a0 = *acc, a1 = _mm256_setzero_si256();
  for (std::size_t i = 0; i + 64 <= bytes; i += 64) {
    const std::size_t ahead = i + kPrefetchBytes;
    for (std::size_t j = 0; j < kRowsTogether; ++j) {
      if (ahead < bytes) {
        _mm_prefetch(reinterpret_cast<const char*>(r[j]) + ahead, _MM_HINT_T0);
      } else if (next != nullptr && ahead - bytes < bytes) {
        _mm_prefetch(reinterpret_cast<const char*>(next[j]) + (ahead - bytes), _MM_HINT_T0);
      }
    }
#pragma GCC unroll 12
    for (std::size_t j = 0; j < kRowsTogether; ++j) {
      a0 = _mm256_or_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(r[j] + i)));
      a1 = _mm256_or_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(r[j] + i + 32)));
    }
  }
  *acc = _mm256_or_si256(a0, a1);
}

// The first kPrefetchBytes of a row that no stream runs into.
inline void PrefetchHead(const unsigned char* row, std::size_t bytes) {
  for (std::size_t b = 0; b < std::min(kPrefetchBytes, bytes); b += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(row) + b, _MM_HINT_T0);
  }
}

volatile std::uint64_t g_sink;

__attribute__((target("avx2"))) void Sink(const __m256i* v) {
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), *v);
  g_sink = lanes[0] | lanes[1] | lanes[2] | lanes[3];
}

// Wall time and the CPU time of the whole process (all threads), in ms. On a
// machine shared with other work, a thread waiting for a core adds to the
// wall time but not to the CPU time, so CPU-time ratios stay meaningful when
// wall-time ratios are mostly queueing.
struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;
};

double ProcessCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

template <typename Fn>
Timing Measure(Fn fn) {
  const double c0 = ProcessCpuMs();
  const auto t0 = Clock::now();
  fn();
  return {Ms(Clock::now() - t0), ProcessCpuMs() - c0};
}

// Persistent threads for the probes, woken per run like the retriever's own
// pool: on a busy machine a freshly created thread waits for a core longer
// than a woken one, which would make the probes slower than the queries for
// reasons that have nothing to do with reading memory.
class ProbeThreads {
 public:
  explicit ProbeThreads(unsigned size) {
    for (unsigned i = 1; i < size; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~ProbeThreads() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // Runs fn on every thread (the caller included) and times it.
  Timing Run(const std::function<void()>& fn) {
    return Measure([&] {
      {
        std::lock_guard lock(mutex_);
        job_ = &fn;
        pending_ = threads_.size();
        ++generation_;
      }
      wake_.notify_all();
      fn();
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_ == 0; });
    });
  }

 private:
  void Loop() {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void()>* job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      (*job)();
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()>* job_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// One thread's share of a sequential read: 1 MiB chunks from a shared counter.
__attribute__((target("avx2"))) void SequentialReadWorker(const unsigned char* data,
                                                          std::size_t bytes,
                                                          std::atomic<std::size_t>* next) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  __m256i acc = _mm256_setzero_si256();
  for (;;) {
    const std::size_t begin = next->fetch_add(1) * kChunk;
    if (begin >= bytes) break;
    OrBytes(data + begin, std::min(kChunk, bytes - begin), &acc);
  }
  Sink(&acc);
}

// `threads` threads reading [data, data + bytes) sequentially.
Timing SequentialRead(const void* data, std::size_t bytes, ProbeThreads& threads) {
  std::atomic<std::size_t> next{0};
  return threads.Run(
      [&] { SequentialReadWorker(static_cast<const unsigned char*>(data), bytes, &next); });
}

// How a masked-read probe walks a chunk's rows: as the library's AVX-512
// scan does, as its AVX2 scan does, or one row after another.
enum class ReadSchedule { kGroupsOfTwelve, kPairsPrefetched, kPlain };

struct MaskedReadJob {
  const unsigned char* base;
  std::size_t row_bytes;
  std::span<const std::uint64_t> words;
  std::vector<std::pair<std::size_t, std::size_t>> chunks;  // word ranges
  ReadSchedule schedule;
};

// One thread's share of a masked read: chunks from a shared counter, each
// chunk's accessible rows listed, then read.
__attribute__((target("avx2"))) void MaskedReadWorker(const MaskedReadJob& job,
                                                      std::atomic<std::size_t>* next) {
  std::vector<std::uint32_t> list;
  __m256i acc = _mm256_setzero_si256();
  for (;;) {
    const std::size_t c = next->fetch_add(1);
    if (c >= job.chunks.size()) break;
    list.clear();
    for (std::size_t w = job.chunks[c].first; w < job.chunks[c].second; ++w) {
      for (std::uint64_t bits = job.words[w]; bits != 0; bits &= bits - 1) {
        list.push_back(static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits)));
      }
    }
    const std::size_t n = list.size();
    auto row = [&](std::size_t i) { return job.base + list[i] * job.row_bytes; };
    std::size_t i = 0;
    if (job.schedule == ReadSchedule::kGroupsOfTwelve) {
      for (std::size_t j = 0; j < std::min(n, kRowsTogether); ++j)
        PrefetchHead(row(j), job.row_bytes);
      for (; i + kRowsTogether <= n; i += kRowsTogether) {
        const unsigned char* r[kRowsTogether];
        const unsigned char* next[kRowsTogether];
        const bool has_next = i + 2 * kRowsTogether <= n;
        for (std::size_t j = 0; j < kRowsTogether; ++j) r[j] = row(i + j);
        if (has_next) {
          for (std::size_t j = 0; j < kRowsTogether; ++j) next[j] = row(i + kRowsTogether + j);
        } else {
          for (std::size_t j = i + kRowsTogether; j < n; ++j) PrefetchHead(row(j), job.row_bytes);
        }
        OrRowGroup(r, has_next ? next : nullptr, job.row_bytes, &acc);
      }
    }
    if (job.schedule == ReadSchedule::kPairsPrefetched && n >= 2) {
      tri::RowStreamPrefetcher prefetch(job.base, job.row_bytes, list.data(), n,
                                        /*rows_together=*/2);
      for (; i + 2 <= n; i += 2) OrRowPair(row(i), row(i + 1), job.row_bytes, prefetch, &acc);
    }
    for (; i < n; ++i) OrBytes(row(i), job.row_bytes, &acc);
  }
  Sink(&acc);
}

// `threads` threads reading exactly the rows of `mask`, every
// byte of each, and nothing else: the reads a masked query must do, in the
// order it does them (chunks of about 512 accessible rows taken from a shared
// counter, as the library's scan cuts them), on the given schedule.
Timing MaskedRead(const tr::EmbeddingMatrix& m, const tr::AccessMask& mask, ProbeThreads& threads,
                  ReadSchedule schedule) {
  MaskedReadJob job{
      static_cast<const unsigned char*>(m.data),
      m.row_stride * (m.type == tr::EmbeddingType::kF32 ? sizeof(float) : sizeof(std::uint16_t)),
      mask.words(),
      {},
      schedule};
  for (std::size_t w = 0, begin = 0, rows = 0; w < job.words.size(); ++w) {
    rows += static_cast<std::size_t>(std::popcount(job.words[w]));
    if (rows >= 512 || w + 1 - begin >= 64 || w + 1 == job.words.size()) {
      if (rows > 0) job.chunks.push_back({begin, w + 1});
      begin = w + 1;
      rows = 0;
    }
  }
  std::atomic<std::size_t> next{0};
  return threads.Run([&] { MaskedReadWorker(job, &next); });
}

// The score of one row in the documented fixed order (src/score_kernels.h:
// 8-float chunk c fused-multiply-added into accumulator c % 4, then
// (a0 + a1) + (a2 + a3) and the lanes as ((l0 + l4) + (l2 + l6)) +
// ((l1 + l5) + (l3 + l7))), written independently of the library's kernels
// so that the brute-force answers for many queries take seconds. Checked
// against the library's ScoreOf below.
__attribute__((target("avx2,fma,f16c"))) float ReferenceScore(const tr::EmbeddingMatrix& m,
                                                              std::size_t row, const float* q) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  for (std::size_t c = 0; c * 8 < m.row_stride; ++c) {
    __m256 r;
    if (m.type == tr::EmbeddingType::kF32) {
      r = _mm256_load_ps(static_cast<const float*>(m.data) + row * m.row_stride + c * 8);
    } else {
      r = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(
          static_cast<const std::uint16_t*>(m.data) + row * m.row_stride + c * 8)));
    }
    acc[c % 4] = _mm256_fmadd_ps(_mm256_loadu_ps(q + c * 8), r, acc[c % 4]);
  }
  alignas(32) float l[8];
  _mm256_store_ps(l, _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

// Brute force: every accessible row scored, sorted by (score desc, index
// asc), the first k kept.
std::vector<tr::Hit> BruteForce(const tr::EmbeddingMatrix& m, std::span<const float> query,
                                const tr::AccessMask& mask, int k) {
  std::vector<float> q(m.row_stride, 0.0f);
  std::copy(query.begin(), query.end(), q.begin());
  std::vector<tr::Hit> all;
  for (std::size_t r = 0; r < m.rows; ++r) {
    if (mask.Test(r))
      all.push_back({static_cast<std::uint32_t>(r), ReferenceScore(m, r, q.data())});
  }
  const auto better = [](const tr::Hit& a, const tr::Hit& b) {
    return a.score != b.score ? a.score > b.score : a.premise < b.premise;
  };
  const std::size_t keep = std::min(all.size(), static_cast<std::size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    better);
  all.resize(keep);
  return all;
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
  std::size_t premises = 150000, dim = 1472, rounds = 31, exact_queries = 64;
  double access = 0.6;
  int k = 100;
  unsigned threads = 2;
  app.add_option("--dir", dir, "scratch directory for the index files")->required();
  app.add_option("--premises", premises, "number of premises");
  app.add_option("--dim", dim, "embedding dimension");
  app.add_option("--access", access, "fraction of premises accessible to each query");
  std::size_t file_rows = 0;
  app.add_option("--file-rows", file_rows,
                 "masks made of whole files, as accessibility makes them (a query sees a file's "
                 "premises all or none; the index keeps each file's rows together), files of 1 "
                 "to 2N-1 rows, N on average; 0 (the default): each row accessible or not on its "
                 "own, the most scattered reads");
  app.add_option("--k", k, "premises per query");
  app.add_option("--rounds", rounds,
                 "rounds of side-by-side timings (read probes, one f32 and one f16 query; "
                 "medians reported)");
  app.add_option("--exact-queries", exact_queries,
                 "queries whose answers are checked against brute force (f32 and f16)");
  app.add_option("--threads", threads, "retrieval threads");
  bool reuse = false;
  app.add_flag("--reuse", reuse, "reuse f32.idx/f16.idx already in --dir (same shape)");
  bool mapped = false;
  app.add_flag("--mmap", mapped,
               "query the indexes through their file mappings instead of copies loaded into "
               "memory with huge pages (IndexOpenOptions::load_into_memory); the read bounds are "
               "measured on the same memory either way");
  CLI11_PARSE(app, argc, argv);

  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
      !__builtin_cpu_supports("f16c")) {
    std::fprintf(stderr,
                 "retrieval bench: the read probes and the reference need AVX2, FMA, F16C\n");
    return 1;
  }
  if (rounds == 0 || exact_queries == 0) {
    std::fprintf(stderr, "retrieval bench: --rounds and --exact-queries must be positive\n");
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

  // The indexes the queries and the read probes use: copies in huge pages
  // (the default) or the file mappings (--mmap).
  tr::IndexOpenOptions open_options;
  open_options.load_into_memory = !mapped;
  t0 = Clock::now();
  const tr::PremiseIndex f32 = tr::PremiseIndex::Open(f32_path, open_options);
  const double open_f32_ms = Ms(Clock::now() - t0);
  const tr::PremiseIndex f16 = tr::PremiseIndex::Open(f16_path, open_options);
  const tr::EmbeddingMatrix m32 = f32.matrix(), m16 = f16.matrix();
  const std::size_t f32_bytes = m32.rows * m32.row_stride * sizeof(float);
  const double huge_share =
      double(HugePageBytes(m32.data, f32_bytes) + HugePageBytes(m16.data, f32_bytes / 2)) /
      (f32_bytes + f32_bytes / 2);
  std::printf(
      "embeddings: %s; open of the f32 index %.0f ms; %.0f%% of both matrices on huge "
      "pages (AnonHugePages in /proc/self/smaps)\n",
      mapped ? "read through the file mappings (--mmap)"
             : "loaded into memory with huge pages requested",
      open_f32_ms, 100 * huge_share);
  if (!mapped && huge_share < 0.9) {
    std::printf(
        "warning: the loaded copies did not get huge pages (transparent huge pages "
        "disabled or memory fragmented; see /sys/kernel/mm/transparent_hugepage)\n");
  }
  // On a machine shared with other work the kernel reclaims page cache, and a
  // memory benchmark whose pages are evicted measures the disk: keep both
  // matrices resident (mlock faults them in) when permitted.
  const bool locked = mlock(m32.data, f32_bytes) == 0 && mlock(m16.data, f32_bytes / 2) == 0;
  std::printf("matrices locked in memory: %s\n",
              locked ? "yes" : "no (mlock not permitted; pages may be reclaimed during the run)");

  // --- queries and masks ---
  const std::size_t max_batch = 64;
  const std::size_t nqueries = std::max({max_batch, rounds, exact_queries, kBaselineQueries});
  std::vector<float> queries;
  RandomUnitRows(queries, nqueries, dim, 2);
  std::vector<tr::AccessMask> masks;
  std::mt19937_64 rng(3);
  std::bernoulli_distribution keep(access);
  // With --file-rows: the files' row ranges, the same for every query.
  std::vector<tr::PremiseRange> mask_files;
  if (file_rows > 0) {
    std::uniform_int_distribution<std::size_t> size(1, 2 * file_rows - 1);
    for (std::size_t begin = 0; begin < premises;) {
      const std::size_t end = std::min(premises, begin + size(rng));
      mask_files.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
      begin = end;
    }
  }
  for (std::size_t q = 0; q < nqueries; ++q) {
    tr::AccessMask mask(premises);
    if (file_rows == 0) {
      for (std::size_t i = 0; i < premises; ++i) {
        if (keep(rng)) mask.Set(i);
      }
    } else {
      for (const tr::PremiseRange& file : mask_files) {
        if (keep(rng)) mask.SetRange(file);
      }
    }
    masks.push_back(std::move(mask));
  }
  double covered = 0;
  for (const auto& mask : masks) covered += double(mask.Count()) / premises;
  covered /= masks.size();
  auto query = [&](std::size_t q) { return std::span<const float>(queries).subspan(q * dim, dim); };

  // --- side by side, round after round: the read probes and one query of
  // each type, so that load from elsewhere on the machine falls on all alike.
  // Per round: the sequential read of the whole f32 matrix; the masked reads
  // of this round's accessible rows (f32, f16; the faster of the scan's
  // schedule and plain reads); one f32 and one f16 query with that mask.
  tr::RetrieverOptions options;
  options.threads = threads;
  const tr::Retriever r32(m32, options), r16(m16, options);
  ProbeThreads probe(threads);
  SequentialRead(m32.data, f32_bytes, probe);  // fault the pages in, warm the caches
  SequentialRead(m16.data, f32_bytes / 2, probe);
  for (std::size_t q = 0; q < 3; ++q) {
    r32.Retrieve(query(q), masks[q], k);
    r16.Retrieve(query(q), masks[q], k);
  }
  // The masked read is the fastest of the schedules.
  auto masked_bound = [&](const tr::EmbeddingMatrix& m, const tr::AccessMask& mask) {
    Timing best{1e300, 1e300};
    for (ReadSchedule schedule :
         {ReadSchedule::kGroupsOfTwelve, ReadSchedule::kPairsPrefetched, ReadSchedule::kPlain}) {
      const Timing t = MaskedRead(m, mask, probe, schedule);
      best = {std::min(best.wall_ms, t.wall_ms), std::min(best.cpu_ms, t.cpu_ms)};
    }
    return best;
  };
  auto timed_query = [&](const tr::Retriever& r, std::size_t q) {
    std::vector<tr::Hit> hits;
    const Timing t = Measure([&] { hits = r.Retrieve(query(q), masks[q], k); });
    if (hits.size() != static_cast<std::size_t>(k)) std::abort();
    return t;
  };
  // A query's bound in a round (the definition): the time to read
  // the bytes it must read as if they were contiguous, i.e. the sequential
  // read of the whole f32 matrix times the access fraction (f16 rows are
  // exactly half as long). The masked reads (the same bytes as laid out,
  // read on the scan's schedule) are reported beside it as a second, looser
  // floor: the cost of reading scattered rows without any arithmetic.
  struct Round {
    Timing seq, seq16, masked32, masked16, ours32, ours16;
    double access;
    double Seq32(bool cpu) const { return access * (cpu ? seq.cpu_ms : seq.wall_ms); }
    double Seq16(bool cpu) const { return Seq32(cpu) / 2; }
    double Bound32(bool cpu) const { return Seq32(cpu); }
    double Bound16(bool cpu) const { return Seq16(cpu); }
  };
  std::vector<Round> timed;
  for (std::size_t i = 0; i < rounds; ++i) {
    Round round;
    round.access = double(masks[i].Count()) / premises;
    round.seq = SequentialRead(m32.data, f32_bytes, probe);
    round.seq16 = SequentialRead(m16.data, f32_bytes / 2, probe);
    round.masked32 = masked_bound(m32, masks[i]);
    round.ours32 = timed_query(r32, i);
    round.masked16 = masked_bound(m16, masks[i]);
    round.ours16 = timed_query(r16, i);
    timed.push_back(round);
  }
  auto median_of = [&](auto f) {
    std::vector<double> v;
    for (const Round& r : timed) v.push_back(f(r));
    return Median(v);
  };
  const double bound_ms = median_of([](const Round& r) { return r.seq.wall_ms; });
  const double bandwidth = f32_bytes / bound_ms * 1000;
  // The f16 copy's own sequential rate (reported, not a bound: the bounds
  // follow the f32 read, as defined above).
  const double bandwidth_f16 =
      f32_bytes / 2 / median_of([](const Round& r) { return r.seq16.wall_ms; }) * 1000;
  const double masked_f32 = median_of([](const Round& r) { return r.masked32.wall_ms; });
  const double masked_f16 = median_of([](const Round& r) { return r.masked16.wall_ms; });
  const double masked_bandwidth =
      median_of([&](const Round& r) { return r.access * f32_bytes / r.masked32.wall_ms * 1000; });
  const double seq_bound_f32 = median_of([](const Round& r) { return r.Seq32(false); });
  const double seq_bound_f16 = median_of([](const Round& r) { return r.Seq16(false); });
  const double bound_f32 = median_of([](const Round& r) { return r.Bound32(false); });
  const double bound_f16 = median_of([](const Round& r) { return r.Bound16(false); });
  const double ours_f32 = median_of([](const Round& r) { return r.ours32.wall_ms; });
  const double ours_f16 = median_of([](const Round& r) { return r.ours16.wall_ms; });
  const double f32_over_bound =
      median_of([](const Round& r) { return r.ours32.wall_ms / r.Bound32(false); });
  const double f16_over_bound =
      median_of([](const Round& r) { return r.ours16.wall_ms / r.Bound16(false); });
  const double f32_over_masked =
      median_of([](const Round& r) { return r.ours32.wall_ms / r.masked32.wall_ms; });
  const double f16_over_masked =
      median_of([](const Round& r) { return r.ours16.wall_ms / r.masked16.wall_ms; });
  const double f32_over_seq =
      median_of([](const Round& r) { return r.ours32.wall_ms / r.Seq32(false); });
  const double f16_over_seq =
      median_of([](const Round& r) { return r.ours16.wall_ms / r.Seq16(false); });
  const double f32_over_bound_cpu =
      median_of([](const Round& r) { return r.ours32.cpu_ms / r.Bound32(true); });
  const double f16_over_bound_cpu =
      median_of([](const Round& r) { return r.ours16.cpu_ms / r.Bound16(true); });
  std::printf(
      "%zu rounds, medians (%u threads, %s kernel, top-%d, %.3f of the rows accessible, %s):\n",
      rounds, threads, std::string(tr::ToString(r32.KernelFor(1))).c_str(), k, covered,
      file_rows == 0 ? "each row on its own"
                     : ("whole files of " + std::to_string(file_rows) + " rows on average, " +
                        std::to_string(mask_files.size()) + " files")
                           .c_str());
  std::printf(
      "  sequential read of the whole f32 matrix (%.0f MB): %.2f ms = %.1f GB/s (the f16 "
      "matrix: %.1f GB/s)\n",
      f32_bytes / 1e6, bound_ms, bandwidth / 1e9, bandwidth_f16 / 1e9);
  std::printf(
      "  bounds (the accessible rows' bytes at the sequential rate): f32 %.2f ms, f16 %.2f ms\n",
      bound_f32, bound_f16);
  std::printf(
      "  masked reads (those rows as laid out, the scan's prefetching, no arithmetic): f32 %.2f "
      "ms = %.1f GB/s (%.2fx its bound), f16 %.2f ms (%.2fx its bound)\n",
      masked_f32, masked_bandwidth / 1e9, masked_f32 / bound_f32, masked_f16,
      masked_f16 / bound_f16);
  std::printf(
      "  ours, one f32 query: %.2f ms = %.2fx its bound (%.2fx the masked read; CPU time %.2fx "
      "the bound's)\n",
      ours_f32, f32_over_bound, f32_over_masked, f32_over_bound_cpu);
  std::printf(
      "  ours, one f16 query: %.2f ms = %.2fx its bound (%.2fx the masked read; CPU time %.2fx "
      "the bound's)\n",
      ours_f16, f16_over_bound, f16_over_masked, f16_over_bound_cpu);

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

  // --- exactness against brute force: single queries (SIMD scan) on f32 and
  // f16, the batch of 8 (fused scan) and the batch of 64 (GEMM path) ---
  bool exact = true;
  {
    // The bench's reference score is the library's ScoreOf, checked on a
    // sample of rows of both matrices.
    std::mt19937_64 pick(4);
    for (int i = 0; i < 2000 && exact; ++i) {
      const std::size_t row = pick() % premises, q = pick() % nqueries;
      std::vector<float> padded(m32.row_stride, 0.0f);
      std::copy(query(q).begin(), query(q).end(), padded.begin());
      exact = ReferenceScore(m32, row, padded.data()) == tr::ScoreOf(m32, row, query(q)) &&
              ReferenceScore(m16, row, padded.data()) == tr::ScoreOf(m16, row, query(q));
    }
    if (!exact) std::printf("the bench's reference score differs from ScoreOf\n");
    std::vector<std::vector<tr::Hit>> want32(exact_queries), want16(exact_queries);
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t q; (q = next.fetch_add(1)) < exact_queries;) {
        want32[q] = BruteForce(m32, query(q), masks[q], k);
        want16[q] = BruteForce(m16, query(q), masks[q], k);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    std::size_t wrong = 0;
    for (std::size_t q = 0; q < exact_queries; ++q) {
      wrong += r32.Retrieve(query(q), masks[q], k) != want32[q];
      wrong += r16.Retrieve(query(q), masks[q], k) != want16[q];
    }
    for (std::size_t b : {std::size_t{8}, max_batch}) {
      std::vector<const tr::AccessMask*> ptrs;
      for (std::size_t q = 0; q < std::min(b, exact_queries); ++q) ptrs.push_back(&masks[q]);
      const auto qs = std::span<const float>(queries).subspan(0, ptrs.size() * dim);
      const auto got32 = r32.RetrieveBatch(qs, ptrs, k);
      const auto got16 = r16.RetrieveBatch(qs, ptrs, k);
      for (std::size_t q = 0; q < ptrs.size(); ++q) {
        wrong += got32[q] != want32[q];
        wrong += got16[q] != want16[q];
      }
    }
    exact = exact && wrong == 0;
    std::printf(
        "exact vs brute force (%zu queries, f32 and f16; single queries, batch of 8, batch "
        "of %zu via %s): %s (%zu wrong answers)\n",
        exact_queries, max_batch, std::string(tr::ToString(r32.KernelFor(max_batch))).c_str(),
        exact ? "yes" : "NO", wrong);
    // Our answer for query 0, for the baseline to compare with.
    std::ofstream out(dir / "ours_top.txt");
    for (const auto& h : r32.Retrieve(query(0), masks[0], k)) out << h.premise << "\n";
  }

  // --- inputs for the baseline ---
  {
    std::ofstream qf(dir / "queries.f32", std::ios::binary);
    qf.write(reinterpret_cast<const char*>(queries.data()),
             static_cast<std::streamsize>(queries.size() * sizeof(float)));
    std::ofstream mf(dir / "masks.u8", std::ios::binary);
    std::vector<unsigned char> bytes(premises);
    for (std::size_t q = 0; q < kBaselineQueries; ++q) {
      for (std::size_t i = 0; i < premises; ++i) bytes[i] = masks[q].Test(i);
      mf.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(premises));
    }
  }

  std::printf(
      "premises=%zu dim=%zu access=%.3f k=%d rounds=%zu bandwidth_gbs=%.2f bandwidth_f16_gbs=%.2f "
      "bound_ms=%.2f "
      "masked_bandwidth_gbs=%.2f masked_f32_ms=%.2f masked_f16_ms=%.2f bound_f32_ms=%.2f "
      "bound_f16_ms=%.2f seq_bound_f32_ms=%.2f seq_bound_f16_ms=%.2f ours_f32_ms=%.2f "
      "ours_f16_ms=%.2f f32_over_bound=%.3f f16_over_bound=%.3f f32_over_masked=%.3f "
      "f16_over_masked=%.3f f32_over_seq_bound=%.3f f16_over_seq_bound=%.3f "
      "f32_over_bound_cpu=%.3f f16_over_bound_cpu=%.3f "
      "ours_b8_ms_per_query=%.2f ours_b64_ms_per_query=%.2f ours_b64_f16_ms_per_query=%.2f "
      "load_ms=%.2f open_ms=%.1f huge_page_share=%.3f exact=%d exact_queries=%zu "
      "mask_file_rows=%zu\n",
      premises, dim, covered, k, rounds, bandwidth / 1e9, bandwidth_f16 / 1e9, bound_ms,
      masked_bandwidth / 1e9, masked_f32, masked_f16, bound_f32, bound_f16, seq_bound_f32,
      seq_bound_f16, ours_f32, ours_f16, f32_over_bound, f16_over_bound, f32_over_masked,
      f16_over_masked, f32_over_seq, f16_over_seq, f32_over_bound_cpu, f16_over_bound_cpu, b8, b64,
      b64_f16, load_ms, open_f32_ms, huge_share, exact ? 1 : 0, exact_queries, file_rows);
  return exact ? 0 : 1;
}
