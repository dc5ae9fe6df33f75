"""The LLM's verdict on the best evidence before it answers: does this text state the answer, yes or no?

A short prompt (the passages the extractive answer would quote, the question, one word back) that
catches what the answerability gate's signals cannot: passages about the asked subject that lack the
asked detail. Off by default (RAG_LLM_JUDGE); what it costs and gains is in docs/evaluation.md.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable

from rag.answer.extractive import Evidence
from rag.answer.llms import LLM, LLMError, Messages
from rag.answer.prompt import format_passage, template
from rag.domain import Passage

log = logging.getLogger(__name__)
JUDGED_PASSAGES = 2  # the passages of the best evidence sentences: the answer is in them or nowhere
_WORD = re.compile(r"[A-Za-z]+")


def judged_passages(chosen: list[Evidence], passages: list[Passage]) -> list[Passage]:
    """The distinct passages holding the chosen evidence, best first, at most JUDGED_PASSAGES."""
    order: list[int] = []
    for e in chosen:
        if e.passage not in order:
            order.append(e.passage)
    return [passages[i] for i in order[:JUDGED_PASSAGES]]


def judge_messages(question: str, passages: list[Passage]) -> Messages:
    blocks = "\n\n".join(format_passage(n, p) for n, p in enumerate(passages, 1))
    return [{"role": "system", "content": template("judge_system")},
            {"role": "user", "content": template("judge").format(passages=blocks, question=question.strip())}]


def read_verdict(deltas: Iterable[str]) -> bool | None:
    """True for "yes", False for "no", None for anything else; reads only up to the first word."""
    text = ""
    for delta in deltas:
        text += delta
        m = _WORD.search(text)
        if m and (m.end() < len(text) or len(text) > 8):
            break
    m = _WORD.search(text)
    word = m.group().lower() if m else ""
    return True if word == "yes" else False if word == "no" else None


def judged_no(get_llm: Callable[[], LLM | None], question: str, chosen: list[Evidence],
              passages: list[Passage]) -> tuple[bool, float]:
    """(did the model say no, milliseconds taken). Any failure, a backend bug included, or an
    unclear reply is no verdict: the answer then goes ahead (and falls back as usual if need be)."""
    t0 = time.perf_counter()
    try:
        llm = get_llm()
        verdict = judge(llm, question, judged_passages(chosen, passages)) if llm else None
    except Exception as e:  # never a crash for an optional check
        log.info("no verdict on the evidence: %s", e)
        verdict = None
    return verdict is False, (time.perf_counter() - t0) * 1000


def judge(llm: LLM, question: str, passages: list[Passage]) -> bool | None:
    """The model's verdict, or None when it gives none or fails (the answer then goes ahead as usual)."""
    if not passages:
        return None
    stream = iter(llm.stream(judge_messages(question, passages)))
    try:
        return read_verdict(stream)
    except LLMError:
        return None
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
