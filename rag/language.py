"""Sentence splitting with offsets, and the word-level helpers shared by retrieval and checking."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ABBREV = {
    "dr", "mr", "mrs", "ms", "prof", "st", "no", "vol", "pp", "p", "ed", "eds", "fig", "e.g", "i.e",
    "etc", "vs", "al", "jr", "sr", "gen", "col", "lt", "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "co", "govt", "dept", "approx",
}
# A sentence ends at . ! ? (optionally closed by quotes/brackets/footnote marks) before whitespace
# and an uppercase letter, digit, quote or bracket, or at a paragraph break.
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"'\u201d\u2019)\]\u00b9\u00b2\u00b3\u2070-\u2079\d]*\s+(?=[A-Z0-9\"'\u201c\u2018(\[])|\n\s*\n"
)


# A source cited after the full stop (`... "camp." (Kronstadt, 2023).`) belongs to the sentence
# before it: split off, it would become a "sentence" of its own and could open a chunk.
_CITATION_AFTER = re.compile(
    r"\((?=[^()\n]*(?:\b(?:1[6-9]|20)\d\d[a-z]?\b|\bn\.\s?d\.))[^()\n]{1,120}\)(?:[.!?][\"'\u201d\u2019]?(?=\s|$)|(?=[ \t]*(?:\n|$)))"
)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end], whitespace excluded."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _BOUNDARY.finditer(text, start, end):
        cut = m.start()
        if not m.group().startswith("\n") and (_is_abbreviation(text, pos, cut) or _CITATION_AFTER.match(text, m.end(), end)
                                                or _FIELD_AFTER.match(text, m.end(), end) or _decimal(text, cut, m.group())):
            continue
        _add_span(text, pos, m.end() if m.group().startswith("\n") else cut + len(m.group().rstrip()) , spans)
        pos = m.end()
    _add_span(text, pos, end, spans)
    return spans


def introduces_block(text: str, a: int, b: int, c: int, d: int) -> bool:
    """Does the sentence text[a:b] introduce the block of lines at text[c:d] (code, an example) as a colon would,
    ending without punctuation right above it ("... assign a default value to the argument like this")?"""
    sentence = text[a:b].rstrip()
    return (len(sentence.split()) >= 5 and re.search(r"[\w)\]]$", sentence) is not None
            and "\n" in text[b:c] and "\n" in text[c:d].strip())


# A reference page's field after an item's sentence ("... on stdout or stderr. Default: `1024 * 1024`.",
# "Returns: {ChildProcess}") names no subject of its own: it stays with the sentence it completes.
FIELD_LABEL = r"(?:Default|Defaults|Returns?|Type|Since|Added in|Deprecated|Values?|Range|Units?)s?"
_FIELD_AFTER = re.compile(rf"{FIELD_LABEL}:[^\S\n]+[^\n.!?]{{1,40}}(?:[.!?]?[^\S\n]*(?:\n|$))")


def _add_span(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


def _decimal(text: str, cut: int, after: str) -> bool:
    """Is the full stop a decimal point, digits on both sides ("CAST(4.0 AS INT)", "version 3.7.0 (2009-09-11)"),
    rather than a sentence's end with a footnote mark after it ("... ended in 2001.3 The ...")? One or two
    digits before it, or two or more after it, read as a number; a paragraph break after the number still ends
    the sentence ("... Topeka,1.4,0.07" above a footnote)."""
    before = re.search(r"(\d+)\.$", text[max(0, cut - 6):cut])
    digits = re.match(r"\d+", after)
    return bool(before and digits and (len(before.group(1)) <= 2 or len(digits.group()) > 1)
                and not re.search(r"\n\s*\n", after))


def _is_abbreviation(text: str, pos: int, cut: int) -> bool:
    word = text[max(pos, cut - 12) : cut].split()[-1:] or [""]
    token = word[0].rstrip(".!?").lstrip("(\"'").lower()
    return token in _ABBREV or (len(token) == 1 and token.isalpha())


# Articles and possessives: what opens a noun phrase.
DETERMINERS = frozenset("the a an his her its their our my your".split())
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves did does what which whose according per via upon
    tell describe explain give list name mention say said says paper article document study text
    documents""".split()
)
# A one-letter command-line option ("-n", "-X") is a word of its own, its case kept: "git clean -X"
# and "-x" are different options, and without its dash "-n" was a single letter, dropped as no word.
_WORD = re.compile(r"(?<![\w\-])-[A-Za-z](?![\w\-])|[A-Za-z][A-Za-z'\-]*|\d+(?:[.,]\d+)*%?")


# Amounts written as words ("fourteen parties", "a dozen"), for questions that ask how many.
# A count of times in a word ("can be used only once"): an answer to "how many times", no amount elsewhere
# ("once installed, ..." is a conjunction).
TIMES_PATTERN = r"\b(?:once|twice|thrice)\b(?=\s*(?:[.,;:!?)]|$|(?:per|a|an|every|each|or|and|in)\b))"
TIMES = re.compile(TIMES_PATTERN, re.I)
NUMBER_WORDS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
                 "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|"
                 "thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|majority|minority|several|few")


# An abbreviation with a version ("GPLv3", "IPv6", "LGPLv2.1") is the name and the number, as a
# document that writes "GNU GPL version 3" has them. Bump TOKENS_VERSION when tokens change: keyword
# indexes built with other tokens are rebuilt from the stored chunks.
_VERSIONED = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])v(?=\d)")
TOKENS_VERSION = 4


def split_versions(text: str) -> str:
    """'GPLv3' written 'GPL v3': the abbreviation apart from its version, as `words` reads it."""
    return _VERSIONED.sub(r"\1 v", text)


# Typeset look-alikes of what a keyboard types: groff's minus sign in man pages ("−−login"), its small
# tilde ("˜/.profile") and Unicode's hyphens. Read as typed, "--login" finds them and they find it.
_KEYBOARD = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "\u02dc": "~"})


def keyboard_characters(text: str) -> str:
    """`text` with typeset look-alikes of keyboard characters (minus sign, hyphens, small tilde) as typed."""
    return text.translate(_KEYBOARD)


# TeX sets an accent as a glyph of its own before its letter, and a PDF's text layer keeps it so:
# "Br¨oker", "J´erˆome", "Mikul´ık". Each spacing accent here, followed by a letter, is that letter
# accented ("Bröker"). The grave (`) and the small tilde are left alone: they are also code and "~".
_SPACING_ACCENT = {"\u00a8": "\u0308", "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02c7": "\u030c", "\u02d8": "\u0306",
                   "\u02da": "\u030a", "\u00af": "\u0304", "\u02dd": "\u030b"}
_ACCENTED = re.compile("([" + "".join(_SPACING_ACCENT) + "])([A-Za-z\u0131])")


def compose_accents(text: str) -> str:
    """`text` with TeX's spacing accents joined to the letter after them: "Br¨oker" -> "Bröker"."""
    if not _ACCENTED.search(text):
        return text
    return _ACCENTED.sub(lambda m: unicodedata.normalize(
        "NFC", ("i" if m.group(2) == "\u0131" else m.group(2)) + _SPACING_ACCENT[m.group(1)]), text)


# A clitic belongs to the word before it: "shouldn't" is "should", "I'm" is "I", "Python's" is "Python"
# (a question's contraction is no word the collection lacks), and a curly apostrophe is a straight one.
_CLITIC = re.compile(r"(?:n't|'(?:s|m|re|ve|ll|d))$")
_IRREGULAR = {"can't": "can", "won't": "will", "shan't": "shall", "ain't": "is"}


def words(text: str) -> list[str]:
    """Lowercased word tokens (letters, or numbers with their separators), clitics removed; one-letter
    options as written."""
    out = []
    for w in _WORD.findall(split_versions(text.replace("\u2019", "'"))):
        if w[0] == "-":
            out.append(w)
            continue
        w = w.lower().strip("'-")
        out.append(_IRREGULAR.get(w) or _CLITIC.sub("", w) or w)
    return out


@lru_cache(maxsize=1)
def _snowball():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # PyStemmer is a dependency; the light fallback keeps tools usable without it
        return None


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """Snowball (Porter2) stem, so 'convergence' matches 'converge' and 'relations' 'relation'."""
    snowball = _snowball()
    if snowball is not None:
        return snowball.stemWord(word)
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def meaningful(word: str) -> bool:
    """Does a lowercased word carry meaning (no stopword, no single letter)?"""
    return word not in STOPWORDS and len(word) > 1


# A negating prefix: "unencrypted" answers "Are the passwords encrypted?" (no), "non-free" speaks of "free".
_NEGATED = re.compile(r"^(?:un(?!less$)|non-?)(?=[a-z]{4})")  # "unless" is no negated "less"


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning, stopwords dropped; a negated word also counts as the word
    it negates ("unencrypted": "unencrypt", "encrypt")."""
    out = []
    for w in words(text):
        if meaningful(w):
            out.append(stem(w))
            if (m := _NEGATED.match(w)) and meaningful(w[m.end():]):
                out.append(stem(w[m.end():]))
    return out


_NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?:[ \t]+(?:(?:of|and|the|for)[ \t]+)?[A-Z][a-z]+){2,5}\b")


def initials(text: str) -> set[str]:
    """The initials of each run of three to six capitalised words and of its tails of three or more
    ("The Debian Free Software Guidelines" -> "tdfsg", "dfsg", "fsg"): a question's abbreviation
    names what a document spells out."""
    out: set[str] = set()
    for run in _NAME_RUN.findall(text):
        letters = "".join(w[0] for w in re.findall(r"[A-Z][a-z]+", run)).lower()
        out.update(letters[i:] for i in range(len(letters) - 2))
    return out


# The most frequent English words: a question's "gave", "lose" or "let" is everyday wording, not a
# subject a collection of licences lacks. Chosen on dev: 500 gained 2 licences questions and lost none;
# from 1,000 on, subject words became everyday ("office" at 1,000, "cost" at 2,000, "forest" at
# 3,000) and off-subject questions were answered (docs/evaluation.md).
EVERYDAY_WORDS = 500


@lru_cache(maxsize=1)
def english_frequencies() -> dict[str, int]:
    """pyspellchecker's English words and their frequencies, read once per process (0.4 s)."""
    try:
        from spellchecker import SpellChecker
    except ImportError as e:  # a dependency; the hint is for an environment installed without it
        raise ImportError("the English word list needs pyspellchecker: pip install pyspellchecker") from e
    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@lru_cache(maxsize=1)
def everyday_stems() -> frozenset[str]:
    """The stems of the EVERYDAY_WORDS most frequent English words."""
    ranked = sorted(english_frequencies().items(), key=lambda kv: (-kv[1], kv[0]))
    return frozenset(stem(w) for w, _ in ranked[:EVERYDAY_WORDS])


_POINTER = re.compile(r"^(?:Also see|See also|See|Refer to|Cf\.)\s+", re.I)


def is_pointer(sentence: str) -> bool:
    """Does the sentence only send the reader elsewhere ("Also see What's the official MIME type for
    reStructuredText data?", "See Section 'Creating R packages'")? It answers nothing, however many of the
    question's words its target's title repeats."""
    return (bool(_POINTER.match(sentence)) and len(sentence.split()) <= 15 and "\n" not in sentence.strip()
            and not re.search(rf"\b{FIELD_LABEL}:", sentence))  # "See caveat at ... Default: `1024 * 1024`." says more
