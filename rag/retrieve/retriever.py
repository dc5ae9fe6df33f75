"""Hybrid retrieval: dense chunk and sentence searches (Chroma, asked through llama-index's vector
store) and BM25, fused by normalized score, then cleaned up: near-duplicates from chunk overlap
dropped, optional reranking and neighbour expansion.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rag.config import Settings
from rag.domain import Passage
from rag.index.protocols import KeywordIndex, SentenceIndex, TextEmbedder, VectorIndex
from rag.retrieve.query import is_authorship_question, mentioned_documents, titled_documents
from rag.retrieve.rerank import Reranker


@dataclass
class Retrieval:
    """Passages best first, each scored by cosine similarity to the question, plus timings."""

    passages: list[Passage]
    query_vector: np.ndarray
    ms: float
    # Per passage id, its 1-based rank in each candidate list (dense, keyword, sentence) that has it:
    # whether the searches agree is a signal of answerability that means the same on any collection.
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)


class Retriever:
    """question -> ranked Passages. `mode` is hybrid (default), dense or keyword."""

    def __init__(
        self, settings: Settings, embedder: TextEmbedder, store: VectorIndex, keyword: KeywordIndex,
        reranker: Reranker | None = None, mode: str = "hybrid",
        authors: Callable[[], dict[str, tuple[str, ...]]] | None = None, sentences: SentenceIndex | None = None,
        names: Callable[[], dict[str, tuple[str, ...]]] | None = None,
    ):
        if mode not in ("hybrid", "dense", "keyword"):
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of dense, hybrid, keyword")
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.keyword = keyword
        self.reranker = reranker
        self.mode = mode
        self.authors = authors or (lambda: {})  # callable: doc_id -> author names, kept current by ingest
        self.sentences = sentences if mode == "hybrid" else None
        self.names = names or (lambda: {})  # callable: doc_id -> what a user may call it (title, file name)

    def retrieve(self, question: str, k: int | None = None, prefer: frozenset[str] = frozenset()) -> Retrieval:
        """Passages for one question; those of the documents in `prefer` (a follow-up's last cited
        documents) weigh `continuity_boost` more."""
        t0 = time.perf_counter()
        s = self.settings
        k = k or s.retrieval.top_k
        named, content = mentioned_documents(question, self.authors())
        named |= titled_documents(question, self.names())
        # Author names identify the paper, not the content: the vector sees the rest of the question.
        qvec = self.embedder.embed_query(content)
        depth = max(s.retrieval.candidates, k)
        nearest = self.store.nearest(qvec, depth) if self.mode != "keyword" else []
        sparse = self.keyword.search(question, depth) if self.mode != "dense" else []
        best_sentence = self.sentences.best_by_chunk(qvec, depth * 4) if self.sentences is not None else {}
        top_sentence = sorted(best_sentence, key=lambda c: -best_sentence[c])[:depth]
        ids = list(dict.fromkeys([cid for cid, _ in nearest] + [cid for cid, _ in sparse] + top_sentence))
        # Every candidate in one fetch, scored by its cosine similarity to the question.
        passages = {p.id: p for p in self.store.get(ids, qvec)}
        dense = [passages[cid] for cid, _ in nearest if cid in passages]
        fused = self._fuse(dense, sparse, passages, question)
        if best_sentence:
            # Each chunk's best sentence, scaled between the weakest and best sentence found.
            lo, hi = min(best_sentence.values()), max(best_sentence.values())
            for cid in fused:
                if cid in best_sentence and hi > lo:
                    fused[cid] += s.retrieval.sentence_weight * (best_sentence[cid] - lo) / (hi - lo)
        for cid, p in passages.items():
            if p.is_reference:
                fused[cid] *= s.retrieval.reference_penalty
            if p.doc_id in named:
                fused[cid] *= 1.0 + s.retrieval.author_boost
            if p.doc_id in prefer:
                fused[cid] *= 1.0 + s.retrieval.continuity_boost
        ranked = [passages[c] for c in sorted(fused, key=lambda c: -fused[c]) if c in passages]
        if self.reranker is not None:
            ranked = self.reranker.rerank(question, ranked)
        result = _drop_overlaps(ranked, s.retrieval.max_overlap, k)
        if result and is_authorship_question(question):
            result = self._with_byline(result, k)
        if s.retrieval.expand_neighbors:
            result = [self._expand(p) for p in result]
        lists = {"dense": [cid for cid, _ in nearest], "keyword": [cid for cid, _ in sparse], "sentence": top_sentence}
        ranks = {p.id: {name: order.index(p.id) + 1 for name, order in lists.items() if p.id in order} for p in result}
        return Retrieval(passages=result, query_vector=qvec, ms=(time.perf_counter() - t0) * 1000, ranks=ranks)

    def retrieve_all(self, queries: Sequence[str], k: int | None = None, weights: Sequence[float] = (1.0, 0.5),
                     prefer: frozenset[str] = frozenset()) -> Retrieval:
        """Passages for several wordings of one question (a follow-up resolved from its conversation,
        and as typed), fused by reciprocal rank and scored by cosine similarity to the first, which is
        the query the answer is judged against. The later wordings weigh less (`weights`; on follow-ups
        written for the shipped corpus, 0.5 for the typed "he ..." ranked the answer's passage higher
        than 0.7 or 1.0), and the best passage of each keeps a place in case the resolution went wrong.
        One query is `retrieve` itself."""
        if len(queries) == 1:
            return self.retrieve(queries[0], k, prefer)
        t0 = time.perf_counter()
        s = self.settings
        k = k or s.retrieval.top_k
        runs = [self.retrieve(q, 2 * k, prefer) for q in queries]
        fused: dict[str, float] = {}
        found: dict[str, Passage] = {}
        for i, run in enumerate(runs):
            weight = weights[min(i, len(weights) - 1)]
            for rank, p in enumerate(run.passages):
                fused[p.id] = fused.get(p.id, 0.0) + weight / (s.retrieval.rrf_k + rank + 1)
                found.setdefault(p.id, p)
        qvec = runs[0].query_vector
        cosine = {p.id: p.score for p in self.store.get(list(found), qvec)}
        ranked = [replace(found[c], score=cosine.get(c, found[c].score)) for c in sorted(fused, key=lambda c: -fused[c])]
        result = _drop_overlaps(ranked, s.retrieval.max_overlap, k)
        by_id = {p.id: p for p in ranked}
        for run in runs[1:]:  # each later wording's best passage keeps a place (the last ones give way)
            best = run.passages[0] if run.passages else None
            if k >= 3 and best and best.id not in {p.id for p in result} and len(result) == k:
                apart = [p for p in result if _overlap(p, best) <= s.retrieval.max_overlap]
                result = apart[: k - 1] + [by_id[best.id]]
        # Each search list's best rank of a passage over the wordings (the answerability signals read them).
        ranks: dict[str, dict[str, int]] = {}
        for run in runs:
            for pid, by_list in run.ranks.items():
                mine = ranks.setdefault(pid, {})
                for name, r in by_list.items():
                    mine[name] = min(r, mine.get(name, r))
        kept = {p.id for p in result}
        return Retrieval(passages=result, query_vector=qvec, ms=(time.perf_counter() - t0) * 1000,
                         ranks={pid: r for pid, r in ranks.items() if pid in kept})

    def as_llama_index(self, k: int | None = None):
        """This retriever as a llama-index BaseRetriever (for its query engines and chat engines)."""
        from rag.index.llamaindex_adapter import LlamaIndexRetriever

        return LlamaIndexRetriever(self, k)

    def _fuse(self, dense: list[Passage], sparse: list[tuple[str, float]], passages: dict[str, Passage], question: str) -> dict[str, float]:
        """Fused relevance per candidate: reciprocal-rank fusion, or a weighted sum of normalized scores."""
        s = self.settings
        score = dict.fromkeys(passages, 0.0)
        if s.retrieval.fusion == "rrf" or self.mode != "hybrid":
            for rank, p in enumerate(dense):
                score[p.id] += s.retrieval.dense_weight / (s.retrieval.rrf_k + rank + 1)
            for rank, (cid, _) in enumerate(sparse):
                if cid in score:
                    score[cid] += s.retrieval.keyword_weight / (s.retrieval.rrf_k + rank + 1)
            return score
        # Score fusion: cosine scaled between the weakest and best dense candidate; BM25 by its best.
        cos = {cid: p.score for cid, p in passages.items()}
        lo = min((p.score for p in dense), default=0.0)
        hi = max(cos.values(), default=1.0)
        bm25 = dict(sparse)
        bm25.update(self.keyword.scores_for(question, [c for c in passages if c not in bm25]))
        top = max(bm25.values(), default=0.0) or 1.0
        for cid in passages:
            d = min(1.0, max(0.0, (cos[cid] - lo) / (hi - lo))) if hi > lo else 1.0
            score[cid] = s.retrieval.dense_weight * d + s.retrieval.keyword_weight * bm25.get(cid, 0.0) / top
        return score

    def _with_byline(self, result: list[Passage], k: int) -> list[Passage]:
        """For "who wrote ...?": the front matter (title and authors) of the best passage's document,
        placed right after it, since the passage that identifies a paper rarely names its authors."""
        top = result[0]
        if any(p.doc_id == top.doc_id and p.index == 0 for p in result):
            return result
        front = self.store.chunk_at(top.doc_id, 0)
        if front is None:
            return result
        front = replace(front, score=top.score)
        return ([top, front] + [p for p in result[1:] if p.id != front.id])[:k]

    def _expand(self, p: Passage) -> Passage:
        nxt = self.store.neighbour(p, 1)
        if nxt is None or nxt.section != p.section:
            return p
        # Chunks overlap by a few sentences: append only the part of the neighbour that is new.
        extra = nxt.text[max(0, p.end - nxt.start) :] if nxt.start < p.end else "\n\n" + nxt.text
        return replace(p, text=p.text + extra, end=nxt.end)


def _drop_overlaps(passages: list[Passage], max_overlap: float, k: int | None = None) -> list[Passage]:
    """Keep the better of two passages from the same document whose character spans overlap by
    more than `max_overlap` of the shorter one (chunk overlap makes such near-duplicates); stop
    once `k` are kept."""
    kept: list[Passage] = []
    for p in passages:
        if k is not None and len(kept) >= k:
            break
        if all(_overlap(p, q) <= max_overlap for q in kept):
            kept.append(p)
    return kept


def _overlap(a: Passage, b: Passage) -> float:
    if a.doc_id != b.doc_id:
        return 0.0 if a.text != b.text else 1.0
    inter = min(a.end, b.end) - max(a.start, b.start)
    shorter = max(1, min(a.end - a.start, b.end - b.start))
    return max(0, inter) / shorter
