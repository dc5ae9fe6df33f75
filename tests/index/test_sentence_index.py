"""The sentence index: each chunk scored by its best sentence, with the chunk read from the sentence id."""

from __future__ import annotations

import numpy as np

from rag.index.sentence_index import SentenceIndex, chunk_of, sentence_id
from rag.index.vectors import VectorStore
from rag.domain import Chunk
from tests.conftest import make_settings


def _unit(*xs: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def test_sentence_ids_name_their_chunk():
    assert chunk_of(sentence_id("0123456789abcdef01234567", 3)) == "0123456789abcdef01234567"
    assert chunk_of("9f86d081884c7d659a2feaa0") is None  # the older hashed form


def test_best_sentence_per_chunk_and_the_older_id_form(tmp_path):
    store = VectorStore(make_settings(tmp_path), "test-model")
    index = SentenceIndex(store)
    a = Chunk(id="a" * 24, doc_id="d1", source="x.txt", title="", section="", text="One. Two.", start=0, end=9, index=0)
    b = Chunk(id="b" * 24, doc_id="d1", source="x.txt", title="", section="", text="Three.", start=9, end=15, index=1)
    index.add([a, b], [["One.", "Two."], ["Three."]], np.stack([_unit(1, 0), _unit(1, 1), _unit(0, 1)]))
    # A sentence stored by an older version: hashed id, its chunk only in the metadata.
    old = Chunk(id="c" * 24, doc_id="d2", source="y.txt", title="", section="", text="Four.", start=0, end=5, index=0)
    index.collection.add(ids=["9f86d081884c7d659a2feaa0"], embeddings=[_unit(1, 0.1).tolist()],
                         metadatas=[{"chunk_id": old.id, "doc_id": old.doc_id}])
    assert index.collection.get(include=["documents"])["documents"] == [None] * 4  # no sentence text is stored
    best = index.best_by_chunk(_unit(1, 0), 10)
    assert set(best) == {a.id, b.id, old.id}
    assert abs(best[a.id] - 1.0) < 1e-5  # its best sentence, not its second
    assert best[b.id] < best[old.id] < best[a.id]
    index.delete_chunks([a.id])
    assert set(index.best_by_chunk(_unit(1, 0), 10)) == {b.id, old.id}
