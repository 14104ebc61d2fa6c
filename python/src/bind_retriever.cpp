// Premise retrieval: an open premise index, retrieval by file and position
// (accessible premises only), and the TorchScript encoder, which is loaded
// through its dlopen()ed plugin (the module itself never links libtorch).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "tatami/retriever/corpus.h"
#include "tatami/retriever/encoder.h"
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/premise_retriever.h"

namespace py = pybind11;
namespace rt = tatami::retriever;

namespace tatami::python {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

py::dict PremiseDict(const rt::PremiseRecord& p) {
  py::dict d;
  d["full_name"] = std::string(p.full_name);
  d["path"] = std::string(p.path);
  d["kind"] = std::string(p.kind);
  d["code"] = std::string(p.code);
  d["start"] = py::make_tuple(p.start.line, p.start.column);
  d["end"] = py::make_tuple(p.end.line, p.end.column);
  return d;
}

std::span<const float> Row(const FloatArray& a, std::size_t dim, const char* what) {
  if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != dim)
    throw std::invalid_argument(std::string(what) + ": expected a 1-D embedding of " +
                                std::to_string(dim) + " values");
  return {a.data(), dim};
}

// Owns the index so that a retriever can never outlive it.
struct RetrieverHandle {
  std::shared_ptr<rt::PremiseIndex> index;
  std::unique_ptr<rt::PremiseRetriever> retriever;
};

}  // namespace

void BindRetriever(py::module_& m) {
  py::register_exception<rt::IndexError>(m, "IndexFileError", PyExc_OSError);
  py::register_exception<rt::EncoderError>(m, "EncoderError", PyExc_RuntimeError);
  py::register_exception<rt::CorpusError>(m, "CorpusError", PyExc_ValueError);

  m.def(
      "write_index",
      [](const std::filesystem::path& path, const std::filesystem::path& corpus_path,
         const FloatArray& embeddings, const std::string& encoder_fingerprint,
         const std::string& dtype) {
        if (embeddings.ndim() != 2)
          throw std::invalid_argument(
              "write_index: embeddings must be a 2-D array [premises, dim]");
        rt::IndexWriterOptions o;
        o.encoder_fingerprint = encoder_fingerprint;
        if (dtype == "f16")
          o.dtype = rt::EmbeddingType::kF16;
        else if (dtype != "f32")
          throw std::invalid_argument("write_index: dtype must be 'f32' or 'f16', got '" + dtype +
                                      "'");
        const auto rows = static_cast<std::size_t>(embeddings.shape(0));
        const auto dim = static_cast<std::size_t>(embeddings.shape(1));
        py::gil_scoped_release release;
        const rt::Corpus corpus = rt::Corpus::Load(corpus_path);
        if (rows != corpus.premises().size())
          throw std::invalid_argument(
              "write_index: " + std::to_string(rows) + " embeddings for the " +
              std::to_string(corpus.premises().size()) + " premises of " + corpus_path.string());
        rt::IndexWriter writer(path, corpus, static_cast<std::uint32_t>(dim), o);
        writer.Append({embeddings.data(), rows * dim});
        writer.Finish();
      },
      py::arg("path"), py::arg("corpus"), py::arg("embeddings"), py::kw_only(),
      py::arg("encoder_fingerprint") = "", py::arg("dtype") = "f32",
      "Writes a premise index for a LeanDojo corpus (corpus.jsonl) from its premises' embeddings "
      "(float32 [premises, dim], corpus order), e.g. computed by a Python encoder. CorpusError "
      "for a bad corpus, ValueError for a count or shape mismatch, IndexFileError on a write "
      "failure.");

  py::class_<rt::PremiseIndex, std::shared_ptr<rt::PremiseIndex>>(
      m, "PremiseIndex", "A memory-mapped premise index (`tatami index build`). Immutable.")
      .def(py::init(
               [](const std::filesystem::path& path, bool verify_checksum, bool load_into_memory) {
                 rt::IndexOpenOptions o;
                 o.verify_checksum = verify_checksum;
                 o.load_into_memory = load_into_memory;
                 py::gil_scoped_release release;
                 return std::make_shared<rt::PremiseIndex>(rt::PremiseIndex::Open(path, o));
               }),
           py::arg("path"), py::kw_only(), py::arg("verify_checksum") = false,
           py::arg("load_into_memory") = rt::IndexOpenOptions{}.load_into_memory,
           "Opens and checks an index file; IndexFileError if it cannot be used. "
           "load_into_memory=True copies the embeddings at open into memory with transparent "
           "huge pages: faster accessibility-masked queries, at the cost of reading the whole "
           "matrix at open and holding a second copy of it in the process's memory; it pays for "
           "a long-lived process that runs many queries.")
      .def("__len__", &rt::PremiseIndex::size)
      .def_property_readonly("embeddings_loaded", &rt::PremiseIndex::embeddings_loaded,
                             "Whether queries read a copy of the embeddings in memory "
                             "(load_into_memory) rather than the file mapping.")
      .def_property_readonly("dim", &rt::PremiseIndex::dim)
      .def_property_readonly(
          "encoder_fingerprint",
          [](const rt::PremiseIndex& i) { return std::string(i.encoder_fingerprint()); })
      .def(
          "premise",
          [](const rt::PremiseIndex& i, std::size_t k) {
            if (k >= i.size())
              throw py::index_error("premise " + std::to_string(k) + " out of range (index has " +
                                    std::to_string(i.size()) + ")");
            return PremiseDict(i.premise(k));
          },
          py::arg("i"), "Metadata of premise i: full_name, path, kind, code, start, end.");

  py::class_<RetrieverHandle>(m, "PremiseRetriever",
                              "Top-k accessible premises for a query embedding at a file "
                              "position. Thread-safe.")
      .def(py::init([](std::shared_ptr<rt::PremiseIndex> index, unsigned threads) {
             if (!index) throw std::invalid_argument("PremiseRetriever: index is None");
             rt::RetrieverOptions o;
             o.threads = threads;
             RetrieverHandle h{index, nullptr};
             py::gil_scoped_release release;
             h.retriever = std::make_unique<rt::PremiseRetriever>(*index, o);
             return h;
           }),
           py::arg("index"), py::kw_only(), py::arg("threads") = 0)
      .def(
          "retrieve",
          [](const RetrieverHandle& h, const FloatArray& embedding, const std::string& file,
             int line, int column, int k) {
            std::span<const float> row = Row(embedding, h.index->dim(), "retrieve");
            std::vector<rt::Hit> hits;
            {
              py::gil_scoped_release release;
              hits = h.retriever->Retrieve(row, file, rt::Pos{line, column}, k);
            }
            py::list out;
            for (const rt::Hit& hit : hits) out.append(py::make_tuple(hit.premise, hit.score));
            return out;
          },
          py::arg("embedding"), py::arg("file"), py::arg("line"), py::arg("column"),
          py::arg("k") = 100,
          "The best min(k, accessible) premises as (premise number, score), best first.");

  py::class_<rt::Encoder>(m, "Encoder",
                          "A TorchScript text encoder run by the libtorch plugin. Not "
                          "thread-safe: use one per thread.")
      .def(
          "encode",
          [](rt::Encoder& e, const std::vector<std::string>& texts) {
            rt::Embeddings out;
            {
              py::gil_scoped_release release;
              out = e.Encode(texts);
            }
            FloatArray a({out.rows, out.dim});
            std::copy(out.values.begin(), out.values.end(), a.mutable_data());
            return a;
          },
          py::arg("texts"), "L2-normalised embeddings, a float32 array [len(texts), dim].")
      .def_property_readonly("dim", &rt::Encoder::dim)
      .def_property_readonly("fingerprint", &rt::Encoder::fingerprint)
      .def("describe", &rt::Encoder::Describe);
  m.def(
      "load_encoder",
      [](const std::filesystem::path& model, int num_threads) {
        rt::EncoderOptions o;
        o.num_threads = num_threads;
        py::gil_scoped_release release;
        return rt::LoadTorchScriptEncoder(model, o);
      },
      py::arg("model"), py::kw_only(), py::arg("num_threads") = 0,
      "Loads a TorchScript encoder through tatami's libtorch plugin; EncoderError if the plugin "
      "or the model cannot be loaded.");
}

}  // namespace tatami::python
