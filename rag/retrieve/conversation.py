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
from rag.language import STOPWORDS, content_words, split_sentences
from rag.retrieve.names import NOT_NAMES, capitalised_phrases, is_item_name, salient_name

_TOKEN = re.compile(r"[A-Za-z0-9][\w'\u2019\-./]*[A-Za-z0-9%]|[A-Za-z0-9]")
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
# "and if I'd rather keep the changes in-house?": a condition added to the last turn's case.
_AND_IF = re.compile(r"(?i)^\s*(?:and|but|or|so)[,\s]+(?:what\s+)?(?:if|unless|even\s+if)\b")
_OPENER = re.compile(r"(?i)^\s*(?:and|but|so|also|then|besides|moreover|in that case|if so)\b")
_DEFINITION = re.compile(r"(?i)^\s*(?:what|who)\s+(?:is|was|are|were)\s+(?P<x>.+?)\s*\??\s*$|^\s*(?:tell\s+me\s+about|describe|explain)\s+(?P<y>.+?)\s*[?.]?\s*$")
_PERSON = {"he": "", "she": "", "him": "", "his": "'s", "her": "", "hers": "'s", "himself": "", "herself": ""}
_THING = {"it", "its", "itself", "they", "them", "their", "theirs", "themselves"}
_DEMONSTRATIVE = {"this", "that", "these", "those"}
# Words after which "that" opens a clause: "say that ...", "so that ...".
_CLAUSE_BEFORE = frozenset("so such now than true sure clear likely possible certain fact say said says tell told mention mentioned explain explained describe "
                           "described claim claimed believe believed think thought argue argued suggest suggested "
                           "show shows showed state stated note noted".split())
_DETERMINERS = frozenset("the a an his her its their our my your".split())
# Words that presuppose an earlier event or place ("afterwards", "in return", "there", not "there is").
_PRESUPPOSING = re.compile(r"(?i)\b(?:afterwards?|in\s+return|in\s+response|as\s+a\s+result|after\s+that|before\s+that|"
                           r"instead|either|the\s+same|the\s+former|the\s+latter|then|there(?!\s+(?:is|are|was|were|has|have|had)\b))\b")
# "the first one", "the other ones": an ordinal with nothing but "one" after it points back; "the
# second option" usually does, but "the first attack on ..." may not, so it is a weak cue only.
_ORDINALS = r"(?:first|second|third|fourth|last|other|former|latter)"
_ORDINAL_ONE = re.compile(rf"(?i)\bthe\s+{_ORDINALS}\s+ones?\b")
_ORDINAL = re.compile(rf"(?i)\bthe\s+{_ORDINALS}\s+[a-z]+(?=\s*(?:[,?.;]|$))")
# Words after which "that" is an object pronoun ("call that again", "do that on Windows").
_AFTER_OBJECT = frozenset("again too also later now instead first anyway back myself yourself ourselves manually "
                          "automatically".split())
_AUXILIARY = re.compile(r"(?i)\b(?:is|are|was|were|be|been|did|does|do|has|have|had|can|could|will|would|should|may|might)\b")
# Function words: a "this/that" after one of them points ("in that year", "did that study ..."), and they are
# not nouns a pronoun could refer to.
_FUNCTION = STOPWORDS | {"did", "does", "do", "was", "is", "were", "are", "has", "have", "had", "will", "would", "can", "could"}
_PREPOSITIONS = frozenset("in on at for by from to during since until of with about after before under over into against".split())
_PLEONASTIC = re.compile(r"(?i)\b(?:it\s+(?:is|was|has\s+been|would\s+be|will\s+be|seems|seemed|appears|appeared|takes|took)\s+(?:\w+\s+){0,2}?"
                         r"(?:that|to|for|whether|if)\b|(?:is|was|isn't|wasn't)\s+it\s+(?:\w+\s+){0,2}?(?:that|to|for|whether|if)\b)")
# Words of a question's form (not of its subject), and nouns that only name the kind of answer asked.
_FORM = STOPWORDS | {"many", "much", "long", "often", "else", "exactly", "happen", "happened", "mean", "means", "meant",
                     "year", "years", "month", "months", "date", "day", "days", "time", "times", "way", "ways", "reason",
                     "reasons", "kind", "type", "number", "amount", "ok", "okay", "please", "happens", "instead", "again"}
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
            return f"{own.rstrip(' ?')}? ({context})" if context else f"{own.rstrip(' ?')}?"
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
        context = key_terms(last_q, answer, out)
        return f"{out.rstrip()} ({context})" if context else out

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
        return f"{x}? ({context})"


def _item_asked(q: str) -> re.Match | None:
    """"What about X?", or a short "and X?" that is no question of its own; the item is group "x"."""
    return _WHAT_ABOUT.match(q) or (_AND_X.match(q) if len(q.split()) <= 6 and not _AUXILIARY.search(q) else None)


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


def subject_words(question: str) -> list[str]:
    """The words of a question that say what it is about (not its form, nor pointers like "he")."""
    return [w for w in content_words(question) if w not in _FORM and w not in _PERSON and w not in _THING]


def references(q: str) -> dict[str, bool]:
    """Which cues that the question leans on an earlier turn it has: a `person` pronoun with no name
    before it in the question, a `thing` pronoun ("it", "they") with no noun phrase before it, a
    `demonstrative` ("that study", "why did that happen?"); `strong` is any of these, a very short
    question or an added condition ("and if ...?"); `weak` an opener ("and ..."), a pronoun that may
    refer inside the question, or a word that presupposes an earlier event ("afterwards", "there")."""
    tokens = _TOKEN.findall(q)
    lower = [t.lower() for t in tokens]
    person = thing = demonstrative = weak = False
    for i, w in enumerate(lower):
        before = tokens[:i]
        if w in _PERSON:
            person = person or not any(_is_name(t, j) for j, t in enumerate(before))
        elif w in _THING:
            if w in ("it", "its") and _PLEONASTIC.search(q):
                continue
            if _has_noun_phrase(before):
                weak = True
            else:
                thing = True
        elif w in _DEMONSTRATIVE and _points(lower, i, tokens):
            demonstrative = True
    if _ORDINAL_ONE.search(q):  # "Who claimed the first one?"
        demonstrative = True
    if _PRESUPPOSING.search(q) or _OPENER.match(q) or _ORDINAL.search(q):
        weak = True
    short = len(tokens) <= 3 and not _AUXILIARY.search(q)
    strong = person or thing or demonstrative or short or bool(_AND_IF.match(q))
    return {"person": person, "thing": thing, "demonstrative": demonstrative, "strong": strong, "weak": weak}


def _points(lower: list[str], i: int, tokens: list[str]) -> bool:
    """Is the "this/that/these/those" at i a pointer ("that study", "did that happen"), not a
    clause ("said that ...") or a relative ("the deal that ...")?"""
    if lower[i] != "that" or i == 0:
        return True
    prev = lower[i - 1]
    if prev in _FUNCTION:
        return prev not in _CLAUSE_BEFORE
    # after a content word: "... see that attack?", "check that ordering myself?": a pointer before a noun that
    # closes the question or is followed by a function word; not "the rule that governs ..." (a verb: -s, -ed)
    if i + 1 == len(lower):  # "how do I fix that?": a clause never ends the question
        return prev not in _CLAUSE_BEFORE
    if prev in _CLAUSE_BEFORE:
        return False
    nxt = lower[i + 1]
    if nxt in _AFTER_OBJECT or nxt in _PREPOSITIONS:  # "call that again later", "do that on Windows"
        return True

    def noun(j: int) -> bool:  # a word that may close the pointed-at phrase: not a verb form, a name or a function word
        w = lower[j]
        return w not in _FUNCTION and not (w.endswith("ed") or (w.endswith("s") and not w.endswith("ss"))) and not tokens[j][:1].isupper()

    def closes(j: int) -> bool:  # the question ends there, or goes on with a function word or an adverb
        return j == len(lower) or lower[j] in _FUNCTION or lower[j] in _AFTER_OBJECT

    # "that ordering myself", and with one adjective, "that old behaviour back"
    return noun(i + 1) and (closes(i + 2) or (i + 2 < len(lower) and noun(i + 2) and closes(i + 3)))


def _has_noun_phrase(tokens: list[str]) -> bool:
    """Do these words hold something a pronoun could refer to: a name, a possessive, or a noun
    after an article or possessive ("the negotiators", "Pakistan's army")?"""
    for j, t in enumerate(tokens):
        if _is_name(t, j) or t.lower().endswith(("'s", "\u2019s")):
            return True
        if t.lower() in _DETERMINERS and j + 1 < len(tokens) and tokens[j + 1].lower() not in _FUNCTION:
            return True
    return False


def _is_name(token: str, position: int) -> bool:
    return token[:1].isupper() and token.lower() not in NOT_NAMES and (position > 0 or token.lower() not in _FORM)


def _replace_person(q: str, name: str) -> str:
    def swap(m: re.Match) -> str:
        w = m.group(0).lower()
        after = q[m.end():].lstrip()
        possessive = _PERSON[w] or (w == "her" and after[:1].isalpha() and after.split()[0].lower() not in _FUNCTION)
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
    for tok in _TOKEN.findall(strip_markers(last_q)):
        low = tok.lower()
        if low in _FORM or low in _PERSON or low in _THING or low in _DEMONSTRATIVE or not content_words(tok):
            continue
        if content_words(tok)[0] in have or any(tok in t for t in terms):
            continue
        terms.append(tok)
    return " ".join(terms[:most])
