"""Misspelt question words, corrected against the collection's own vocabulary.

One typo ("pacakge", "imposisble") makes a word the collection lacks: BM25 finds nothing for it, the
extractive scorer cannot match it, and the answerability gate reads an unknown word as "off the
collection's subject" and abstains. On the eval's dev questions one swapped pair of letters in the
longest word turned 21 of 155 right answers into abstentions or wrong ones (docs/evaluation.md, "As typed").

A word is corrected only when all of these hold, so a real word the collection lacks ("boiling" in a
collection about licences) stays what it is and still counts against answering:
- it is lowercase (names are not guessed at), at least five letters, not a stopword, and not part of
  code or a path ("na.locf", "~/.cache"); a hyphenated word is read part by part;
- the collection does not contain it as written, and general English does not know it either (it is not
  in pyspellchecker's English word list of 160,000 forms, nor a whole word of the embedder's
  vocabulary, in its American spelling or its British one);
- one edit (a letter deleted, inserted, replaced, or two neighbours swapped) makes a word the collection
  contains as written, or an English word the collection contains another form of ("binaries" where
  it writes "binary"). Of several: a word of English first, then the collection's most frequent. A
  word whose only such neighbours are other forms of its own stem, none of them English, is taken for
  a form the collection does not write ("licensors" beside "licensor"), not for a typo.
The corrected question is what is searched and judged, and is shown as "searched for".
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection
from functools import cached_property, lru_cache

from rag.language import STOPWORDS, english_frequencies, stem

MIN_LETTERS = 5  # shorter words have too many one-edit neighbours to guess among
MAX_LETTERS = 30  # a longer token is an identifier or a hash, not a misspelt word (and costs 54 edits a letter)
MAX_GUESSES = 40  # words looked up per question: a pasted log of unknown words is not worth a second
# British spellings, as the embedder's (American) vocabulary writes them: "initialised", "colour", "licence".
_AMERICAN = [(re.compile(p), r) for p, r in (
    (r"is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"), (r"our", "or"), (r"tres?$", "ter"), (r"ence(s?)$", r"ense\1"),
    (r"ogue(s?)$", r"og\1"), (r"ll(ed|ing|er|ers)$", r"l\1"), (r"yse(s|d)?$", r"yze\1"))]
# A word with its hyphenated parts, not inside code or a path, and not a contraction ("don't");
# a possessive ("maintainers' guide", "project's") is a word.
_WORD = re.compile(r"(?<![\w'\u2019./`~-])[A-Za-z][A-Za-z-]*[A-Za-z](?![\w/`]|\.\w|['\u2019](?!s\b)\w)")


def edits(word: str) -> set[str]:
    """Every string one edit away from `word` (Norvig's spelling corrector)."""
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in letters]
    return set(deletes + swaps + replaces + inserts) - {word}


class Speller:
    """Corrects a question's words that neither the collection nor English knows.

    `written(word)`: does the collection contain the word as written (hyphenated parts too);
    `known(stem)`: a word of that stem; `idf(stem)`: its inverse document frequency (lower is more
    frequent); `english()`: the words of general English, loaded at the first word the collection
    lacks (about 0.4 s)."""

    def __init__(self, written: Callable[[str], bool], known: Callable[[str], bool], idf: Callable[[str], float],
                 english: Callable[[], Collection[str]]):
        self.written = written
        self.known = known
        self.idf = idf
        self._english = english

    @cached_property
    def english(self) -> Collection[str]:
        return self._english()

    def is_english(self, w: str) -> bool:
        """Is `w` a word of general English, in either spelling?"""
        return w in self.english or any(r.sub(to, w) in self.english for r, to in _AMERICAN)

    def correct(self, question: str) -> str:
        """The question with each misspelt word replaced by its collection spelling (else unchanged)."""
        guesses = [MAX_GUESSES]
        return _WORD.sub(lambda m: self.compound(m.group(0), guesses), question)

    def compound(self, token: str, guesses: list[int]) -> str:
        """A word, or each lowercase part of a hyphenated one, corrected (a written compound stays);
        `guesses` counts down the words still to be looked up."""
        if "-" in token and self.written(token.lower()):
            return token
        return "-".join(p if not p.islower() else self.word(p, guesses) or p for p in token.split("-"))

    def word(self, w: str, guesses: list[int] | None = None) -> str | None:
        """The collection's spelling of a misspelt lowercase word, or None when it is no typo we can fix."""
        if not MIN_LETTERS <= len(w) <= MAX_LETTERS or w in STOPWORDS or self.written(w) or self.is_english(w):
            return None
        if guesses is not None:
            if guesses[0] <= 0:
                return None
            guesses[0] -= 1
        found = {}
        for c in edits(w):
            if c[:1].isalpha() and c not in STOPWORDS and (self.written(c) or (self.known(stem(c)) and self.is_english(c))):
                found[c] = self.idf(stem(c))
        same = [c for c in found if stem(c) == stem(w)]
        if same and not any(self.is_english(c) for c in same):  # a form of a collection word, not a typo
            return None
        # A word of English first (the embedder reads the surface form), then the most frequent in the
        # collection, then the alphabetically first: the same question is always corrected alike.
        return min(found, key=lambda c: (not self.is_english(c), found[c], c)) if found else None


def english_words(extra: Collection[str] = ()) -> frozenset[str]:
    """pyspellchecker's English word list (its word-frequency dictionary), with `extra` words."""
    return _pyspellchecker_words() | frozenset(extra)


@lru_cache(maxsize=1)
def _pyspellchecker_words() -> frozenset[str]:
    """Made once per process: every pipeline (one per eval corpus, per test) shares it."""
    return frozenset(english_frequencies())
