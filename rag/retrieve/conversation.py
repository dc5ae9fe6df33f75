"""Follow-up questions: the standalone query a question stands for, given the conversation before it.

"How did he manage to leave Pakistan afterwards?" means nothing to a search engine; after "Which CIA
contractor killed two pedestrians in Lahore?" it means "How did Raymond Davis manage to leave
Pakistan afterwards?". Without an LLM the rules here resolve what a follow-up leaves out, using
signals that hold on any collection and any subject:

- a pronoun or demonstrative with nothing to refer to in the question itself ("he", "it", "that
  study"): a person's pronoun takes the name the last turn was about, "it" the subject of a "what
  was X?" question; otherwise the last turn's key terms are added in brackets;
- an elliptical question, only a question phrase ("In which years?", "Why?"): it takes the rest of
  the last question;
- "what about X?", "and X?": X takes the place of the last question's item of the same kind (a year,
  a number, a name closest in meaning), or the last question's key terms are added;
- a weaker cue (a leading "and"/"but", a word presupposing an earlier event or place: "afterwards",
  "in return", "there"; a pronoun that may refer to a noun earlier in the question) counts only
  when the question is close in meaning to the last turn, so a change of topic is not dragged back.

A question with none of these cues is searched exactly as typed. A resolved follow-up is searched
both as resolved and as typed (`Standalone.queries`), and the two result lists are fused. The LLM
rewrite (`condense_messages`, `accept_condensed`) is checked before use and falls back to the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.citations import strip_markers
from rag.domain import Exchange
from rag.language import content_words, split_sentences
from rag.retrieve.cues import (AUXILIARY, DEMONSTRATIVE, FORM, FUNCTION, PERSON, THING, TOKEN, references,
                               subject_words)
from rag.retrieve.names import capitalised_phrases, is_item_name, salient_name

_WH = r"(?:what|which|whose|who|whom|when|where|why|how(?:\s+(?:many|much|long|often|old|far|big|large|soon))?)"
# A question that is only a question phrase: "Why?", "In which years?", "And when exactly?", "Who else?"
_ONLY_WH = re.compile(rf"(?i)^(?:(?:and|but|so|then|also)\s+)?((?:(?:in|on|at|for|by|from|to|during|since|until|of|with)\s+)?"
                      rf"{_WH}(?:\s+[A-Za-z]+)?(?:\s+(?:else|exactly|then|not|so|again|instead))?)\s*\??$")
# The last question's own question phrase, to be replaced by the follow-up's.
_LEAD_WH = re.compile(rf"(?i)^\s*(?:(?:in|on|at|for|by|from|to|during|since|until|of|with)\s+)?{_WH}\b\s*")
_ABOUT = r"(?i)^\s*(?:(?:and|but|so|also|then|ok|okay)[,\s]+)?(?:what|how)\s+about\s+"
_WHAT_ABOUT = re.compile(_ABOUT + r"(?P<x>.+?)\s*\??\s*$")
# "What about the US, what could it do?": an item, then a question of its own about it.
_ABOUT_THEN_ASK = re.compile(_ABOUT + r"(?P<x>[^,?]{1,40}?)\s*,\s*"
                             r"(?P<q>(?:what|which|who|whom|how|why|when|where|can|could|does|do|did|is|are|would|should|will)\b[^?]*\??)\s*$")
_AND_X = re.compile(r"(?i)^\s*(?:and|also|or|but)\s+(?P<x>(?:in|for|during|on|with|about|from)?\s*[^?]{1,40}?)\s*\??\s*$")
_DEFINITION = re.compile(r"(?i)^\s*(?:what|who)\s+(?:is|was|are|were)\s+(?P<x>.+?)\s*\??\s*$|^\s*(?:tell\s+me\s+about|describe|explain)\s+(?P<y>.+?)\s*[?.]?\s*$")
# Cosine of a question to the last turn (its question or its answer's first sentence) from which a weak cue
# makes it a follow-up: set by eye on follow-ups and changes of topic written for the shipped corpus (a
# one-subject collection, where unrelated questions still reach 0.2-0.45), not on any eval set.
SIMILAR = 0.3


@dataclass(frozen=True)
class Standalone:
    """The query a question stands for: `query` is what is shown as "searched for" and what the
    answer is judged against; `queries` are the wordings retrieved and fused, best first."""

    query: str
    queries: tuple[str, ...]
    method: str  # "typed" (no history or no cue), "rules" or "llm"
    ms: float = 0.0

    @classmethod
    def typed(cls, question: str, method: str = "typed", ms: float = 0.0) -> Standalone:
        return cls(question, (question,), method, ms)


class FollowUps:
    """Resolves follow-up questions without an LLM; `embed` is the query embedder (unit vectors)."""

    def __init__(self, embed: Callable[[str], np.ndarray]):
        self.embed = embed

    def standalone(self, question: str, history: Sequence[Exchange]) -> Standalone:
        """The question resolved against the conversation (oldest turn first), or as typed when it
        stands on its own. Earlier follow-ups are resolved in turn, so "he" can reach back two turns."""
        previous: str | None = None
        for i, turn in enumerate(history):
            last = history[i - 1] if i else None
            previous = self._resolve(turn.question, previous, last.answer if last else "") if last else turn.question
        if not history or previous is None:
            return Standalone.typed(question)
        resolved = self._resolve(question, previous, history[-1].answer)
        if resolved == question:
            cues = references(question)
            if cues["weak"] and not cues["strong"]:
                # a weak cue far in meaning from the last turn: maybe a change of topic, maybe not. The
                # question is searched as typed first, and as resolved with less weight.
                maybe = self._resolve(question, previous, history[-1].answer, close=True)
                if maybe != question:
                    return Standalone(question, (maybe, question), "typed")
            return Standalone.typed(question)
        queries = (resolved, question) if subject_words(question) else (resolved,)
        named = self._named(question, previous, history[-1].answer)
        if named and resolved != named:
            # "he" named, and the last turn's subject added to what is searched, not to what is judged:
            # the answer must still state this question's detail ("his shoe size"), not the last turn's
            return Standalone(named, (named, resolved, question), "rules")
        return Standalone(resolved, queries, "rules")

    def _named(self, q: str, last_q: str, last_a: str) -> str | None:
        """The question with its person pronoun replaced by the person the last turn was about, or None."""
        name = salient_name(last_q, strip_markers(last_a or "")) if references(q)["person"] else None
        return _replace_person(q, name) if name else None

    def may_lean_on(self, question: str, history: Sequence[Exchange]) -> bool:
        """Does the question show any cue, strong or weak, that it leans on the conversation? Only
        then is an LLM asked to rewrite it: a rewrite costs a model call (seconds on a CPU), and a
        question with no cue is searched as typed anyway. Closeness in meaning is no trigger here:
        on a collection about one subject every question is close to the last one."""
        cues = references(question)
        return bool(history) and bool(cues["strong"] or cues["weak"] or _ONLY_WH.match(question) or _WHAT_ABOUT.match(question)
                                      or _AND_X.match(question))

    def _resolve(self, q: str, last_q: str, last_a: str, close: bool = False) -> str:
        """`q` made standalone from the last question (itself resolved) and its answer."""
        answer = strip_markers(last_a or "")
        m = _ONLY_WH.match(q)
        if m and not subject_words(q):
            body = _LEAD_WH.sub("", last_q, count=1).strip()
            wh = m.group(1)
            return f"{wh[:1].upper()}{wh[1:]} {body.rstrip('?')}?" if body else q
        m = _ABOUT_THEN_ASK.match(q)
        if m:  # "What about the US, what could it do?": the question with "it" standing for the US
            x, asked = m.group("x").strip(), m.group("q").strip()
            own = re.sub(r"\b(?:it|they|them)\b", x, asked, count=1, flags=re.I)
            context = key_terms(last_q, answer, own)
            return _with_context(f"{own.rstrip(' ?')}?", context)
        m = _item_asked(q)
        if m:
            return self._swap(m.group("x").strip(), last_q) or q
        cues = references(q)
        if not cues["strong"] and not (cues["weak"] and (close or self._close(q, last_q, answer))):
            return q
        out = self._named(q, last_q, answer) or q
        person_named = out != q
        subject = _definition_subject(last_q) if cues["thing"] else None
        if subject:
            out = re.sub(r"\b(?:it|its)\b", lambda w: subject + ("'s" if w.group(0).lower() == "its" else ""), out, count=1, flags=re.I)
        if out != q and not cues["demonstrative"] and not (cues["thing"] and not subject) and not person_named:
            return out
        return _with_context(out, key_terms(last_q, answer, out))

    def _close(self, q: str, last_q: str, answer: str) -> bool:
        """Is the question close in meaning to the last turn (its question or its answer's first sentence)?"""
        first = answer[: split_sentences(answer)[0][1]] if answer.strip() else ""
        texts = [t for t in (last_q, first) if t]
        vectors = [self.embed(t) for t in [q, *texts]]
        return max(float(np.dot(vectors[0], v)) for v in vectors[1:]) >= SIMILAR

    def _swap(self, x: str, last_q: str) -> str | None:
        """The last question with `x` in place of its item of the same kind, or with `x` added."""
        x = re.sub(r"(?i)^(?:the\s+)?(?:case\s+of|year|in|for|during)\s+(?=\d)", "", x).strip(" ,")
        # "under MPL 2.0" names a thing like the last question's "Apache 2.0"
        x = re.sub(r"^(?:under|in|for|with|on|at|from|about|of)\s+(?=[A-Z])", "", x)
        # An item the last follow-up appended ("... — the question mark") gives way to this one.
        body = last_q.rstrip(" ?").split(" \u2014 ", 1)[0]
        if re.fullmatch(r"\d{4}s?", x) and re.search(r"\b\d{4}\b", body):
            return re.sub(r"\b\d{4}s?\b", x, body, count=1) + "?"
        if re.fullmatch(r"\d[\d.,]*%?", x) and re.search(r"\b\d[\d.,]*%?\b", body):
            return re.sub(r"\b\d[\d.,]*%?\b", x, body, count=1) + "?"
        names = [n for n in capitalised_phrases(body) if n.lower() not in x.lower()]
        if is_item_name(x) and names:
            vectors = [self.embed(t) for t in [x, *names]]
            best = max(range(len(names)), key=lambda i: float(np.dot(vectors[0], vectors[i + 1])))
            # the name with its version ("Apache 2.0", "Python 3"), when it has one
            named = re.search(re.escape(names[best]) + r"(?:\s+v?\d{1,2}(?:\.\d+)*\b)?", body)
            return body.replace(named.group(0) if named else names[best], x, 1) + "?"
        # The key terms of a resolved follow-up hold its own words too ("the question mark"): on the dev
        # conversations they help more often ("page headers" for "what about a long title?") than not.
        context = key_terms(body, "", x)
        if re.match(rf"(?i){_WH}\b", x) or not context:  # "and how many US servicemembers?": the last question, of another item
            return f"{body} \u2014 {x}?"
        # "and if I leave data out?": a new side of the last topic, searched with the topic's key terms
        # rather than inside the whole last question, whose words would outweigh its own
        return _with_context(f"{x}?", context)


def _with_context(q: str, context: str) -> str:
    """`q` with the last turn's key terms in brackets: "does it come with any warranty? (3-clause BSD)"."""
    return f"{q.rstrip()} ({context})" if context else q


def _item_asked(q: str) -> re.Match | None:
    """"What about X?", or a short "and X?" that is no question of its own; the item is group "x"."""
    return _WHAT_ABOUT.match(q) or (_AND_X.match(q) if len(q.split()) <= 6 and not AUXILIARY.search(q) else None)


def asked_item(question: str) -> str | None:
    """The name a what-about follow-up asks of ("and on FreeBSD?" -> "FreeBSD"), or None."""
    m = _item_asked(question)
    x = re.sub(r"(?i)^(?:under|in|for|with|on|at|from|about|of|during)\s+", "", m.group("x").strip()) if m else ""
    return x if x and is_item_name(x) else None


def continued_documents(history: Sequence[Exchange], question: str, searched_for: str) -> frozenset[str]:
    """The document a follow-up continues in: the one the last answer cited first (its best
    evidence; a later sentence may come from elsewhere), when the question was resolved against the
    conversation. A question searched as typed may change the topic, so it is not pulled back."""
    return frozenset(history[-1].documents[:1]) if history and searched_for != question else frozenset()


def _replace_person(q: str, name: str) -> str:
    def swap(m: re.Match) -> str:
        w = m.group(0).lower()
        after = q[m.end():].lstrip()
        possessive = PERSON[w] or (w == "her" and after[:1].isalpha() and after.split()[0].lower() not in FUNCTION)
        return name + ("'s" if possessive else "")

    return re.sub(r"\b(?:he|she|him|his|her|hers|himself|herself)\b", swap, q, flags=re.I)


def _definition_subject(last_q: str) -> str | None:
    """X of "What was X?" / "Tell me about X": what the last question was about, or None."""
    m = _DEFINITION.match(last_q)
    x = (m.group("x") or m.group("y") or "").strip() if m else ""
    return x if 0 < len(x.split()) <= 8 else None


def key_terms(last_q: str, answer: str, q: str, most: int = 8) -> str:
    """The last turn's subject in a few words: the names its answer opens with (at most two), then
    the last question's subject words in their order, leaving out what the question already says."""
    have = set(content_words(q))
    first = answer[: split_sentences(answer)[0][1]] if answer.strip() else ""
    terms: list[str] = []
    for name in [salient_name(last_q, answer), *capitalised_phrases(first)]:
        if name and len(terms) < 2 and not set(content_words(name)) <= have and name not in last_q and name not in terms:
            terms.append(name)
    for tok in TOKEN.findall(strip_markers(last_q)):
        low = tok.lower()
        if low in FORM or low in PERSON or low in THING or low in DEMONSTRATIVE or not content_words(tok):
            continue
        if content_words(tok)[0] in have or any(tok in t for t in terms):
            continue
        terms.append(tok)
    return " ".join(terms[:most])
