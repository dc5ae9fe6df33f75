"""Cues that a question leans on an earlier turn: a pronoun or demonstrative with nothing to refer to
in the question itself, an added condition ("and if ...?"), an opener ("and ..."), a word that
presupposes an earlier event ("afterwards", "there"). Read by the follow-up rules in conversation.py."""

from __future__ import annotations

import re

from rag.language import DETERMINERS, STOPWORDS, content_words
from rag.retrieve.names import NOT_NAMES

TOKEN = re.compile(r"[A-Za-z0-9][\w'\u2019\-./]*[A-Za-z0-9%]|[A-Za-z0-9]")
# "and if I'd rather keep the changes in-house?": a condition added to the last turn's case.
_AND_IF = re.compile(r"(?i)^\s*(?:and|but|or|so)[,\s]+(?:what\s+)?(?:if|unless|even\s+if)\b")
_OPENER = re.compile(r"(?i)^\s*(?:and|but|so|also|then|besides|moreover|in that case|if so)\b")
PERSON = {"he": "", "she": "", "him": "", "his": "'s", "her": "", "hers": "'s", "himself": "", "herself": ""}
THING = {"it", "its", "itself", "they", "them", "their", "theirs", "themselves"}
DEMONSTRATIVE = {"this", "that", "these", "those"}
# Words after which "that" opens a clause: "say that ...", "so that ...".
_CLAUSE_BEFORE = frozenset("so such now than true sure clear likely possible certain fact say said says tell told mention mentioned explain explained describe "
                           "described claim claimed believe believed think thought argue argued suggest suggested "
                           "show shows showed state stated note noted".split())
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
AUXILIARY = re.compile(r"(?i)\b(?:is|are|was|were|be|been|did|does|do|has|have|had|can|could|will|would|should|may|might)\b")
# Function words: a "this/that" after one of them points ("in that year", "did that study ..."), and they are
# not nouns a pronoun could refer to.
FUNCTION = STOPWORDS | {"did", "does", "do", "was", "is", "were", "are", "has", "have", "had", "will", "would", "can", "could"}
_PREPOSITIONS = frozenset("in on at for by from to during since until of with about after before under over into against".split())
_PLEONASTIC = re.compile(r"(?i)\b(?:it\s+(?:is|was|has\s+been|would\s+be|will\s+be|seems|seemed|appears|appeared|takes|took)\s+(?:\w+\s+){0,2}?"
                         r"(?:that|to|for|whether|if)\b|(?:is|was|isn't|wasn't)\s+it\s+(?:\w+\s+){0,2}?(?:that|to|for|whether|if)\b)")
# Words of a question's form (not of its subject), and nouns that only name the kind of answer asked.
FORM = STOPWORDS | {"many", "much", "long", "often", "else", "exactly", "happen", "happened", "mean", "means", "meant",
                    "year", "years", "month", "months", "date", "day", "days", "time", "times", "way", "ways", "reason",
                    "reasons", "kind", "type", "number", "amount", "ok", "okay", "please", "happens", "instead", "again"}


def subject_words(question: str) -> list[str]:
    """The words of a question that say what it is about (not its form, nor pointers like "he")."""
    return [w for w in content_words(question) if w not in FORM and w not in PERSON and w not in THING]


def references(q: str) -> dict[str, bool]:
    """Which cues that the question leans on an earlier turn it has: a `person` pronoun with no name
    before it in the question, a `thing` pronoun ("it", "they") with no noun phrase before it, a
    `demonstrative` ("that study", "why did that happen?"); `strong` is any of these, a very short
    question or an added condition ("and if ...?"); `weak` an opener ("and ..."), a pronoun that may
    refer inside the question, or a word that presupposes an earlier event ("afterwards", "there")."""
    tokens = TOKEN.findall(q)
    lower = [t.lower() for t in tokens]
    person = thing = demonstrative = weak = False
    for i, w in enumerate(lower):
        before = tokens[:i]
        if w in PERSON:
            person = person or not any(_is_name(t, j) for j, t in enumerate(before))
        elif w in THING:
            if w in ("it", "its") and _PLEONASTIC.search(q):
                continue
            if _has_noun_phrase(before):
                weak = True
            else:
                thing = True
        elif w in DEMONSTRATIVE and _points(lower, i, tokens):
            demonstrative = True
    if _ORDINAL_ONE.search(q):  # "Who claimed the first one?"
        demonstrative = True
    if _PRESUPPOSING.search(q) or _OPENER.match(q) or _ORDINAL.search(q):
        weak = True
    short = len(tokens) <= 3 and not AUXILIARY.search(q)
    strong = person or thing or demonstrative or short or bool(_AND_IF.match(q))
    return {"person": person, "thing": thing, "demonstrative": demonstrative, "strong": strong, "weak": weak}


def _points(lower: list[str], i: int, tokens: list[str]) -> bool:
    """Is the "this/that/these/those" at i a pointer ("that study", "did that happen"), not a
    clause ("said that ...") or a relative ("the deal that ...")?"""
    if lower[i] != "that" or i == 0:
        return True
    prev = lower[i - 1]
    if prev in FUNCTION:
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
        return w not in FUNCTION and not (w.endswith("ed") or (w.endswith("s") and not w.endswith("ss"))) and not tokens[j][:1].isupper()

    def closes(j: int) -> bool:  # the question ends there, or goes on with a function word or an adverb
        return j == len(lower) or lower[j] in FUNCTION or lower[j] in _AFTER_OBJECT

    # "that ordering myself", and with one adjective, "that old behaviour back"
    return noun(i + 1) and (closes(i + 2) or (i + 2 < len(lower) and noun(i + 2) and closes(i + 3)))


def _has_noun_phrase(tokens: list[str]) -> bool:
    """Do these words hold something a pronoun could refer to: a name, a possessive, or a noun
    after an article or possessive ("the negotiators", "Pakistan's army")?"""
    for j, t in enumerate(tokens):
        if _is_name(t, j) or t.lower().endswith(("'s", "\u2019s")):
            return True
        if t.lower() in DETERMINERS and j + 1 < len(tokens) and tokens[j + 1].lower() not in FUNCTION:
            return True
    return False


def _is_name(token: str, position: int) -> bool:
    return token[:1].isupper() and token.lower() not in NOT_NAMES and (position > 0 or token.lower() not in FORM)
