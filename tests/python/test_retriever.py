"""Premise retrieval from Python: an index written from Python embeddings,
retrieval restricted to the premises accessible at the query's position."""

import json

import numpy as np
import pytest

import tatami

# Two files: B.lean imports A.lean. A premise is accessible from a position
# when its file is imported, or it comes earlier in the same file.
CORPUS = [
    {"path": "A.lean", "imports": [], "premises": [
        {"full_name": "a1", "code": "theorem a1 : True := trivial", "start": [1, 1],
         "end": [1, 30], "kind": "commanddeclaration"},
        {"full_name": "a2", "code": "def a2 := 1", "start": [3, 1], "end": [3, 12],
         "kind": "commanddeclaration"}]},
    {"path": "B.lean", "imports": ["A.lean"], "premises": [
        {"full_name": "b1", "code": "lemma b1 : 1 = 1 := rfl", "start": [2, 1], "end": [2, 24],
         "kind": "commanddeclaration"}]},
]
EMBEDDINGS = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float32)


@pytest.fixture
def index(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(f) + "\n" for f in CORPUS))
    tatami.write_index(tmp_path / "premises.idx", corpus, EMBEDDINGS, encoder_fingerprint="toy")
    return tatami.PremiseIndex(tmp_path / "premises.idx", verify_checksum=True)


def test_index_holds_the_corpus(index):
    assert len(index) == 3 and index.dim == 4 and index.encoder_fingerprint == "toy"
    assert index.premise(2) == {"full_name": "b1", "path": "B.lean", "kind": "commanddeclaration",
                                "code": "lemma b1 : 1 = 1 := rfl", "start": (2, 1), "end": (2, 24)}
    with pytest.raises(IndexError, match="out of range"):
        index.premise(3)


def test_retrieval_ranks_accessible_premises_only(index):
    r = tatami.PremiseRetriever(index, threads=1)
    query = np.array([0.1, 0.2, 0.9, 0.0], dtype=np.float32)
    hits = r.retrieve(query, "B.lean", 10, 0, k=3)
    assert [i for i, _ in hits] == [2, 1, 0]
    assert [s for _, s in hits] == pytest.approx([0.9, 0.2, 0.1])
    # Before b1 in B.lean: only A.lean's premises are accessible.
    assert [i for i, _ in r.retrieve(query, "B.lean", 1, 0, k=3)] == [1, 0]
    assert [i for i, _ in r.retrieve(query, "A.lean", 2, 0, k=3)] == [0]


def test_index_loaded_into_memory_answers_as_the_mapping(index, tmp_path):
    loaded = tatami.PremiseIndex(tmp_path / "premises.idx", load_into_memory=True)
    assert loaded.embeddings_loaded and not index.embeddings_loaded
    assert len(loaded) == len(index) and loaded.dim == index.dim
    assert [loaded.premise(i) for i in range(3)] == [index.premise(i) for i in range(3)]
    mapped, copied = tatami.PremiseRetriever(index), tatami.PremiseRetriever(loaded)
    rng = np.random.default_rng(7)
    for _ in range(20):
        query = rng.standard_normal(4).astype(np.float32)
        for file, line in (("A.lean", 2), ("B.lean", 1), ("B.lean", 10)):
            assert copied.retrieve(query, file, line, 0, k=3) == \
                mapped.retrieve(query, file, line, 0, k=3)
    with pytest.raises(TypeError):
        tatami.PremiseIndex(tmp_path / "premises.idx", load_into_memory="yes")
    with pytest.raises(tatami.IndexFileError, match="missing.idx"):
        tatami.PremiseIndex(tmp_path / "missing.idx", load_into_memory=True)


def test_bad_retrieval_input(index, tmp_path):
    r = tatami.PremiseRetriever(index)
    with pytest.raises(ValueError, match="4 values"):
        r.retrieve(np.zeros(3, dtype=np.float32), "B.lean", 1, 0)
    with pytest.raises(ValueError, match="C.lean"):
        r.retrieve(np.zeros(4, dtype=np.float32), "C.lean", 1, 0)
    with pytest.raises(ValueError, match="2 embeddings for the 3 premises"):
        corpus = tmp_path / "c.jsonl"
        corpus.write_text("".join(json.dumps(f) + "\n" for f in CORPUS))
        tatami.write_index(tmp_path / "x.idx", corpus, EMBEDDINGS[:2])
    with pytest.raises(tatami.CorpusError):
        bad = tmp_path / "bad.jsonl"
        bad.write_text("{not json\n")
        tatami.write_index(tmp_path / "y.idx", bad, EMBEDDINGS)
