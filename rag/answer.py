"""The Answerer: question -> retrieve -> answer (extractive, or an LLM) -> checked citations -> Answer."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from rag.config import Settings
from rag.extractive import ExtractiveAnswerer
from rag.types import Answer, Citation, Passage

ABSTAIN_TEXT = "The documents don't answer this question."


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long)."""


def validate_question(question: str, settings: Settings) -> str:
    """The question stripped, or QuestionError naming what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", question).strip()
    if not q:
        raise QuestionError("the question is empty; type a question about the documents")
    if len(q) > settings.max_question_chars:
        raise QuestionError(
            f"the question is {len(q)} characters long; the limit is {settings.max_question_chars} (setting RAG_MAX_QUESTION_CHARS)"
        )
    return q


class Answerer:
    """Answers questions over the index; one instance serves many questions (models load once)."""

    def __init__(self, settings: Settings, retriever, extractive: ExtractiveAnswerer):
        self.settings = settings
        self.retriever = retriever
        self.extractive = extractive

    def ask(self, question: str, k: int | None = None) -> Answer:
        """The complete answer (the last item of `stream`)."""
        for item in self.stream(question, k):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("answer stream ended without an answer")  # pragma: no cover

    def stream(self, question: str, k: int | None = None) -> Iterator[str | Answer]:
        """Text deltas as the answer is produced, then the final Answer."""
        q = validate_question(question, self.settings)
        retrieval = self.retriever.retrieve(q, k)
        t0 = time.perf_counter()
        evidence = self.extractive.evidence(q, retrieval.query_vector, retrieval.passages)
        chosen = self.extractive.select(evidence)
        if not chosen or chosen[0].score < self.settings.min_relevance:
            answer = self._abstain(q, retrieval.passages, retrieval.ms, t0)
        else:
            order = _citation_order([e.passage for e in chosen], len(retrieval.passages))
            number = {p: n for n, p in enumerate(order, 1)}
            text = " ".join(f"{e.text} [{number[e.passage]}]" for e in chosen)
            answer = Answer(
                question=q, answer=text, abstained=False, backend="extractive",
                citations=_citations(retrieval.passages, order),
                timings={"retrieve_ms": retrieval.ms, "answer_ms": (time.perf_counter() - t0) * 1000},
            )
        yield answer.answer
        yield answer

    def _abstain(self, q: str, passages: list[Passage], retrieve_ms: float, t0: float) -> Answer:
        return Answer(
            question=q, answer=ABSTAIN_TEXT, abstained=True, backend="extractive",
            citations=_citations(passages, list(range(len(passages)))),
            timings={"retrieve_ms": retrieve_ms, "answer_ms": (time.perf_counter() - t0) * 1000},
        )


def _citation_order(cited: list[int], total: int) -> list[int]:
    """Passage indexes numbered as cited first (in order of first citation), then the rest."""
    order: list[int] = []
    for i in cited:
        if i not in order:
            order.append(i)
    return order + [i for i in range(total) if i not in order]


def _citations(passages: list[Passage], order: list[int]) -> list[Citation]:
    return [
        Citation(n=n, source=passages[i].source, title=passages[i].title, section=passages[i].section,
                 text=passages[i].text, score=round(passages[i].score, 4), authors=passages[i].authors)
        for n, i in enumerate(order, 1)
    ]
