"""Answerability: may the best evidence be presented as an answer, or are the passages only related?

`measure` computes signals that mean the same on any collection, each in [0, 1]: how close the best
sentence, and its whole passage, are in meaning; whether a question that asks for a value (or who
held a role) finds one next to the asked unit (rag/answer/values.py); how much of the question the
collection has never seen; and, for comparison in the tuning, IDF coverage of the question and of
its rarest terms, the asked answer type, the margin over the next candidates and whether the dense
and keyword searches agree. A logistic model over
the subset chosen leave-one-corpus-out on the dev splits of several corpora (eval/tune_gate.py)
decides; its weights ship in gate.json, and a signal without a weight there does not count.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.answer.extractive import Evidence, ExtractiveAnswerer, answer_type_asked, answer_type_match
from rag.answer.values import VALUE_WORD, asked_value, states_value
from rag.domain import Passage
from rag.retrieve.conversation import asked_item
from rag.retrieve.names import specific_names
from rag.retrieve.query import is_authorship_question
from rag.language import STOPWORDS, content_words, everyday_stems, initials, stem, words

GATE_FILE = Path(__file__).resolve().parent / "gate.json"
RELATED_SHARE = 0.6  # of the threshold: above it an abstention is labelled "related, not an answer"

# "Who was the ambassador in ...?": the question asks who held a role; the answer names the role.
_ROLE = re.compile(r"(?i)^\s*who(?:m)?\s+(?:is|was|are|were)\s+(?:the|a|an)\s+(?:[\w\-']+\s+){0,3}?([\w\-']+?)\s+"
                   r"(?:of|in|at|for|to|when|during|who|that|from|on)\b")
_NAME = re.compile(r"\b[A-Z][a-z]+")


def asked_role(question: str) -> str | None:
    """The role a who-question asks about ("ambassador"), stemmed, or None."""
    m = _ROLE.match(question)
    return stem(m.group(1).lower()) if m else None


def names_role(sentence: str, role: str) -> bool:
    """Does the sentence mention the role beside a name?"""
    tokens = re.findall(r"[A-Za-z][\w\-']*", sentence)
    at = [i for i, tok in enumerate(tokens) if stem(tok.lower()) == role]
    return any(_NAME.fullmatch(tokens[j]) for i in at for j in range(max(0, i - 4), min(len(tokens), i + 5)) if j != i)


# "Who wrote / founded / maintains ...?" asks for someone, and is answered by a name the question does
# not hold; "Who was Raymond Davis?" asks about a name it holds, and is not.
_ASKS_SOMEONE = re.compile(r"(?i)^\s*(?:(?:and|but|so)[,\s]+)?(?:who|whom)\b(?!\s+(?:is|was|are|were)\s+(?-i:[A-Z]))")
_NAME_RUN = re.compile(r"(?<![\[\w\-])[A-Z][\w\-']*[A-Za-z](?:\s+[A-Z][\w\-']*[A-Za-z])*")


# One word with a capital inside ("StructuredText", "MathProg") names a thing, not a person ("McCarthy" does).
_CAMEL = re.compile(r"^(?!(?:Mc|Mac|De|Di|La|Le|Van|Von)[A-Z])\w*[a-z][A-Z]")


def asks_someone(question: str) -> bool:
    """Does the question ask who did or holds something (not who a named person is)?"""
    return bool(_ASKS_SOMEONE.match(question))


def names_someone(question: str, sentence: str) -> bool:
    """Does the sentence name someone the question does not: a run of capitalised words with none of
    the question's words in it ("Fabio Fiorina", not "Shared MIME-info Database"); one word only inside
    a sentence (not "Note that ..."), and neither a month, an everyday word nor a bracketed label?"""
    asked = {w.lower() for w in re.findall(r"[\w\-']+", question)}
    for m in _NAME_RUN.finditer(sentence):
        words = m.group(0).split()
        if any(w.lower() in asked for w in words):
            continue
        opens = not sentence[: m.start()].strip() or sentence[: m.start()].rstrip()[-1:] in ".:;!?"
        if len(words) == 1 and (opens or words[0].lower() in STOPWORDS or VALUE_WORD.fullmatch(words[0])
                                or stem(words[0].lower()) in everyday_stems() or _CAMEL.search(words[0])):
            continue
        return True
    return False


def _name_words(text: str) -> list[str]:
    # the tokenizer reads "GPLv2" as "gpl v 2": its "v" is a document's "version"
    return [stem("version" if p == "v" else p) for w in words(text) for p in w.split("-") if p and p not in STOPWORDS]


def _given_names(question: str) -> list[str]:
    """The names the question gives, and the item a what-about follow-up asks of ("and on FreeBSD?")."""
    item = asked_item(question)
    return specific_names(question) + ([item] if item else [])


def _is_code(name: str) -> bool:
    """An option or identifier: spelled out, never paraphrased."""
    return name.startswith("-") or "_" in name


def _squeeze(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def mentions(passages: list[Passage], name: str) -> bool:
    """Does some passage hold the name? A name with its number ("Windows 10", "Debian 12") is also
    held by the name alone, as the user's own setting, unless the passages give it another number
    ("Debian 11"; "Python 3" agrees with "Python 3.12")."""
    if _holds(passages, name):
        return True
    m = re.fullmatch(r"(.*[^\d\s.])\s+(\d+(?:\.\d+)*)", name)
    if not m or _is_code(name) or not _holds(passages, m.group(1)):
        return False
    base, number = m.group(1), m.group(2).split(".")
    after = re.compile(r"(?i)\b" + r"\W+".join(map(re.escape, base.split())) + r"\W{0,3}(?:version\s+|v)?(\d+(?:\.\d+)*)")
    given = {n.group(1) for p in passages for n in after.finditer(p.text)}
    return all(g.split(".")[: len(number)] == number[: len(g.split("."))] for g in given)


def _holds(passages: list[Passage], name: str) -> bool:
    """Does some passage hold all of the name's words close together ("Apache License, Version
    2.0" holds "Apache License 2.0"), or its letters and digits in a row (a PDF's "GLIBC_2 .2.5");
    an option or identifier only the latter way? An abbreviation is held where its words are spelled
    out ("GPLv2" by "GNU General Public License version 2")."""
    wanted = _name_words(name)
    if not wanted:
        return True
    reach = len(wanted) + 1  # a word between: "Apache License, Version 2.0"
    squeezed = _squeeze(name)
    for p in passages:
        text = " ".join((p.title, p.section, p.text))
        if squeezed and squeezed in _squeeze(text):
            return True
        if _is_code(name):
            continue
        at: dict[str, list[int]] = {}
        for i, w in enumerate(_name_words(text)):
            at.setdefault(w, []).append(i)
        spelled = initials(text)
        placed = [w for w in wanted if w not in spelled or w in at]
        if all(w in at or w in spelled for w in wanted) and (not placed or any(
                all(any(abs(j - i) <= reach for j in at[w]) for w in placed[1:]) for i in at[placed[0]])):
            return True
    return False


@dataclass(frozen=True)
class Signals:
    """What the evidence says about answerability, each in [0, 1] (1 = in favour of answering)."""

    semantic: float  # cosine of the best evidence sentence to the question
    coverage: float  # IDF-weighted share of the question's terms in the best sentence
    focus: float  # share of the question's most specific terms in the best sentence's passage
    answer_type: float  # 1 when the asked kind of answer is in the best sentence (or none is asked)
    value: float  # 0 when a value (or a role holder) is asked and the best evidence does not state one, or
    # when no retrieved passage mentions a name the question gives
    margin: float  # best score minus the mean of the next few, scaled
    agreement: float  # do the searches agree on the best passage (mean of 1/rank over dense, keyword)
    known: float  # share of the question's IDF weight on terms the collection contains (or everyday English)
    score: float  # the extractive score of the best sentence
    passage: float = 0.0  # cosine of the best sentence's whole passage to the question: on topic, or only a phrase

    def vector(self) -> list[float]:
        return list(asdict(self).values())


NAMES = list(Signals.__dataclass_fields__)


def measure(question: str, evidence: list[Evidence], passages: list[Passage], ranks: dict[str, dict[str, int]],
            extractive: ExtractiveAnswerer, typed: str | None = None) -> Signals | None:
    """The signals for the best evidence, or None when there is no candidate sentence at all.
    `typed` is the question as the user wrote it, when `question` is a follow-up resolved from the
    conversation: only the names it gives must be mentioned (the history's are this turn's topic)."""
    if not evidence:
        return None
    best = evidence[0]
    passage = passages[best.passage]
    terms = set(content_words(question))
    idf = {t: extractive.idf(t) for t in terms}
    total = sum(idf.values()) or 1.0
    sent_words = set(content_words(best.text))
    context_words = set(content_words(" ".join((passage.title, passage.section, passage.text))))
    # Everyday English ("gave", "lose") is no subject the collection lacks, whatever its genre.
    everyday = everyday_stems()
    known = sum(w for t, w in idf.items() if extractive.known is None or extractive.known(t) or t in everyday) / total
    focus_terms = sorted(idf, key=lambda t: -idf[t])[: max(1, math.ceil(len(idf) / 3))]
    focus = sum(idf[t] for t in focus_terms if t in context_words) / (sum(idf[t] for t in focus_terms) or 1.0)
    rest = [e.score for e in evidence[1:6]]
    margin = min(1.0, max(0.0, (best.score - (sum(rest) / len(rest) if rest else 0.0)) * 4))
    r = ranks.get(passage.id, {})
    agreement = (1 / r.get("dense", math.inf) + 1 / r.get("keyword", math.inf)) / 2
    asked = answer_type_asked(question)
    value, unit = asked_value(question)
    top = _distinct(evidence[:9])[:3]  # overlapping chunks hold the same sentence twice
    role = asked_role(question) if not is_authorship_question(question) else None  # a byline answers "who is the author"
    return Signals(
        semantic=max(0.0, _semantic(best)),
        coverage=sum(w for t, w in idf.items() if t in sent_words) / total,
        focus=focus,
        answer_type=1.0 if not asked or answer_type_match(question, best.text) else 0.0,
        value=0.0 if (value and not states_value(question, best.text, unit))
        or (role and not any(names_role(e.text, role) for e in top))
        or (asks_someone(question) and not any(names_someone(question, e.text) for e in top))
        or not all(mentions(passages, n) for n in _given_names(question if typed is None else typed)) else 1.0,
        margin=margin,
        agreement=agreement,
        known=known,
        score=max(0.0, min(1.0, best.score)),
        passage=max(0.0, min(1.0, passage.score)),
    )


def _distinct(evidence: list[Evidence]) -> list[Evidence]:
    """The evidence without repeats of a sentence (whitespace aside), best first."""
    out: dict[str, Evidence] = {}
    for e in evidence:
        out.setdefault(" ".join(e.text.split()), e)
    return list(out.values())


def _semantic(best: Evidence) -> float:
    return best.semantic if best.semantic is not None else best.score


@dataclass(frozen=True)
class Gate:
    """A logistic model over the signals: answer when P(answerable) >= threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = GATE_FILE) -> Gate:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(weights=data["weights"], bias=data["bias"], threshold=data["threshold"])

    def probability(self, signals: Signals | None) -> float:
        if signals is None:
            return 0.0
        z = self.bias + sum(self.weights.get(n, 0.0) * v for n, v in zip(NAMES, signals.vector()))
        return 1.0 / (1.0 + math.exp(-z))

    def answers(self, signals: Signals | None, threshold: float | None = None) -> bool:
        return self.probability(signals) >= (self.threshold if threshold is None else threshold)

    def related(self, signals: Signals | None, threshold: float | None = None) -> bool:
        """Below the answer threshold but close to it: the passages are about the question's subject
        without answering it. Only the label shown with an abstention depends on it; the 0.6 was set
        by eye on a few hand-written off-topic and near-miss questions, none from the eval sets."""
        return self.probability(signals) >= RELATED_SHARE * (self.threshold if threshold is None else threshold)

