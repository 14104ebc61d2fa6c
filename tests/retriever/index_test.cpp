#include "tatami/retriever/premise_index.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <xxhash.h>

#include "retrieval_testing.h"
#include "tatami/retriever/premise_retriever.h"
#include "tatami/retriever/retrieval.h"

namespace tatami::retriever {
namespace {

namespace fs = std::filesystem;

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami-index-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<float> RandomEmbeddings(std::size_t rows, std::size_t dim, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<float> v(rows * dim);
    for (float& x : v) x = d(rng);
    return v;
  }

  fs::path Build(const Corpus& corpus, std::uint32_t dim, EmbeddingType type,
                 const std::vector<float>& emb, const std::string& name = "p.idx") {
    IndexWriterOptions options;
    options.dtype = type;
    options.encoder_fingerprint = "test-encoder/v1";
    const fs::path path = dir_ / name;
    IndexWriter w(path, corpus, dim, options);
    // Append in uneven batches, as an encoder would.
    std::size_t done = 0;
    const std::size_t rows = emb.size() / dim;
    while (done < rows) {
      const std::size_t n = std::min<std::size_t>(rows - done, 1 + done % 7);
      w.Append(std::span<const float>(emb).subspan(done * dim, n * dim));
      done += n;
    }
    w.Finish();
    return path;
  }

  static void FlipByte(const fs::path& path, std::uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x10));
  }

  static std::string OpenError(const fs::path& path, const IndexOpenOptions& options = {}) {
    try {
      PremiseIndex::Open(path, options);
    } catch (const IndexError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(IndexTest, RoundTripF32) {
  const Corpus corpus = testing::ChainCorpus(5, 7);
  const std::uint32_t dim = 37;
  const auto emb = RandomEmbeddings(corpus.premises().size(), dim, 1);
  const fs::path path = Build(corpus, dim, EmbeddingType::kF32, emb);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp." + std::to_string(::getpid())));

  IndexOpenOptions options;
  options.verify_checksum = true;
  const PremiseIndex index = PremiseIndex::Open(path, options);
  EXPECT_EQ(index.size(), corpus.premises().size());
  EXPECT_EQ(index.dim(), dim);
  EXPECT_EQ(index.dtype(), EmbeddingType::kF32);
  EXPECT_EQ(index.version(), kIndexFormatVersion);
  EXPECT_EQ(index.encoder_fingerprint(), "test-encoder/v1");
  const EmbeddingMatrix m = index.matrix();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data) % 64, 0u);
  EXPECT_EQ(m.row_stride, 48u);
  double max_norm = 0;
  for (std::size_t r = 0; r < m.rows; ++r) {
    const float* row = static_cast<const float*>(m.data) + r * m.row_stride;
    double norm = 0;
    for (std::size_t i = 0; i < dim; ++i) {
      ASSERT_EQ(row[i], emb[r * dim + i]);
      norm += double(row[i]) * row[i];
    }
    for (std::size_t i = dim; i < m.row_stride; ++i) ASSERT_EQ(row[i], 0.0f);
    max_norm = std::max(max_norm, std::sqrt(norm));
  }
  EXPECT_GE(m.max_row_norm, max_norm);
  EXPECT_LE(m.max_row_norm, max_norm * 1.001);
  for (std::size_t i = 0; i < corpus.premises().size(); ++i) {
    const Premise& p = corpus.premises()[i];
    const PremiseRecord r = index.premise(i);
    EXPECT_EQ(r.full_name, p.full_name);
    EXPECT_EQ(r.code, p.code);
    EXPECT_EQ(r.kind, p.kind);
    EXPECT_EQ(r.path, corpus.PathOf(static_cast<std::uint32_t>(i)));
    EXPECT_EQ(r.start, p.start);
    EXPECT_EQ(r.end, p.end);
  }
  EXPECT_THROW(index.premise(index.size()), std::out_of_range);
  const FileGraph g = index.BuildFileGraph();
  const FileGraph want = FileGraph::FromCorpus(corpus);
  ASSERT_EQ(g.files.size(), want.files.size());
  for (std::size_t f = 0; f < g.files.size(); ++f) {
    EXPECT_EQ(g.files[f].path, want.files[f].path);
    EXPECT_EQ(g.files[f].imports, want.files[f].imports);
    EXPECT_EQ(g.files[f].first_premise, want.files[f].first_premise);
  }
  EXPECT_EQ(g.premise_end, want.premise_end);
}

TEST_F(IndexTest, RoundTripF16RoundsToNearestHalf) {
  const Corpus corpus = testing::ChainCorpus(2, 5);
  const std::uint32_t dim = 40;
  const auto emb = RandomEmbeddings(corpus.premises().size(), dim, 2);
  const PremiseIndex index = PremiseIndex::Open(Build(corpus, dim, EmbeddingType::kF16, emb));
  const EmbeddingMatrix m = index.matrix();
  EXPECT_EQ(m.type, EmbeddingType::kF16);
  EXPECT_EQ(m.row_stride, 64u);
  // Score against a unit query picks out single stored values.
  for (std::size_t r = 0; r < m.rows; ++r) {
    for (std::size_t i = 0; i < dim; i += 13) {
      std::vector<float> q(dim, 0.0f);
      q[i] = 1.0f;
      const float stored = ScoreOf(m, r, q);
      const float orig = emb[r * dim + i];
      EXPECT_LE(std::abs(stored - orig), std::abs(orig) * (1.0f / 2048) + 1e-7f);
    }
  }
}

TEST_F(IndexTest, RefusesBadFiles) {
  const Corpus corpus = testing::ChainCorpus(3, 4);
  const std::uint32_t dim = 16;
  const auto emb = RandomEmbeddings(corpus.premises().size(), dim, 3);
  const fs::path good = Build(corpus, dim, EmbeddingType::kF32, emb);
  const auto size = fs::file_size(good);

  EXPECT_NE(OpenError(dir_ / "missing.idx").find("cannot open"), std::string::npos);

  auto copy = [&](const std::string& name) {
    const fs::path p = dir_ / name;
    fs::copy_file(good, p, fs::copy_options::overwrite_existing);
    return p;
  };
  const fs::path truncated = copy("truncated.idx");
  fs::resize_file(truncated, size - 5);
  EXPECT_NE(OpenError(truncated).find("truncated"), std::string::npos) << OpenError(truncated);
  fs::resize_file(truncated, 100);
  EXPECT_NE(OpenError(truncated).find("truncated"), std::string::npos);

  const fs::path header = copy("header.idx");
  FlipByte(header, 20);
  EXPECT_NE(OpenError(header).find("corrupt header"), std::string::npos) << OpenError(header);

  const fs::path magic = copy("magic.idx");
  FlipByte(magic, 0);
  EXPECT_NE(OpenError(magic).find("not a tatami premise index"), std::string::npos);

  // A file of another format version, its header sealed as that version's
  // writer would (header checksum = XXH64 of the 248 bytes before it).
  const fs::path version = copy("version.idx");
  {
    std::fstream f(version, std::ios::in | std::ios::out | std::ios::binary);
    char header[256];
    f.read(header, 256);
    const std::uint32_t v = 99;
    std::memcpy(header + 8, &v, 4);
    const std::uint64_t sum = XXH64(header, 248, 0);
    std::memcpy(header + 248, &sum, 8);
    f.seekp(0);
    f.write(header, 256);
  }
  EXPECT_NE(OpenError(version).find("format version 99"), std::string::npos) << OpenError(version);

  const fs::path body = copy("body.idx");
  FlipByte(body, 256 + 100);       // inside the embeddings
  EXPECT_EQ(OpenError(body), "");  // structure is fine: not detected without the full check
  IndexOpenOptions verify;
  verify.verify_checksum = true;
  EXPECT_NE(OpenError(body, verify).find("content checksum"), std::string::npos);
  EXPECT_THROW(PremiseIndex::Open(body).VerifyChecksum(), IndexError);

  IndexOpenOptions other_encoder;
  other_encoder.expected_encoder_fingerprint = "other-encoder";
  EXPECT_NE(OpenError(good, other_encoder).find("test-encoder/v1"), std::string::npos);
  IndexOpenOptions other_dim;
  other_dim.expected_dim = 1472;
  EXPECT_NE(OpenError(good, other_dim).find("dimension 16"), std::string::npos);
  IndexOpenOptions same;
  same.expected_dim = 16;
  same.expected_encoder_fingerprint = "test-encoder/v1";
  same.verify_checksum = true;
  EXPECT_EQ(OpenError(good, same), "");
}

TEST_F(IndexTest, WriterRejectsBadInputAndLeavesNothing) {
  const Corpus corpus = testing::ChainCorpus(2, 3);
  const fs::path path = dir_ / "w.idx";
  {
    IndexWriter w(path, corpus, 4);
    EXPECT_THROW(w.Append(std::vector<float>(5, 1.0f)), std::invalid_argument);
    std::vector<float> bad(4, 1.0f);
    bad[2] = NAN;
    EXPECT_THROW(w.Append(bad), std::invalid_argument);
    w.Append(std::vector<float>(8, 1.0f));
    EXPECT_THROW(w.Finish(), IndexError);                                            // 2 of 6 rows
    EXPECT_THROW(w.Append(std::vector<float>(4 * 5, 1.0f)), std::invalid_argument);  // too many
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir_));
  {
    IndexWriterOptions half;
    half.dtype = EmbeddingType::kF16;
    IndexWriter w(path, corpus, 4, half);
    EXPECT_THROW(w.Append(std::vector<float>(4, 1e6f)), std::invalid_argument);  // overflows f16
  }
  EXPECT_THROW(IndexWriter(dir_ / "no-such-dir" / "x.idx", corpus, 4), IndexError);
  EXPECT_THROW(IndexWriter(path, corpus, 0), std::invalid_argument);
}

TEST_F(IndexTest, LoadIntoMemoryGivesTheSameMatrixAndAnswers) {
  // 1200 premises: masked scans then read many full groups of rows side by
  // side plus the ragged ends of chunks, from the copy as from the mapping.
  const Corpus corpus = testing::ChainCorpus(12, 100);
  const std::uint32_t dim = 200;
  const auto emb = RandomEmbeddings(corpus.premises().size(), dim, 6);
  for (EmbeddingType type : {EmbeddingType::kF32, EmbeddingType::kF16}) {
    const fs::path path =
        Build(corpus, dim, type, emb, type == EmbeddingType::kF32 ? "a.idx" : "b.idx");
    IndexOpenOptions load;
    load.load_into_memory = true;
    load.verify_checksum = true;
    const PremiseIndex mapped = PremiseIndex::Open(path);
    const PremiseIndex loaded = PremiseIndex::Open(path, load);
    EXPECT_FALSE(mapped.embeddings_loaded());
    EXPECT_TRUE(loaded.embeddings_loaded());
    const EmbeddingMatrix a = mapped.matrix(), b = loaded.matrix();
    ASSERT_NE(a.data, b.data);
    // Huge-page aligned, so that huge pages can back the whole copy.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data) % (std::uintptr_t{2} << 20), 0u);
    ASSERT_EQ(a.rows, b.rows);
    ASSERT_EQ(a.row_stride, b.row_stride);
    EXPECT_EQ(a.max_row_norm, b.max_row_norm);
    const std::size_t bytes =
        a.rows * a.row_stride * (type == EmbeddingType::kF32 ? sizeof(float) : 2);
    EXPECT_EQ(std::memcmp(a.data, b.data, bytes), 0);
    EXPECT_EQ(loaded.premise(7).full_name, mapped.premise(7).full_name);

    const Retriever from_map(a), from_copy(b);
    std::mt19937 rng(11);
    std::normal_distribution<float> d;
    for (int q = 0; q < 6; ++q) {
      std::vector<float> query(dim);
      for (float& x : query) x = d(rng);
      const AccessMask mask = testing::RandomMask(a.rows, 0.6, rng);
      const auto want = testing::BruteForce(a, query, mask, 25);
      EXPECT_EQ(from_map.Retrieve(query, mask, 25), want);
      EXPECT_EQ(from_copy.Retrieve(query, mask, 25), want);
    }
  }
}

// In a death-test child: opens `path` with load_into_memory while the
// address space can hold the file mapping and small allocations but not the
// copy; exits 0 when Open throws an IndexError naming the file and the cause.
[[noreturn]] void OpenLoadedUnderAddressLimit(const fs::path& path, std::size_t file_bytes) {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  const rlim_t used = pages * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
  const rlim_t limit = used + file_bytes + (rlim_t{1} << 20);
  const rlimit rl{limit, limit};
  if (::setrlimit(RLIMIT_AS, &rl) != 0) std::_Exit(2);
  IndexOpenOptions load;
  load.load_into_memory = true;
  try {
    PremiseIndex::Open(path, load);
  } catch (const IndexError& e) {
    const std::string what = e.what();
    const bool clear = what.find(path.string()) != std::string::npos &&
                       what.find("cannot allocate") != std::string::npos &&
                       what.find("to load the embeddings into memory") != std::string::npos;
    std::_Exit(clear ? 0 : 3);
  }
  std::_Exit(4);
}

TEST_F(IndexTest, LoadIntoMemoryReportsMemoryItCannotGet) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "limits the address space, which AddressSanitizer's allocator needs";
#else
  // 4 MB of embeddings: a process without room for the copy gets an
  // IndexError naming the file and the cause, not a crash.
  const Corpus corpus = testing::ChainCorpus(4, 256);
  const std::uint32_t dim = 1024;
  const fs::path path =
      Build(corpus, dim, EmbeddingType::kF32, RandomEmbeddings(corpus.premises().size(), dim, 7));
  const std::size_t file_bytes = fs::file_size(path);
  EXPECT_EXIT(OpenLoadedUnderAddressLimit(path, file_bytes), ::testing::ExitedWithCode(0), "");
#endif
}

TEST_F(IndexTest, PremiseRetrieverAnswersByFileAndPosition) {
  const Corpus corpus = testing::ChainCorpus(6, 9);
  const std::uint32_t dim = 24;
  const auto emb = RandomEmbeddings(corpus.premises().size(), dim, 5);
  for (EmbeddingType type : {EmbeddingType::kF32, EmbeddingType::kF16}) {
    const PremiseIndex index = PremiseIndex::Open(
        Build(corpus, dim, type, emb, type == EmbeddingType::kF32 ? "a.idx" : "b.idx"));
    PremiseRetriever retriever(index);
    Accessibility access(FileGraph::FromCorpus(corpus));
    std::mt19937 rng(9);
    std::normal_distribution<float> d;
    std::vector<PremiseQuery> batch;
    std::vector<std::vector<float>> store;
    for (int q = 0; q < 20; ++q) {
      std::vector<float> query(dim);
      for (float& x : query) x = d(rng);
      const std::string file = "Dir/File" + std::to_string(rng() % 6) + ".lean";
      const Pos pos{static_cast<int>(rng() % 30), 1};
      const int k = 1 + static_cast<int>(rng() % 12);
      const auto want = testing::BruteForce(index.matrix(), query, access.MaskAt(file, pos), k);
      EXPECT_EQ(retriever.Retrieve(query, file, pos, k), want);
      store.push_back(query);
      batch.push_back({{}, file, pos});
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].embedding = store[i];
    const auto all = retriever.RetrieveBatch(batch, 5);
    ASSERT_EQ(all.size(), batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(all[i], testing::BruteForce(index.matrix(), store[i],
                                            access.MaskAt(batch[i].file, batch[i].position), 5));
    }
    EXPECT_THROW(retriever.Retrieve(store[0], "Missing.lean", Pos{1, 1}, 3), UnknownFileError);
    EXPECT_THROW(retriever.Retrieve(store[0], "Dir/File1.lean", Pos{1, 1}, 0),
                 std::invalid_argument);
    EXPECT_THROW(retriever.Retrieve(std::vector<float>(dim + 1), "Dir/File1.lean", Pos{1, 1}, 3),
                 std::invalid_argument);
    // File0 at the very start sees nothing: a well-defined empty answer.
    EXPECT_TRUE(retriever.Retrieve(store[0], "Dir/File0.lean", Pos{0, 0}, 10).empty());
  }
}

}  // namespace
}  // namespace tatami::retriever
