"""Names in questions and answers: runs of capitalised words, and the person a turn is about.

Follow-up resolution (rag/retrieve/conversation.py) puts a name in place of "he" or of the last
question's name of the same kind; these are English capitalisation cues, the same on any collection.
"""

from __future__ import annotations

import re

from rag.language import STOPWORDS, split_sentences

# Capitalised words that are not names, and words that make a capitalised phrase an organisation or place.
NOT_NAMES = frozenset("i the a an in on at for of to and or but if when what which who whom whose why how where after "
                      "before during while since with by from as this that these those there then he she it they we you "
                      "mr mrs ms dr january february march april may june july august september october november december "
                      "monday tuesday wednesday thursday friday saturday sunday "
                      "does do did is are was were can could will would should might has have had".split())
_NOT_PERSON = frozenset("act agency army bank bill court council department party league ministry office organization "
                        "organisation program programme states state nations union university institute center centre "
                        "committee commission force forces government province republic kingdom street river sea ocean "
                        "asia europe america africa east west north south strategy plan treaty accord agreement "
                        "conference summit review report service services corps group fund foundation network movement "
                        "front airport prize war operation city county district region valley islands island company "
                        "corporation council assembly parliament senate congress house times post journal press news".split())


def capitalised_phrases(text: str) -> list[str]:
    """Runs of capitalised words ("Raymond Davis", "Kerry-Lugar-Berman Act"), in order of appearance;
    acronyms count ("CIA"). A lone capitalised word opening a sentence counts only when the text
    also capitalises it elsewhere ("One of ..." is not a name, "Pakistan signed ..." is)."""
    runs: list[tuple[str, bool]] = []
    for sent_start, sent_end in split_sentences(text):
        run: list[str] = []
        initial = True
        for m in re.finditer(r"[A-Za-z][\w'\u2019\-.]*|\S", text[sent_start:sent_end]):
            tok = m.group(0).rstrip(".'\u2019")
            if tok[:1].isupper() and tok.lower() not in NOT_NAMES:
                run.append(tok.removesuffix("'s").removesuffix("\u2019s"))
                continue
            if run:
                runs.append((" ".join(run), initial and len(run) == 1))
            run, initial = [], False
        if run:
            runs.append((" ".join(run), initial and len(run) == 1))
    inside = {r for r, at_start in runs if not at_start}
    return list(dict.fromkeys(r for r, at_start in runs if not at_start or r in inside))


def salient_name(last_q: str, answer: str) -> str | None:
    """The person the last turn was about: a name of two or more words, one the last question
    named first, else the first one the answer names; None when there is none."""

    def person(phrase: str) -> bool:
        words = phrase.split()
        return (1 < len(words) <= 4 and not any(w.isupper() and len(w) > 1 for w in words)
                and not any(w.lower() in _NOT_PERSON for w in words))

    for phrase in capitalised_phrases(last_q) + capitalised_phrases(answer):
        if person(phrase) and not re.search(rf"(?i)\bthe\s+{re.escape(phrase)}", last_q + " " + answer):
            return phrase
    return None


def is_item_name(x: str) -> bool:
    """Is `x` a name only ("the US", "MPL 2.0", "Python 3 on Windows"), not a name's property
    ("Washington's response"), which is a new side of the last topic rather than its item swapped?"""
    words = re.findall(r"[A-Za-z0-9][\w'\u2019\-./]*[A-Za-z0-9%]|[A-Za-z0-9]", re.sub(r"(?i)^the\s+", "", x))
    return bool(words) and words[0][:1].isupper() and all(
        w[:1].isupper() or w[:1].isdigit() or w.lower() in STOPWORDS for w in words) and not re.search(r"['\u2019]s\b", x)


# A quoted phrase (not an apostrophe inside a word), a command-line option or an identifier.
_QUOTED = re.compile(r"(?<!\w)[\"\u201c\u2018']([^\"\u201d\u2019'?]{3,60}?)[\"\u201d\u2019'](?!\w)")
_CODE = re.compile(r"(?<![\w\-])(?:--?[a-z][\w\-]*[a-z0-9]|[a-z]\w*_\w*[a-z0-9])")
_NUMBER_AFTER = re.compile(r"\s*,?\s*(\d+(?:\.\d+)*)\b")


def specific_names(question: str) -> list[str]:
    """What the question names so specifically that a passage about it spells it out: a quoted
    phrase of up to five words, an option ("--require-hashes") or identifier ("pg_createcluster"),
    and a capitalised name with its number ("Debian 12", "Apache License 2.0"). A plain run of
    capitalised words is left out: people and bodies go by several names ("Musharraf", "General
    Pervez Musharraf"), and so are acronyms ("US" for "United States")."""
    found = [m.group(1).strip() for m in _QUOTED.finditer(question) if len(m.group(1).split()) <= 5]
    found += [m.group(0) for m in _CODE.finditer(question)]
    for phrase in capitalised_phrases(question):
        words = phrase.split()
        while words and words[0].lower() in STOPWORDS:
            words = words[1:]
        words = [w for w in words if not (w.isupper() or re.search(r"[a-z][A-Z]", w))]
        at = question.find(phrase)  # -1 when the phrase lost a possessive ("Python's")
        number = _NUMBER_AFTER.match(question, at + len(phrase)) if at >= 0 else None
        if words and number:
            found.append(" ".join([*words, number.group(1)]))
    return list(dict.fromkeys(found))
