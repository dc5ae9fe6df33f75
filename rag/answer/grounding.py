"""The citation checker: is each answer sentence supported by the passage(s) it cites?

Small models invent details (the right month of an agreement with an invented day), so every answer
is checked: citation numbers outside the passages are removed; each sentence's numbers, dates, names
and key content words must appear in its cited passages; a sentence the cited passage does not
support is re-attached to another passage that does, or marked unsupported (and dropped in strict mode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.citations import LEADING_MARKERS, SPACED_MARKER, cited_numbers, format_marker, marker_numbers, strip_markers
from rag.language import STOPWORDS, content_words, split_sentences, split_versions, stem, words
from rag.domain import SentenceCheck

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][A-Za-z'\u2019]*(?:-[A-Za-z'\u2019]+)*")
_MONTHS = {
    "january": "jan", "february": "feb", "march": "mar", "april": "apr", "may": "may", "june": "jun",
    "july": "jul", "august": "aug", "september": "sep", "october": "oct", "november": "nov", "december": "dec",
    "jan": "jan", "feb": "feb", "mar": "mar", "apr": "apr", "jun": "jun", "jul": "jul", "aug": "aug",
    "sep": "sep", "sept": "sep", "oct": "oct", "nov": "nov", "dec": "dec",
}
_NUMBER_WORDS = {
    w: str(i) for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
# Words an answer uses to point at its sources, not claims about the world.
_SELF_REFERENCE = frozenset({"passage", "passages", "excerpt", "excerpts"})
# Share of min_coverage that all of a sentence's content words (question echoes included) must reach.
_ANCHOR = 0.6
# A sentence about the passages rather than the world ("the passages do not say ..."): nothing to check.
_META = re.compile(
    r"\b(?:documents?|passages?|texts?|context|sources?|provided information)\b.{0,60}?"
    r"\b(?:do(?:es)?\s*(?:not|n't)|don't|doesn't|cannot|can't)\b.{0,40}?"
    r"\b(?:answer|contain|mention|say|state|provide|include|cover|specify|discuss|address|give)"
    r"|\b(?:no|not enough) (?:information|mention|details?)\b"
    r"|\bnot (?:mentioned|specified|stated|provided|covered|discussed|given) in\b"
    r"|\b(?:cannot|can't|unable to) (?:answer|determine|find)\b",
    re.I,
)


@dataclass
class Grounding:
    """The checked answer: its text after fixes, a verdict per sentence, and what was changed."""

    text: str
    sentences: list[SentenceCheck]
    removed: list[int] = field(default_factory=list)  # out-of-range citation numbers removed
    reattached: int = 0  # sentences moved to a passage that supports them
    dropped: int = 0  # unsupported sentences removed (strict)
    abstain: bool = False  # strict, and no supported sentence remained

    @property
    def supported_fraction(self) -> float | None:
        return sum(s.supported for s in self.sentences) / len(self.sentences) if self.sentences else None


@dataclass
class _Sentence:
    prefix: str  # whitespace (and line breaks) before the sentence
    body: str  # the sentence without citation markers
    raw: str  # the sentence as written, markers included
    cites: list[int]
    check: SentenceCheck | None = None
    rewrite: bool = False  # its citations changed: render from body + cites


def support_text(title: str, section: str, text: str, authors: tuple[str, ...] = ()) -> str:
    """What a passage vouches for: its text, and the document title, authors and section it sits under."""
    return "\n".join([title, ", ".join(authors), section, text])


def is_meta(sentence: str) -> bool:
    """Does the sentence talk about the passages (e.g. say they lack the answer) instead of the world?"""
    return bool(_META.search(sentence))


def restates(question: str, answer: str, sources: list[str] | None = None) -> bool:
    """Is the answer the question turned into a statement ("Trump accused Pakistan of giving the
    US ... [2]"), adding at most one word of its own? Small models do this when lost. That one word
    is the answer when the passages hold it: "Which port ...?" is answered by one word, "Gwadar"."""
    asked = set(content_words(question))
    said = content_words(strip_markers(answer))
    new = set(said) - asked
    if len(said) < 4 or len(new) > 1:
        return False
    return sources is None or not new & set(content_words(" ".join(sources)))


def check(answer: str, sources: list[str], strict: bool = False, min_coverage: float = 0.5, question: str = "") -> Grounding:
    """Check `answer` against `sources` (the support text of passages [1], [2], ...).

    Every sentence with a claim gets a SentenceCheck; fillers ("In short:") and sentences about the
    passages themselves are kept but not judged. Words the answer repeats from `question` are the
    asker's framing, not the answer's claims: they need not be in the passage (the claim's own words
    must). In strict mode unsupported sentences are dropped, and the result abstains when no
    supported sentence remains."""
    text, removed = _drop_out_of_range(answer, len(sources))
    facts = [_Facts.of(s) for s in sources]
    given = _Facts.of(question)
    sentences, trailing = _sentences(text)
    reattached = 0
    for s in sentences:
        claim = _Claim.of(s.body, given)
        if not s.cites and (is_meta(s.body) or (len(claim.terms) < 3 and not claim.numbers)):
            continue  # nothing to verify
        ok, score = claim.supported_by(_union(facts, s.cites), min_coverage) if s.cites else (False, 0.0)
        cites = tuple(s.cites)
        if not ok:
            best = None
            for n, f in enumerate(facts, 1):
                if (n,) == cites:
                    continue
                good, sc = claim.supported_by(f, min_coverage)
                if good and (best is None or sc > best[1]):
                    best = (n, sc)
                elif not cites:
                    score = max(score, sc)  # an uncited claim scores by its closest passage
            if best is not None:
                ok, score, cites = True, best[1], (best[0],)
                s.cites, s.rewrite = [best[0]], True
                reattached += 1
        s.check = SentenceCheck(sentence=re.sub(r"^(?:[-*\u2022]|\d+[.)])\s+", "", s.body.strip()), citations=cites, supported=ok, score=score)
    dropped = 0
    if strict:
        kept = [s for s in sentences if s.check is None or s.check.supported]
        dropped = len(sentences) - len(kept)
        sentences = kept
    checks = [s.check for s in sentences if s.check is not None]
    abstain = strict and not any(c.supported for c in checks)
    return Grounding(
        text=_render(sentences, trailing) if (dropped or reattached) else text,
        sentences=checks, removed=removed, reattached=reattached, dropped=dropped, abstain=abstain,
    )


# --- citation markers ----------------------------------------------------------------------


def _drop_out_of_range(text: str, count: int) -> tuple[str, list[int]]:
    """Remove citation numbers that name no passage; a marker left empty disappears."""
    removed: list[int] = []

    def fix(m: re.Match) -> str:
        nums = marker_numbers(m.group(1))
        keep = [n for n in nums if 1 <= n <= count]
        removed.extend(n for n in nums if not 1 <= n <= count)
        if keep == nums:
            return m.group(0)
        return " " + format_marker(keep) if keep else ""

    return SPACED_MARKER.sub(fix, text), removed


# --- sentences -----------------------------------------------------------------------------


def _sentences(text: str) -> tuple[list[_Sentence], str]:
    """The answer cut into sentences (and the whitespace after the last), keeping the separators so
    it can be put back together. A marker opening a sentence ("... in 2021. [2] Next") belongs to the
    sentence before it."""
    out: list[_Sentence] = []
    pending = ""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        cursor = 0
        for a, b in split_sentences(line):
            ws, raw, cursor = line[cursor:a], line[a:b], b
            lead = LEADING_MARKERS.match(raw)
            if lead and out:
                out[-1].raw += " " + lead.group(0).strip()
                out[-1].cites = list(dict.fromkeys(out[-1].cites + cited_numbers(lead.group(0))))
                raw = raw[lead.end():].lstrip()
                if not raw:
                    continue
            out.append(_Sentence(prefix=pending + ws, body=strip_markers(raw), raw=raw, cites=cited_numbers(raw)))
            pending = ""
        pending += line[cursor:] + ("\n" if i < len(lines) - 1 else "")
    return out, pending


def _render(sentences: list[_Sentence], trailing: str) -> str:
    text = "".join(s.prefix + (_place(s.body, s.cites) if s.rewrite else s.raw) for s in sentences) + trailing
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _place(body: str, cites: list[int]) -> str:
    """The sentence with its markers before the closing punctuation: 'X happened in 2021 [2].'"""
    marks = format_marker(cites)
    m = re.search(r"[.!?:;\"'\u201d\u2019)]*$", body)
    return f"{body[: m.start()].rstrip()} {marks}{body[m.start():]}" if marks else body


# --- facts and claims ----------------------------------------------------------------------


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _parts(tokens: list[str]) -> list[str]:
    """Hyphenated words split into their parts ('us-pakistan' -> 'us', 'pakistan')."""
    out: list[str] = []
    for t in tokens:
        out.extend(p for p in t.split("-") if p)
    return out


@dataclass
class _Facts:
    """What a passage (or several) states, in the forms claims are matched against."""

    words: set[str]  # lowercase words, hyphenated ones also split
    stems: set[str]
    numbers: set[str]
    months: set[str]
    initials: set[str]  # initials of runs of capitalized words ('United States' -> 'us')

    @classmethod
    def of(cls, text: str) -> _Facts:
        toks = words(text)
        ws = set(toks) | set(_parts(toks))
        numbers = _numbers(text) | {d for w, d in _NUMBER_WORDS.items() if w in ws}
        caps = re.findall(r"\b[A-Z][a-z]+(?:[ \t]+(?:(?:of|and|the)[ \t]+)?[A-Z][a-z]+)+", text)
        initials = {"".join(w[0] for w in re.findall(r"[A-Z][a-z]+", run)).lower() for run in caps}
        return cls(ws, {stem(w) for w in ws}, numbers, {_MONTHS[w] for w in ws if w in _MONTHS}, initials)

    def merge(self, other: _Facts) -> _Facts:
        return _Facts(self.words | other.words, self.stems | other.stems, self.numbers | other.numbers,
                      self.months | other.months, self.initials | other.initials)

    def has_name(self, name: str) -> bool:
        n = name.lower().replace("\u2019", "'").removesuffix("'s")
        if n in self.words or stem(n) in self.stems:
            return True
        if "'" in n:  # "O'Reilly" is read as its parts; a curly apostrophe splits it in the passage's words
            return all(self.has_name(p) for p in n.split("'") if len(p) > 1)
        if name.isupper() and 2 <= len(name) <= 5 and n in self.initials:
            return True  # US <- United States
        # Pakistani ~ Pakistan, Afghans ~ Afghanistan: a shared stem of at least 5 letters
        return len(n) >= 5 and any(len(w) >= 5 and (w.startswith(n[:-1]) or n.startswith(w[:-1])) for w in self.words if w[:1] == n[:1])


def _union(facts: list[_Facts], cites: list[int]) -> _Facts:
    chosen = [facts[n - 1] for n in cites if 1 <= n <= len(facts)]
    out = chosen[0]
    for f in chosen[1:]:
        out = out.merge(f)
    return out


@dataclass
class _Claim:
    """The checkable content of a sentence: numbers, months, names, and key content words."""

    numbers: set[str]  # numbers, months and names the question did not already give
    months: set[str]
    names: list[str]
    terms: list[str]  # stemmed content words
    new_terms: list[str]  # those not in the question

    @classmethod
    def of(cls, sentence: str, given: _Facts | None = None) -> _Claim:
        """The claim of `sentence`; with `given` (the question's facts), what the question already said is set apart."""
        toks = words(sentence)
        months = {_MONTHS[w] for w in toks if w in _MONTHS and w != "may"}
        first = re.match(r"\W*([A-Za-z][\w'\u2019-]*)", sentence)
        names: list[str] = []
        for m in _NAME.finditer(split_versions(sentence)):  # "GPLv3" names the GPL, as `words` reads it
            if first and m.start() == first.start(1):
                continue  # sentence-initial capital says nothing
            for part in m.group(0).split("-"):
                part = part.strip("'\u2018\u2019")  # a closing quote is no part of the name ("X.Y.Z’")
                low = part.lower().removesuffix("'s").removesuffix("\u2019s")
                if len(part) > 1 and low not in STOPWORDS and low not in _MONTHS and part[0].isupper() and part not in names:
                    names.append(part)
        terms = list(dict.fromkeys(
            stem(w) for w in _parts(toks) if w not in STOPWORDS and w not in _SELF_REFERENCE and len(w) > 1 and not w[0].isdigit()
        ))
        numbers = _numbers(sentence)
        if given is None:
            return cls(numbers, months, names, terms, terms)
        return cls(
            numbers - given.numbers, months - given.months, [n for n in names if not given.has_name(n)], terms,
            [t for t in terms if t not in given.stems],
        )

    def supported_by(self, facts: _Facts, min_coverage: float) -> tuple[bool, float]:
        """(supported, score): every new number, month and name present; at least `min_coverage` of
        the content words the answer adds, and some of those it repeats, present too (so the
        passage is about the same thing)."""
        hard = [n in facts.numbers for n in self.numbers] + [m in facts.months for m in self.months] + [facts.has_name(n) for n in self.names]
        found = {t: t in facts.stems or t in facts.initials for t in self.terms}
        coverage = sum(found.values()) / len(found) if found else 1.0
        new = [found[t] for t in self.new_terms]
        new_coverage = sum(new) / len(new) if new else coverage
        checked = hard + list(found.values())
        score = sum(checked) / len(checked) if checked else 0.0
        ok = all(hard) and new_coverage >= min_coverage and coverage >= min_coverage * _ANCHOR and bool(checked)
        return ok, score
