"""Hybrid retrieval: dense (Chroma via llama-index) and BM25, fused by reciprocal rank, then
cleaned up: near-duplicates from chunk overlap dropped, optional reranking and neighbour expansion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from rag.config import Settings
from rag.types import Passage


@dataclass
class Retrieval:
    """Passages best first, each scored by cosine similarity to the question, plus timings."""

    passages: list[Passage]
    query_vector: np.ndarray
    ms: float


class Retriever:
    """question -> ranked Passages. `mode` is hybrid (default), dense or keyword."""

    def __init__(self, settings: Settings, embedder, store, keyword, reranker=None, mode: str = "hybrid"):
        if mode not in ("hybrid", "dense", "keyword"):
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of dense, hybrid, keyword")
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.keyword = keyword
        self.reranker = reranker
        self.mode = mode

    def retrieve(self, question: str, k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        s = self.settings
        k = k or s.top_k
        qvec = self.embedder.embed_query(question)
        depth = max(s.candidates, k)
        dense = self.store.query(qvec, depth) if self.mode != "keyword" else []
        sparse = self.keyword.search(question, depth) if self.mode != "dense" else []
        ranked = self._fuse(dense, sparse)
        scored = self._with_cosine(ranked, {p.id: p for p in dense}, qvec)
        if self.reranker is not None:
            scored = self.reranker.rerank(question, scored[: max(depth, k)])
        passages = _drop_overlaps(scored, s.max_overlap)[:k]
        if s.expand_neighbors:
            passages = [self._expand(p) for p in passages]
        return Retrieval(passages=passages, query_vector=qvec, ms=(time.perf_counter() - t0) * 1000)

    def _fuse(self, dense: list[Passage], sparse: list[tuple[str, float]]) -> list[str]:
        s = self.settings
        score: dict[str, float] = {}
        for rank, p in enumerate(dense):
            score[p.id] = score.get(p.id, 0.0) + s.dense_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(sparse):
            score[cid] = score.get(cid, 0.0) + s.keyword_weight / (s.rrf_k + rank + 1)
        return sorted(score, key=lambda c: -score[c])

    def _with_cosine(self, ids: list[str], known: dict[str, Passage], qvec: np.ndarray) -> list[Passage]:
        """Passages for ids, in order, each carrying its cosine similarity to the question."""
        missing = [i for i in ids if i not in known]
        if missing:
            got = self.store.collection.get(ids=missing, include=["embeddings"])
            fetched = {p.id: p for p in self.store.get(missing)}
            for cid, emb in zip(got["ids"], got["embeddings"]):
                if cid in fetched:
                    known[cid] = replace(fetched[cid], score=float(np.dot(np.asarray(emb, dtype=np.float32), qvec)))
        return [known[i] for i in ids if i in known]

    def _expand(self, p: Passage) -> Passage:
        nxt = self.store.neighbour(p, 1)
        if nxt is None or nxt.section != p.section:
            return p
        # Chunks overlap by a few sentences: append only the part of the neighbour that is new.
        extra = nxt.text[max(0, p.end - nxt.start) :] if nxt.start < p.end else "\n\n" + nxt.text
        return replace(p, text=p.text + extra, end=nxt.end)


def _drop_overlaps(passages: list[Passage], max_overlap: float) -> list[Passage]:
    """Keep the better of two passages from the same document whose character spans overlap by
    more than `max_overlap` of the shorter one (chunk overlap makes such near-duplicates)."""
    kept: list[Passage] = []
    for p in passages:
        if all(_overlap(p, q) <= max_overlap for q in kept):
            kept.append(p)
    return kept


def _overlap(a: Passage, b: Passage) -> float:
    if a.doc_id != b.doc_id:
        return 0.0 if a.text != b.text else 1.0
    inter = min(a.end, b.end) - max(a.start, b.start)
    shorter = max(1, min(a.end - a.start, b.end - b.start))
    return max(0, inter) / shorter


class CrossEncoderReranker:
    """Reorders candidates with a local sentence-transformers CrossEncoder (optional)."""

    def __init__(self, path):
        from pathlib import Path

        if not Path(path).is_dir():
            raise FileNotFoundError(f"reranker model folder not found: {path}")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError:
            raise ImportError("the reranker needs sentence-transformers: pip install sentence-transformers") from None
        self.model = CrossEncoder(str(path), device="cpu")

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        if not passages:
            return passages
        scores = self.model.predict([(question, p.text) for p in passages])
        order = np.argsort(-np.asarray(scores), kind="stable")
        return [passages[i] for i in order]
