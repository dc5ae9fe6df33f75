"""The extractive answerer: the sentences of the retrieved passages that best answer the question,
each cited. No LLM; also the fallback when an LLM backend fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rag.retrieve.query import is_authorship_question
from rag.language import NUMBER_WORDS, TIMES, TIMES_PATTERN, content_words, initials, introduces_block, is_pointer, split_sentences
from rag.answer.tables import cells_before, defines, is_field, is_labelled_value, listed_value, table_rows
from rag.answer.values import ENDLESS
from rag.domain import Passage
from rag.index.protocols import TextEmbedder

_NOISE = re.compile(r"doi\.org|\bISSN\b|\bet al\.,? \(\d{4}\)\.?$", re.I)
# An address in a sentence (its spaces are a PDF's line breaks: "http:// community.schemewiki.org/?faq").
_URL = re.compile(r"(?:https?://\s?|www\.)[^\s)\]]+", re.I)
# A sentence written to instruct an assistant (a prompt injection in a document) is never an answer.
_INSTRUCTS = re.compile(r"(?i)\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\b|"
                        r"\bsystem\s+prompt\b|\bdeveloper\s+mode\b|\byou\s+are\s+now\b|"
                        r"\b(?:answer|reply\s+to|respond\s+to)\s+(?:every|all|any)\s+questions?\b|^\s*(?:system|assistant)\s*:")


def _noisy(text: str) -> bool:
    """A reference entry or a link, not prose: a citation's marks, two addresses or more, or an address with
    fewer than eight words beside it ("... and Sussman's Scheme (http://...)" stays an answer)."""
    urls = _URL.findall(text)
    return bool(_NOISE.search(text)) or len(urls) > 1 or (len(urls) == 1 and len(_URL.sub(" ", text).split()) < 8)


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_YEARS = r"1[89]\d\d|20\d\d"
_ANSWER_TYPES = [
    # (question pattern, what a sentence answering it contains)
    (re.compile(r"(?i)^\s*(when\b|in what (year|month)|which (year|month)|what (year|month|date))"),
     re.compile(rf"\b({_YEARS})\b|\b({_MONTHS})\b")),
    (re.compile(r"(?i)\b(how (much|many|long|large|big)|what (percentage|share|number|amount))\b"),
     re.compile(rf"\d|\b({NUMBER_WORDS}|decades?)\b|{TIMES_PATTERN}", re.I)),
    (re.compile(r"(?i)\bhow long\b"), ENDLESS),  # "stores credentials indefinitely"
    (re.compile(r"(?i)^\s*where\b|\bin which (city|country|place)\b"),
     re.compile(rf"\b(in|at|from|to)\s+(?!(?:{_MONTHS}|the\b|The\b))[A-Z][a-z]+")),
]


# "What does ESS stand for?" is answered by a sentence that spells the abbreviation out.
_EXPANSION = re.compile(r"(?i)\bstands?\s+for\b|\babbreviat|\bacronym\b|\bshort\s+for\b")
_ABBREVIATION = re.compile(r"\b[A-Z]{3,6}\b")


def spelled_out(question: str, sentence: str) -> bool:
    """Does the sentence spell out an abbreviation the question asks the meaning of?"""
    if not _EXPANSION.search(question):
        return False
    found = initials(sentence)
    return any(a.lower() in found for a in _ABBREVIATION.findall(question))


def answer_type_asked(question: str) -> bool:
    """Does the question ask for a particular kind of answer (a date, a number, a place)?"""
    return any(q.search(question) for q, _ in _ANSWER_TYPES)


def answer_type_match(question: str, sentence: str) -> bool:
    """Does the sentence hold the kind of thing the question asks for (a date, a number, a place)?"""
    return any(q.search(question) and a.search(sentence) for q, a in _ANSWER_TYPES)


_YEAR = re.compile(rf"\b({_YEARS})\b")
_DECADE = re.compile(rf"\b(?:{_YEARS})s\b|['\u2019]\d0s\b")  # "the 1950s", "the '70s": a time, not an amount
# An author-year citation, "(Dawi, 2022)", "(Khan 2019: 14)" or "Haqqani (2013)": the year a source
# was published, not the year of an event the sentence reports.
_CITATION = re.compile(rf"\((?!(?:{_MONTHS})\b)(?:[^()]*?[A-Z][^()]*?,?\s)?(?:{_YEARS})[a-z]?(?::\s*[\d\-–]+)?\)")
_ABOUT_SOURCES = re.compile(r"(?i)\b(book|study|studies|paper|article|report|literature|work|publication|published|wrote|written|author|cited?)\b")


_QUANTITY_QUESTION = re.compile(r"(?i)\b(how (much|many)|what (percentage|share|number|amount|proportion))\b")
_QUANTITY = re.compile(rf"\d|\b({NUMBER_WORDS})\b", re.I)


def states_quantity(sentence: str) -> bool:
    """Does the sentence give an amount (not just a date or a source's year)?"""
    text = _CITATION.sub(" ", sentence)
    text = re.sub(rf"\b({_MONTHS})\s+\d{{1,2}}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b", " ", text)
    text = _DECADE.sub(" ", _YEAR.sub(" ", text))
    return bool(_QUANTITY.search(text))


# A candidate whose words are under 40% new to the question loses up to 0.6 x the shortfall: chosen
# on the dev splits of all four eval corpora (weights 0.3/0.6 x floors 0.4/0.6; this pair was the
# only one no corpus lost a question with), eval/reports/corpora/dev.
ECHO_WEIGHT = 0.6
ECHO_FLOOR = 0.4


@dataclass(frozen=True)
class Evidence:
    """A candidate answer sentence, where it came from, and how well it answers."""

    text: str
    passage: int  # index into the passages
    score: float
    semantic: float | None = None  # cosine of the sentence to the question
    span: tuple[int, int] | None = None  # where the sentence is in its passage's text


class ExtractiveAnswerer:
    """Scores every sentence of the passages against the question (meaning and key terms)."""

    def __init__(
        self, embedder: TextEmbedder, idf: Callable[[str], float], sentences: int = 3, semantic_weight: float = 0.6,
        known: Callable[[str], bool] | None = None,
    ):
        self.embedder = embedder
        self.idf = idf  # callable: stemmed term -> inverse document frequency
        self.known = known  # callable: stemmed term -> is it anywhere in the collection?
        self.sentences = sentences
        self.semantic_weight = semantic_weight

    def candidates(self, question: str, qvec: np.ndarray, passages: list[Passage], named: frozenset[str] = frozenset()) -> list[Evidence]:
        """Every candidate sentence of the admissible passages, scored, best first; only those of the
        document the question names (`named`: one doc_id) when any of its passages was retrieved."""
        years = event_years(question)
        # "How many ...?" is answered by a sentence that states an amount, or not at all.
        quantity = bool(_QUANTITY_QUESTION.search(question))
        times = bool(re.search(r"(?i)\bhow many times\b", question))  # answered by "once" or "twice" too
        terms = set(content_words(question))

        def usable(text: str) -> bool:  # no link/citation noise, pointer or instruction; an amount when asked
            return (not _noisy(text) and not _INSTRUCTS.search(text) and not is_pointer(text)
                    and (not quantity or states_quantity(text) or (times and TIMES.search(text) is not None)))

        # sentence, passage index, span in the passage, the words it is read with, is it new however many of the
        # question's words it has (a labelled value), the text whose meaning is compared with the question's
        cands: list[tuple[str, int, tuple[int, int], str, bool, str]] = []
        indexes = admissible(question, passages)
        if len(named) == 1 and any(passages[i].doc_id in named for i in indexes):
            indexes = [i for i in indexes if passages[i].doc_id in named]
        for i in indexes:
            p = passages[i]
            spans = split_sentences(p.text)
            for k, (a, b) in enumerate(spans):
                sent = p.text[a:b].strip()
                prev = p.text[slice(*spans[k - 1])].strip() if k else ""
                # A value under its label ("Linux", then "~/.cache/pip", as tabs and definition lists render) is one unit.
                labelled = is_labelled_value(sent, prev)
                text = f"{prev}: {sent}" if labelled else sent
                if not labelled and (j := cells_before(p.text, spans, k)) < k:
                    text = " ".join(p.text[slice(*spans[m])].strip() for m in range(j, k + 1))
                    a, prev = spans[j][0], p.text[slice(*spans[j - 1])].strip() if j else ""
                if (labelled or len(text.split()) >= 5) and usable(text):
                    cands.append((text, i, (spans[k - 1][0], b) if labelled else (a, b), "" if labelled else prev, labelled, text))
                elif (lead := listed_value(question, p.text, spans, k, terms)) and usable(sent):  # "loose-objects: daily."
                    cands.append((sent, i, (a, b), lead, True, f"{lead} {sent}"))
                elif k == 0 and p.section.rstrip().endswith("?") and usable(sent):
                    # A short reply under a question heading (a FAQ's "It's \".txt\".") answers that question.
                    cands.append((sent, i, (a, b), p.section, True, f"{p.section} {sent}"))
                if k and is_field(sent, terms):
                    # A reference entry's field ("Default: 8.") answers a question about that field ("... by
                    # default?"), read with its entry's name and quoted with the line before (not a pointer).
                    start = a if is_pointer(prev) else spans[k - 1][0]
                    if usable(field := p.text[start:b].strip()):
                        cands.append((field, i, (start, b), f"{p.section} {prev}", True, f"{p.section}: {field}"))
                # A table's rows are candidates of their own: "| dpkg -S filename | Show which package a file
                # belongs to. |" answers without the rest of the card. A row is read with its section's title (the
                # table's subject: "C.4 MySQL table driver" for "| Port | ... 3306 |"), not with the row before it
                # (a PDF's first row is no header, and its words made every other row look like it).
                cands += [(p.text[ra:rb], i, (ra, rb), p.section, False, p.text[ra:rb])
                          for ra, rb in table_rows(p.text, a, b) if usable(p.text[ra:rb])]
        # "What does ESS stand for?": when a sentence spells it out, only such sentences answer.
        expansions = [c for c in cands if spelled_out(question, c[0])]
        cands = expansions or cands
        if not cands:
            return []
        vecs = self.embedder.embed([c[5] for c in cands])
        semantic = vecs @ qvec
        weights = self._term_weights(terms)
        total = sum(weights.values()) or 1.0
        out = []
        for (sent, i, span, before, labelled, _), sem in zip(cands, semantic):
            words = set(content_words(sent))
            # A sentence is read with the one before it, which may name its subject ("Invoking R with --vanilla").
            window = words | set(content_words(before))
            coverage = sum(w for t, w in weights.items() if t in window) / total
            rank_bonus = 0.03 * (1 - i / max(len(passages), 1))
            type_bonus = 0.08 if answer_type_match(question, sent) or defines(sent, question) else 0.0
            # A question about a particular year is answered by a sentence that names that year.
            year_penalty = 0.12 if years and not years & set(_YEAR.findall(sent)) else 0.0
            # A sentence that only restates the question ("They wanted Pakistan to condemn the invasion")
            # adds nothing: the answer is in words the question does not have.
            new = len(words - terms) / max(1, len(words))
            # A labelled value is new however many of its words the question has ("~/.cache/pip").
            echo_penalty = 0.0 if labelled else ECHO_WEIGHT * max(0.0, ECHO_FLOOR - new)
            score = (self.semantic_weight * float(sem) + (1 - self.semantic_weight) * coverage + rank_bonus + type_bonus
                     - year_penalty - echo_penalty)
            out.append(Evidence(sent, i, score, float(sem), span))
        out.extend(self._authorship(question, passages, max((e.score for e in out), default=0.0)))
        out.sort(key=lambda e: -e.score)
        return out

    def _term_weights(self, terms: set[str]) -> dict[str, float]:
        """IDF weights of the question's terms for coverage. A term no chunk contains cannot tell
        sentences apart; it is left out when the known terms carry most of the question ("the
        Abbottabad raid" is answered by a sentence on bin Laden's killing in Abbottabad, and no
        document says "raid"), and kept, at the highest weight, when they do not, so a question
        mostly about things absent from the collection stays under the abstention floor."""
        weights = {t: self.idf(t) for t in sorted(terms)}  # a fixed order: sums in set order vary by process
        if self.known is None:
            return weights
        known = {t: w for t, w in weights.items() if self.known(t)}
        return known if sum(known.values()) >= 0.5 * sum(weights.values()) else weights

    def _authorship(self, question: str, passages: list[Passage], best: float) -> list[Evidence]:
        """For "who wrote ...?": the byline of a retrieved front-matter passage, stated as a sentence.
        Its names are in the cited passage, so the citation checker can verify it."""
        if not is_authorship_question(question):
            return []
        for i, p in enumerate(passages):
            if p.index == 0 and p.authors and all(a.split()[-1] in p.text for a in p.authors):
                names = ", ".join(p.authors[:-1]) + " and " + p.authors[-1] if len(p.authors) > 1 else p.authors[0]
                return [Evidence(f"\u201c{p.title}\u201d was written by {names}.", i, best + 0.1)]
        return []

    def select(self, evidence: list[Evidence], passages: list[Passage] | None = None) -> list[Evidence]:
        """The answer: the best sentences close to the top score, without repeats, each completed by
        the neighbours it cannot stand without when `passages` are given (see `complete`)."""
        if not evidence:
            return []
        best = evidence[0].score
        chosen: list[Evidence] = []
        units = 0
        for e in evidence:
            if units >= self.sentences or e.score < best * CLOSE_TO_BEST:
                break
            if any(c.passage == e.passage and _overlap(c.span, e.span) for c in chosen):
                continue  # already part of an earlier sentence, its completion or its table row
            if all(_jaccard(e.text, c.text) < 0.6 for c in chosen):
                # a completion may reach back to a sentence already chosen ("This should allow ..." after it)
                chosen.extend(part for part in (complete(e, passages[e.passage]) if passages is not None else [e])
                              if not any(c.passage == part.passage and _overlap(c.span, part.span) for c in chosen))
                units += 1
        return chosen


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a == b or (a is not None and b is not None and a[0] < b[1] and b[0] < a[1])


# A follow-up asks for something the last answer did not say: a sentence it already quoted scores this
# share of its score. On the dev conversations 0.8 gained follow-ups in three corpora (0.5 lost papers);
# leave one corpus out, three of four held-out corpora chose 0.8 and gained.
SAID_AGAIN = 0.8


def not_said_again(evidence: list[Evidence], said: str) -> list[Evidence]:
    """The evidence with the sentences the last answer already quoted demoted, best first again."""
    if not said:
        return evidence
    said = " ".join(said.split())
    out = [replace(e, score=e.score * SAID_AGAIN) if " ".join(e.text.split()) in said else e for e in evidence]
    return sorted(out, key=lambda e: -e.score)


# A sentence joins the answer when it scores at least this share of the best one. The answer sentence
# is often second or third, after one that repeats the question's words ("... is turned into a vector."
# before "... drop = FALSE"); on the dev splits every corpus gained down to 0.6 and nothing below it
# (0.85 before), so 0.6 is the shortest answer with all of that gain.
CLOSE_TO_BEST = 0.6


# A sentence that cannot stand alone: it points back ("This was the motivation ...") ...
_POINTS_BACK = re.compile(r"^(?:This|That|These|Those|Such|Thus|Hence|Therefore|So|In (?:this|that|such a) case)\b(?!-)")
# ... or its neighbour explains or continues it ("That's because ...", "This ensures that ...").
_CONTINUES = re.compile(
    r"^(?:(?:This|That|It)(?:'s|\u2019s| is| was)?\s+(?:because|why|so that|ensures?|means?|allows?|lets?|makes?|"
    r"prevents?|avoids?|guarantees?|keeps?)\b|Because\b|(?:This|That) is (?:done|needed|required|necessary)\b|"
    r"Otherwise\b|In other words\b|That is,|I\.e\.|In (?:this|that|such a) case\b)")
_COMPLETION_WORDS = 70  # a completed answer sentence stays a short read


def complete(e: Evidence, passage: Passage) -> list[Evidence]:
    """The sentence with the neighbours of its passage that it cannot stand without: what a lead-in
    ending in a colon introduces, the sentence that "This"/"That" points back to, and a next sentence
    that explains it ("That's because ..."). English discourse cues, the same on any collection."""
    if e.span is None:
        return [e]
    spans = split_sentences(passage.text)
    at = next((k for k, s in enumerate(spans) if s == e.span), None)
    if at is None:
        return [e]

    def part(k: int) -> Evidence:
        a, b = spans[k]
        return replace(e, text=passage.text[a:b].strip(), span=(a, b))

    words = len(e.text.split())
    before: list[Evidence] = []
    after: list[Evidence] = []
    if _POINTS_BACK.match(e.text) and at > 0:
        prev = part(at - 1)
        if words + len(prev.text.split()) <= _COMPLETION_WORDS and not prev.text.endswith(":"):
            before.append(prev)
            words += len(prev.text.split())
    # A lead-in ("... as follows:") takes what it introduces (a list item, a code line, and one more
    # when that is only a few words); any other sentence takes a next one that explains it.
    lead_in = e.text.endswith(":") or (at + 1 < len(spans) and introduces_block(passage.text, *spans[at], *spans[at + 1]))
    for k in range(at + 1, min(at + 3, len(spans))):
        nxt = part(k)
        wanted = (lead_in and (k == at + 1 or len(after[-1].text.split()) < 6 or after[-1].text.endswith(":"))) \
            or (k == at + 1 and bool(_CONTINUES.match(nxt.text)))
        if not wanted or words + len(nxt.text.split()) > _COMPLETION_WORDS:
            break
        after.append(nxt)
        words += len(nxt.text.split())
    return before + [e] + after


def admissible(question: str, passages: list[Passage]) -> list[int]:
    """Indexes of the passages that can answer: for a question about particular years, those that
    state the most of them ("between 2001 and 2009": both, if some passage has both); a passage
    that names none of them cannot answer. Any passage otherwise."""
    years = event_years(question)
    if not years:
        return list(range(len(passages)))
    found = [len(years & passage_years(p.text, question)) for p in passages]
    most = max(found, default=0)
    return [i for i, n in enumerate(found) if n and n == most]


def event_years(question: str) -> set[str]:
    """The years a question is about ("during 2023", "the 2022 floods")."""
    return set(_YEAR.findall(question))


def passage_years(text: str, question: str) -> set[str]:
    """Years a passage states. Citation years count only when the question asks about sources
    ("whose 2013 book"): otherwise "(Dawi, 2022)" would pass for news of 2022."""
    if not _ABOUT_SOURCES.search(question):
        text = _CITATION.sub(" ", text)
    return set(_YEAR.findall(text))


def _jaccard(a: str, b: str) -> float:
    x, y = set(content_words(a)), set(content_words(b))
    return len(x & y) / max(1, len(x | y))
