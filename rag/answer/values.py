"""Questions that ask for a value (an amount, a time, a version) and sentences that state one.

A question that asks "how many days", "which version" or "when" is answered by a number the question
does not already hold, next to the asked unit; a sentence without one is related, not an answer.
English question forms, the same on any collection; answerability reads them as its value signal.
"""

from __future__ import annotations

import re

from rag.language import DETERMINERS, FIELD_LABEL, NUMBER_WORDS, STOPWORDS, TIMES, stem
from rag.retrieve.cues import DEMONSTRATIVE

_VALUE_NOUNS = (r"year|month|date|day|time|version|release|port|number|size|length|limit|timeout|age|percentage|"
                r"percent|share|proportion|majority|amount|price|cost|fee|rate|duration|period|count|total|deadline|"
                r"speed|capacity|height|width|weight|distance|temperature|score|population|salary|budget")
# "When" asks for a time as a question word ("when did ...", "since when?"), not as a conjunction:
# "why does the order matter when catching ...", "When urlopen fails, which attribute ...".
_WHEN = (r"when\s+(?:did|does|do|is|was|were|are|will|would|can|could|should|has|have|had|must|may)\b|"
         r"(?:since|until|till)\s+when\b|^\s*(?:(?:and|but|so)\s+)?when(?:\s+exactly)?\s*\?")
# "what / what's / which", then up to five words before the asked noun
_WHAT_WHICH = r"(?:what(?:['\u2019]s)?|which)\s+(?:[\w\-]+\s+){0,5}?"
_ASKS_VALUE = re.compile(
    rf"(?i)\b(?:how\s+(?:many|much)\s+(?P<unit>[a-z]+)|how\s+(?P<span>long|old|often|soon)\b|how\s+(?:many|much|big|large|far|fast|high|tall|wide|deep)\b|"
    rf"{_WHEN}|{_WHAT_WHICH}(?P<noun>{_VALUE_NOUNS})s?\b(?!['\u2019]s\b)|\bin\s+(?P<per>seconds|minutes|hours|days|"
    rf"weeks|months|years|bytes|kb|mb|gb|percent)\b)")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
# What "how long / old / often / soon" is measured in: time, or the length of a text.
_SPANS = frozenset(stem(w) for w in "second minute hour day week fortnight month year decade century hourly daily weekly monthly "
                   "yearly annually line character byte bit word page".split())
_SELF_EVIDENT = frozenset("year month date day time version release age percentage percent share proportion".split())
_MONEY = frozenset({"money", "fund", "funding"})
_AUXILIARIES = frozenset("do does did is are was were has have had can could will would shall should may might must "
                         "in of on at for to from by with under over before after during per".split())
VALUE_WORD = re.compile(
    rf"(?i)\b({NUMBER_WORDS}|January|February|March|April|May|June|July|August|September|October|"
    r"November|December|hourly|daily|weekly|monthly|yearly|annually)\b")
# A span with no end answers "how long" as a number of days does ("stores credentials indefinitely").
ENDLESS = re.compile(r"(?i)\b(?:indefinitely|forever|permanently)\b")


_COPULAS = frozenset("is are was were equals totals defaults".split())
_DETERMINERS = DETERMINERS | DEMONSTRATIVE


def _not_asked(m: re.Match) -> bool:
    """Is the value noun a verb or a verb's object rather than what the wh-phrase asks? "What does the
    component count?" asks what is counted, "Which option sets the paper size?" asks for an option (a
    verb and a determiner after the wh-phrase's noun); "What does a licence cost?" asks a price."""
    between = m.string[m.start():m.start("noun")].lower().split()[1:]
    if between and between[0] in ("do", "does", "did"):
        after = re.findall(r"[a-z]+", m.string[m.end():].lower())[:1]  # "cost" is the verb: "... cost?", "... cost per year?"
        return not (m.group("noun").lower() == "cost" and (not after or after[0] in STOPWORDS or after[0] == "per"))
    return bool(between) and between[0] not in STOPWORDS and any(w in _DETERMINERS for w in between[1:])


def asked_value(question: str) -> tuple[bool, frozenset[str]]:
    """Does the question ask for a value (an amount, a time, a version), and of what unit (stemmed
    words; empty when it does not say)? "How many nuclear warheads does ..." counts "nuclear warheads"."""
    m = next((m for m in _ASKS_VALUE.finditer(question) if not (m.group("noun") and _not_asked(m))), None)
    if not m:
        return False, frozenset()
    unit = m.group("noun") or m.group("per")
    if m.group("span"):  # "how long ...?" is answered by a number of days or lines, not by "section 3"
        return True, _SPANS
    if m.group("unit"):
        head = _counted(question[m.start("unit"):])
        # Money is its own unit too: "how much money" -> "38 billion USD".
        return True, frozenset() if head and head[0] in _MONEY else frozenset(head)
    if m.group("noun") and m.group("noun").lower() in ("number", "count") and (
            of := re.match(r"\s+of\s+(?:the\s+)?", question[m.end("noun"):])):
        # "the maximum number of user-defined keywords" counts keywords, as "how many keywords" does
        return True, frozenset(_counted(question[m.end("noun") + of.end():]))
    # A date, a version or a share is its own unit ("In which month ...?" -> "in April 2021"), and a
    # measure is stated in some other unit ("what size of key" -> "4096 bits", "which port" -> ":631").
    if not unit or unit.lower() in _SELF_EVIDENT or m.group("noun"):
        return True, frozenset()
    return True, frozenset({stem(unit.lower())})


def _counted(text: str) -> list[str]:
    """The counted thing's stemmed words up to the verb: "extra non-ASCII letters does ..." -> extra,
    non, ascii, letter (a sentence may say "additional non-ASCII letters")."""
    head: list[str] = []
    for w in text.split()[:3]:
        w = re.sub(r"['\u2019]\w*$", "", w.strip("?,.;:'\"").lower())  # "I'm" is "I"
        if not w or w in _AUXILIARIES or w in STOPWORDS:
            break
        head += [stem(part) for part in re.split(r"[\-/]", w) if part]
    return head


# A version or a port is written in digits: "every few months" states no version number.
_ASKS_DIGITS = re.compile(rf"(?i)\b{_WHAT_WHICH}(?:version|port)s?\b(?!['\u2019]s\b)")


_FIELD_VALUE = re.compile(rf"\n{FIELD_LABEL}: +(\S+)")  # a reference entry's field line, after its description
_ASKS_YEAR = re.compile(rf"(?i)\b{_WHAT_WHICH}years?\b(?!['\u2019]s\b)")


def states_value(question: str, sentence: str, unit: frozenset[str]) -> bool:
    """Does the sentence state a value the question does not already hold, next to the asked unit
    when the question names one ("how many days" -> "30 days")?"""
    given = set(_NUMBER.findall(question))
    tokens = re.findall(r"[A-Za-z][A-Za-z_]*|\d+(?:[.,:]\d+)*", sentence)  # SQLITE_MAX_COLUMN is one word
    worded = not _ASKS_DIGITS.search(question)
    spots = [i for i, tok in enumerate(tokens)
             if (tok[0].isdigit() and tok not in given) or (worded and VALUE_WORD.fullmatch(tok))]
    if _ASKS_YEAR.search(question):  # "in which year" is answered by a year, not by a footnote's "1"
        spots = [i for i in spots if re.fullmatch(r"[12]\d{3}", tokens[i])]
    if not unit:
        return bool(spots)
    near = {i for i, tok in enumerate(tokens) if _names_unit(tok.lower(), unit)}
    if stem("time") in unit and TIMES.search(sentence):
        return True  # "how many times can it be used?" -> "only once"
    field = _FIELD_VALUE.search(sentence)
    if field and near and any(tok not in given for tok in _NUMBER.findall(field.group(1))):
        return True  # an entry names the unit ("Number of spaces for hard tab expansion."), its field the value ("Default: 8.")
    verbs = [k for k, tok in enumerate(tokens) if tok.lower() in _COPULAS]
    if unit != _SPANS and any(0 < v - j <= 4 and 0 < i - v <= 3 for i in spots for j in near for v in verbs):
        return True  # the unit is the subject, its value right after the verb: "students per test is limited to 4,095"
    if unit == _SPANS and ENDLESS.search(sentence):
        return True
    if unit == _SPANS:  # a span is counted before its unit ("30 days", "ten lines"); "day 0", "page 5" are places
        return any(0 <= j - i <= 3 for i in spots for j in near)
    return any(abs(i - j) <= 4 for i in spots for j in near)


def _names_unit(word: str, unit: frozenset[str]) -> bool:
    """Is the word the asked unit, or the unit's words written as one ("servicemembers" for the
    question's "service members")?"""
    return stem(word) in unit or any(len(a) >= 4 and word.startswith(a) and any(b in word[len(a):] for b in unit - {a})
                                     for a in unit)
