"""The sentence index: one vector per sentence of every chunk, in a second Chroma collection.

A short question matches one sentence far better than a whole chunk's averaged vector, so the
retriever scores each chunk by its best sentence as well (multi-vector retrieval).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from rag.language import split_sentences
from rag.domain import Chunk

MIN_WORDS = 4


def sentences_of(chunk: Chunk) -> list[str]:
    """The sentences of a chunk worth a vector of their own."""
    return [chunk.text[a:b] for a, b in split_sentences(chunk.text) if len(chunk.text[a:b].split()) >= MIN_WORDS]


class SentenceIndex:
    """Sentence vectors keyed by (chunk id, position), carrying their chunk and document ids."""

    def __init__(self, store):
        self.store = store
        self.name = f"{store.settings.store.collection}__sentences"
        self.collection = store.open_collection(self.name)

    def clear(self) -> None:
        """Remove every sentence (see VectorStore.clear)."""
        self.collection = self.store.recreate_collection(self.name)

    def add(self, chunks: list[Chunk], sentences: list[list[str]], vectors: np.ndarray) -> None:
        """Upsert the sentences of chunks (idempotent: a re-run after a crash adds nothing twice).

        Only the vector and its chunk are stored: the sentence text is the chunk's, and a document
        text would cost Chroma a full-text index entry per sentence that nothing searches."""
        ids, metas = [], []
        for chunk, sents in zip(chunks, sentences, strict=True):
            for i in range(len(sents)):
                ids.append(sentence_id(chunk.id, i))
                metas.append({"chunk_id": chunk.id, "doc_id": chunk.doc_id})
        vectors = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(ids), 5000):
            end = start + 5000
            self.collection.upsert(ids=ids[start:end], embeddings=vectors[start:end], metadatas=metas[start:end])

    def delete_chunks(self, chunk_ids: list[str]) -> None:
        for start in range(0, len(chunk_ids), 1000):
            self.collection.delete(where={"chunk_id": {"$in": chunk_ids[start : start + 1000]}})

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def count(self) -> int:
        return self.collection.count()

    def best_by_chunk(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """Chunk id -> cosine similarity of its best sentence, over the k nearest sentences.

        The chunk is read from the sentence's id, so the query fetches no metadata (which costs
        Chroma far more than the vector search); ids from before that scheme fall back to it."""
        hits = self.search.nearest(vector, k)
        chunks = [chunk_of(i) for i, _ in hits]
        if None in chunks:
            got = self.collection.query(query_embeddings=[vector.tolist()], n_results=k, include=["metadatas", "distances"])
            hits = [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]
            chunks = [chunk_of(i) or (meta or {}).get("chunk_id") for (i, _), meta in zip(hits, got["metadatas"][0])]
        best: dict[str, float] = {}
        for cid, (_, similarity) in zip(chunks, hits):
            if cid:
                # Rounded: the index's distances vary in their last bits from one process to the next,
                # which was enough to swap two passages' ranks between runs of the same eval.
                best[cid] = max(best.get(cid, -1.0), round(similarity, 6))
        return best

    @cached_property
    def search(self):
        from rag.index.llamaindex_adapter import VectorSearch

        return VectorSearch(lambda: self.collection)


def sentence_id(chunk_id: str, position: int) -> str:
    """A sentence's id: its chunk's id and its position in the chunk."""
    return f"{chunk_id}{_SEP}{position}"


def chunk_of(sentence_id: str) -> str | None:
    """The chunk id inside a sentence id (None for an id of the older, hashed form)."""
    chunk, sep, _ = sentence_id.rpartition(_SEP)
    return chunk if sep else None


_SEP = "#s"
