"""The LLM rewrite of a follow-up: the conversation and the new question condensed into one
standalone question, with the history bounded by tokens, and the model's reply checked before it
is searched (a small model may answer instead, cite, ramble or drop what was asked)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from rag.citations import MARKER, strip_markers
from rag.domain import Exchange
from rag.language import content_words, split_sentences
from rag.retrieve.cues import subject_words

_LABEL = re.compile(r"(?i)^\s*(?:\*\*)?(?:standalone|rewritten|reformulated|new)?\s*(?:follow-up\s+)?question\s*(?:\*\*)?\s*:\s*")
_QUESTION_START = re.compile(
    r"(?i)^(?:(?:in|on|at|for|by|from|to|during|since|until|of|with|and|but|so)\s+)?(?:what|which|whose|who|whom|when|where|why|"
    r"how|is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must|shall|tell|list|describe|explain|name)\b")
_NUMBERS_AND_NAMES = re.compile(r"\b\d[\d.,]*%?|(?<=\s)[A-Z][\w\-]+")
ANSWER_SENTENCES = 2  # of each earlier answer shown to the model: what the conversation was about, not all of it


def condense_messages(template: str, history: Sequence[Exchange], question: str, budget: int,
                      count: Callable[[str], int]) -> list[dict[str, str]]:
    """The chat messages asking for the standalone question: `template` (with {history} and
    {question}) filled with the newest turns that fit `budget` tokens (always the last one, shortened)."""
    turns: list[str] = []
    used = 0
    for turn in reversed(history):
        answer = strip_markers(turn.answer)
        spans = split_sentences(answer)[:ANSWER_SENTENCES]
        answer = answer[: spans[-1][1]] if spans else answer
        text = f"User: {turn.question.strip()}\nAssistant: {answer.strip()}"
        cost = count(text) + 1
        if used + cost > budget:
            if not turns:  # the last turn always goes in, cut to the budget
                turns.append(_cut(text, budget, count))
            break
        turns.append(text)
        used += cost
    content = template.format(history="\n".join(reversed(turns)), question=question.strip())
    return [{"role": "user", "content": content}]


def _cut(text: str, budget: int, count: Callable[[str], int]) -> str:
    words = text.split(" ")
    while len(words) > 8 and count(" ".join(words)) > budget:
        words = words[: int(len(words) * 0.8)]
    return " ".join(words) + " \u2026"


def read_reply(deltas: Iterable[str], question: str) -> str:
    """The model's reply up to its first line break after some text, or a length no standalone
    question needs (so a rambling model is stopped early instead of writing an essay)."""
    limit = max(3 * len(question), len(question) + 200)
    text = ""
    for delta in deltas:
        text += delta
        stripped = text.lstrip()
        if ("\n" in stripped and stripped.split("\n", 1)[0].strip()) or len(stripped) > limit:
            break
    return text


def accept_condensed(reply: str, question: str) -> str | None:
    """The model's standalone question, or None when the reply is not one: empty, an answer rather
    than a question, citing passages, far longer than needed, or dropping what the follow-up asked
    (its numbers and names, most of its subject words)."""
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    text = _LABEL.sub("", line).strip().strip("\"'\u201c\u201d*` ").strip()
    if not text or MARKER.search(text):
        return None
    if not (text.endswith("?") or _QUESTION_START.match(text)) or text.count("?") > 1:
        return None
    if len(text) > max(3 * len(question), len(question) + 150) or len(text.split()) > 60:
        return None
    lowered = text.lower()
    if any(x.lower() not in lowered for x in _NUMBERS_AND_NAMES.findall(question)):
        return None
    asked = set(subject_words(question))
    kept = asked & set(content_words(text))
    if asked and len(kept) * 2 < len(asked):
        return None
    return text if text.endswith("?") else text.rstrip(".") + "?"
