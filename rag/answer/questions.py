"""What a question must be before it is answered: text, not empty, not longer than the limit."""

from __future__ import annotations

import re
import unicodedata

from rag.config import Settings
from rag.language import keyboard_characters


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long)."""


# Typographic quotes, as phones and word processors type them: "Pakistan’s" and "I’m" tokenized as
# "pakistan", "s" and "i", "m" changed 13 of 48 dev answers to questions that had an apostrophe.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})


def plain(text: str) -> str:
    """Text in its compatibility form (NFKC: full-width letters, ligatures) with plain quotes and
    keyboard dashes (a "−−login" pasted from a PDF)."""
    return unicodedata.normalize("NFKC", keyboard_characters(text)).translate(_QUOTES)  # NFKC splits "˜"


def validate_question(question: str, settings: Settings) -> str:
    """The question stripped and in plain characters, or QuestionError naming what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = plain(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", question)).strip()
    if not q:
        raise QuestionError("the question is empty; type a question about the documents")
    if len(q) > settings.answer.max_question_chars:
        raise QuestionError(
            f"the question is {len(q)} characters long; the limit is {settings.answer.max_question_chars} (setting RAG_MAX_QUESTION_CHARS)"
        )
    return q


# The chat around a question: greetings, hedges and thanks are no part of what is asked. Searched and
# judged with it, "Hi, quick question: ... Thanks!" carried words the collection lacks, which the
# answerability gate reads as "off the collection's subject" (docs/evaluation.md, "As typed").
_LEAD = re.compile(
    r"(?i)^\s*(?:"
    r"(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day)|dear\s+\w+)\b"
    r"(?:\s+(?:there|all|everyone|folks|team)\b)?\s*[,!.:;\-\u2014]*"
    r"|(?:sorry|apologies)\b(?:\s+(?:if|for)\b[^,.:;!?]{0,60})?\s*[,!.:;\-\u2014]*(?:\s*but\b)?"
    r"|(?:(?:i\s+have|i've\s+got|just)\s+)?(?:a\s+)?(?:(?:quick|short|simple|small|stupid|dumb|silly|newbie|basic)\s+)?"
    r"question(?:\s+for\s+you)?\s*[:,.!\-\u2014]+"
    r"|i\s+(?:was\s+)?wonder(?:ing)?(?:\s*[:,]|\s+(?:if|whether)\b)"
    r"|(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell|help)\s+me(?:\s+(?:this|something|with\s+this))?\s*[:,]?"
    r"|please\b[,:]?"
    r"|(?:thanks|thank\s+you)(?:\s+(?:so|very)\s+much)?\s*[,!.:;\-\u2014]+"
    # an acknowledgement of the last answer: "Ok, thanks. And ...?", "Got it. What about ...?"
    r"|(?:ok(?:ay)?|great|cool|perfect|nice|awesome|alright|all\s+right|got\s+it|i\s+see|understood|makes\s+sense)"
    r"\s*[,!.:;\-\u2014]+"
    r")\s*")
# Thanks after the question's own end or a comma ("... Lahore? Thanks!", "..., thanks"), not a last
# word of the question ("what is the Debian word for thanks?").
_TAIL = re.compile(
    r"(?i)(?:(?<=[?.!])\s*|\s*[,;:\-\u2014]\s*)(?:"
    r"(?:many\s+)?thanks|thank\s+you|thx|cheers|much\s+appreciated|appreciate\s+it"
    r"|(?:any\s+)?help\s+(?:is\s+|would\s+be\s+)?(?:much\s+|greatly\s+|really\s+)?appreciated|please"
    r")(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+in\s+advance)?[\s.!:)]*$"
    r"|,\s*please(?=\s*\?\s*$)")  # "..., please?"


def without_pleasantries(question: str) -> str:
    """What is asked, without the greetings, hedges and thanks around it ("Hi, quick question: ...
    Thanks!"); the question itself when nothing of substance would be left."""
    q = question
    while True:
        shorter = _TAIL.sub("", _LEAD.sub("", q, count=1), count=1).strip()
        if shorter == q:
            break
        q = shorter
    if not re.search(r"\w", q):  # "Thanks!" alone: nothing else was asked
        return question
    return q[:1].upper() + q[1:] if q != question else q


def what_is_asked(question: str) -> str:
    """The question as it is searched and judged: plain characters, the chat around it left out
    (for an earlier turn too, which a client sends back as it was typed)."""
    return without_pleasantries(plain(question))
