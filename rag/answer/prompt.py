"""The answer prompt: numbered, quoted passages and the question, fitted to the model's context window.

Wording lives in rag/answer/prompts/*.txt. Passage text is framed as quoted data and scrubbed of anything
that could close the frame or pose as chat markup, so a document cannot speak as the user or system.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.domain import Passage
from rag.language import split_sentences

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
ABSTAIN_TEXT = "The documents don't answer this question."
# Tokens the chat template adds around each message, and slack for a remote tokenizer we only estimate.
_TEMPLATE_OVERHEAD = 48

# Frame breakers: our own tags, and chat-template markup (<|im_start|>, [INST], <s>) that a
# tokenizer could turn into control tokens.
_FRAME = re.compile(r"<(\s*/?\s*(?:passages?|question|system|user|assistant|instructions?)\b)", re.I)
_CHAT_MARKUP = re.compile(r"<\|([^|>]{0,40})\|>|\[/?INST\]|<</?SYS>>|</?s>", re.I)


class PromptError(ValueError):
    """The question cannot fit the model's context window with any passage."""


@dataclass(frozen=True)
class Prompt:
    """Chat messages for the LLM and the passages they show, numbered 1.. in this order."""

    messages: list[dict[str, str]]
    passages: list[Passage]
    dropped: int  # weakest passages left out to fit the context window
    tokens: int  # counted (or estimated) prompt tokens


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """A prompt template from rag/answer/prompts/NAME.txt."""
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def quote(text: str) -> str:
    """Passage text made safe to frame: tags and chat markup defused, so it stays data."""
    text = _FRAME.sub(lambda m: "\u2039" + m.group(1), text)
    return _CHAT_MARKUP.sub(lambda m: m.group(0).replace("<", "\u2039").replace(">", "\u203a").replace("[", "(").replace("]", ")"), text)


def format_passage(n: int, p: Passage, text: str | None = None) -> str:
    """One numbered passage block with its document title and section."""
    section = f', section "{quote(_short(p.section))}"' if p.section and p.section != p.title else ""
    return template("passage").format(n=n, title=quote(_short(p.title)), section=section, text=quote(text if text is not None else p.text).strip())


def _short(name: str, words: int = 10) -> str:
    """A title or section name cut to its first words: it tells the model where the text is from,
    and every token of it is processed again for each question."""
    parts = name.split()
    return name if len(parts) <= words else " ".join(parts[:words]) + " \u2026"


def best_per_passage(ranked: list[tuple[int, str]], skip: int, per_passage: int) -> dict[int, list[str]]:
    """The best candidate sentences of each passage (at most `per_passage`), after the first `skip`
    (the chosen answer, which windows did not quote as such)."""
    best: dict[int, list[str]] = {}
    for i, text in ranked[skip:]:
        if len(best.setdefault(i, [])) < per_passage:
            best[i].append(text)
    return best


def evidence_windows(passages: list[Passage], best: dict[int, list[str]], radius: int = 1) -> list[str]:
    """Each passage cut to its evidence window: its best sentences (`best[i]`, best first) with
    `radius` neighbours on each side, gaps marked "…". Prompt processing is most of a local model's
    wait, and the sentences around the best match carry the answer (measured in docs/benchmarks.md).
    A passage with no scored sentence keeps its opening sentences; a best sentence that is not in the
    passage text (an author line built from metadata) leads its window."""
    out = []
    for i, p in enumerate(passages):
        spans, sentences = _sentences(p)
        hits: list[int] = []
        extra: list[str] = []
        for s in best.get(i, []):
            found = _covering(p.text, spans, s)
            hits += found
            if not found:
                extra.append(s)
        if not hits and not extra:
            hits = [0]
        out.append(_window(sentences, _around(hits, radius, len(sentences)), extra) if sentences else p.text)
    return out


def evidence_budget(
    passages: list[Passage], ranked: list[tuple[int, str]], radius: int, budget: int, count: Callable[[str], int],
    required: int = 1,
) -> tuple[list[int], list[str]]:
    """The best evidence across all passages that fits `budget` prompt tokens, passage headers included:
    the sentences of `ranked` (passage index, text; best first), each with `radius` neighbours (or alone
    when the neighbours do not fit), taken while they fit, then grouped per passage in the passages'
    order with gaps marked "…". The first `required` entries (the extractive answer's best sentence) are
    always quoted: without them the model is shown weaker sentences than the answer it should improve on.

    Every token of evidence is processed again for each question (most of a local model's wait), so
    the budget goes to the strongest sentences wherever they are instead of whole passages.
    Returns the indexes of the passages quoted and their texts."""
    kept: dict[int, set[int]] = {}
    extra: dict[int, list[str]] = {}
    split: dict[int, tuple[list[tuple[int, int]], list[str]]] = {}  # each passage split once
    used = 0
    for k, (i, text) in enumerate(ranked):
        p = passages[i]
        if i not in split:
            split[i] = _sentences(p)
        spans, sentences = split[i]
        hits = _covering(p.text, spans, text)
        header = 0 if i in kept else count(format_passage(len(kept) + 1, p, "")) + 2
        if hits:
            have = kept.get(i, set())
            choices = [_around(hits, r, len(sentences)) - have for r in dict.fromkeys((radius, 0))]
            priced = [(want, header + sum(count(sentences[j]) + 1 for j in want)) for want in choices]
        else:  # an author line built from metadata: quoted as it is
            priced = [(set(), 0 if text in extra.get(i, []) else header + count(text) + 1)]
        fitting = [(want, cost) for want, cost in priced if used + cost <= budget]
        if not fitting and k < required:
            fitting = priced[-1:]
        if not fitting:
            continue
        want, cost = fitting[0]
        if not want and (not cost or hits):
            continue
        kept.setdefault(i, set()).update(want)
        if not hits:
            extra.setdefault(i, []).append(text)
        used += cost
    order = sorted(kept)
    return order, [_window(split[i][1], kept[i], extra.get(i, [])) for i in order]


def _sentences(p: Passage) -> tuple[list[tuple[int, int]], list[str]]:
    spans = split_sentences(p.text)
    return spans, [p.text[a:b].strip() for a, b in spans]


def _covering(text: str, spans: list[tuple[int, int]], piece: str) -> list[int]:
    """The sentences of `text` that `piece` (one sentence or a run of them) lies on; [] if it is not there."""
    at = text.find(piece)
    if at < 0 or not piece:
        return []
    return [j for j, (a, b) in enumerate(spans) if a < at + len(piece) and b > at]


def _around(hits: list[int], radius: int, n: int) -> set[int]:
    """Sentence indexes within `radius` of any hit, inside 0..n-1."""
    return {j for h in hits for j in range(h - radius, h + radius + 1) if 0 <= j < n}


def _window(sentences: list[str], keep: set[int], extra: list[str]) -> str:
    """The kept sentences in order, "…" where sentences are left out, after any `extra` lines."""
    pieces: list[str] = []
    last = None
    for j in sorted(keep):
        if j != (last + 1 if last is not None else 0):
            pieces.append("\u2026")
        pieces.append(sentences[j])
        last = j
    if keep and last < len(sentences) - 1:
        pieces.append("\u2026")
    return " ".join(extra + pieces)


def build_prompt(
    question: str,
    passages: list[Passage],
    context_tokens: int,
    max_tokens: int,
    count: Callable[[str], int],
    texts: list[str] | None = None,
) -> Prompt:
    """The prompt for `question` over `passages` (best first) that fits `context_tokens` with room for
    `max_tokens` of answer: the weakest passages are dropped first, the question is never cut.
    `texts` replaces each passage's text in the prompt (its evidence window); numbering is unchanged.

    Raises PromptError when even the question alone does not fit."""
    system = template("system").format(abstain=ABSTAIN_TEXT)
    user = template("user")
    fixed = count(system) + count(user.format(passages="", question=question, abstain=ABSTAIN_TEXT)) + _TEMPLATE_OVERHEAD
    budget = context_tokens - max_tokens - fixed
    if budget <= 0:
        raise PromptError(
            f"the question needs about {fixed + max_tokens} tokens with the instructions and answer room, "
            f"more than the model's context window of {context_tokens} (setting RAG_LLM_CONTEXT_TOKENS)"
        )
    blocks: list[str] = []
    shown: list[Passage] = []
    used = 0
    for i, p in enumerate(passages):
        block = format_passage(len(blocks) + 1, p, texts[i] if texts else None)
        cost = count(block) + 2  # the blank line between blocks
        if used + cost > budget:
            if not blocks:  # even the best passage is too long: keep the part of it that fits
                block = _shortened(len(blocks) + 1, p, budget, count)
                if block:
                    blocks.append(block)
                    shown.append(p)
                    used += count(block)
            break
        blocks.append(block)
        shown.append(p)
        used += cost
    if not blocks:
        raise PromptError(f"no passage fits the model's context window of {context_tokens} tokens beside the question")
    content = user.format(passages="\n\n".join(blocks), question=question, abstain=ABSTAIN_TEXT)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
    return Prompt(messages=messages, passages=shown, dropped=len(passages) - len(shown), tokens=fixed + used)


def _shortened(n: int, p: Passage, budget: int, count: Callable[[str], int]) -> str | None:
    """The passage block cut at a word boundary to fit `budget` tokens (binary search on words)."""
    words = p.text.split()
    lo, hi, best = 1, len(words), None
    while lo <= hi:
        mid = (lo + hi) // 2
        block = format_passage(n, p, " ".join(words[:mid]) + " …")
        if count(block) + 2 <= budget:
            best, lo = block, mid + 1
        else:
            hi = mid - 1
    return best
