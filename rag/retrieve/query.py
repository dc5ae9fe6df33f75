"""Query analysis: what a question asks for beyond its words (who wrote a document, which
document's author it names)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePath

from rag.language import STOPWORDS, stem, words

_AUTHORSHIP = re.compile(
    r"(?i)\b(who\s+(wrote|authored|writes|is\s+the\s+author|are\s+the\s+authors)|authors?\s+of|written\s+by|whose\s+(paper|article|study))\b"
)


def is_authorship_question(question: str) -> bool:
    """Does the question ask who wrote a document?"""
    return bool(_AUTHORSHIP.search(question))


_NAME_TOKEN = re.compile(r"[A-Z][a-z'\-]+")


def mentioned_documents(question: str, authors: dict[str, tuple[str, ...]]) -> tuple[set[str], str]:
    """Documents whose author the question names ("according to Shamil"), and the question
    without those names. A surname followed by another capitalised word ("Imran Khan") is
    someone else, not the author."""
    named: set[str] = set()
    content = question
    for doc_id, names in authors.items():
        for name in names:
            surname = name.split()[-1]
            if name in question:
                named.add(doc_id)
                content = content.replace(name, " ")
                continue
            for m in re.finditer(rf"\b{re.escape(surname)}\b", question):
                after = question[m.end() :].lstrip(" ")
                if _NAME_TOKEN.match(after) and not after.startswith(("And ", "Or ")):
                    continue
                named.add(doc_id)
                content = re.sub(rf"\b{re.escape(surname)}\b", " ", content)
    return named, re.sub(r"\s{2,}", " ", content).strip() or question


@lru_cache(maxsize=8192)
def _name_tokens(text: str) -> tuple[str, ...]:
    """Stemmed content words with versions read alike: 'Version 2.0', 'v2' and 'gpl-2.0' all give '2'.
    Unlike `content_words`, a one-digit version stays. Cached: every question reads every title again."""
    found = words(text.replace("-", " ").replace("_", " "))
    return tuple(re.sub(r"(\.0)+$", "", w) if w[0].isdigit() else stem(w) for w in found
                 if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))


def titled_documents(question: str, names: dict[str, tuple[str, ...]]) -> set[str]:
    """Documents the question names by title or file name ("according to the reference card", "the
    GPLv2", "Apache License 2.0"). A run of the question's consecutive content words names a document
    when at least two of them are words of its title or file name (one other document's name word
    may sit between them) and no other document's names hold them all. Single words never name a
    document: a title word alone ("logging", "configuration") is usually just the topic."""
    vocab = {doc_id: {t for n in ns for t in _name_tokens(n)} for doc_id, ns in names.items()}
    tokens = _name_tokens(question)
    common = set().union(*vocab.values()) if vocab else set()
    named: set[str] = set()
    for doc_id, own in vocab.items():
        run: list[str] = []
        gap = 0
        for t in (*tokens, ""):
            if t and t in own:
                run.append(t)
                gap = 0
                continue
            if t and run and gap == 0 and t in common:
                gap = 1  # another document's name word may sit inside ("Apache License 2.0" vs apache-2.0)
                continue
            found = set(run)
            if len(found) >= 2 and not any(found <= other for d, other in vocab.items() if d != doc_id):
                named.add(doc_id)
            run, gap = ([t] if t in own else []), 0
    return named


def answering_document(question: str, names: dict[str, tuple[str, ...]],
                       authors: dict[str, tuple[str, ...]] | None = None) -> frozenset[str]:
    """The one document the question asks about by name, written as a name ("under the Apache License
    2.0", "in GPLv3"): a titled document one of whose name words the question writes capitalised or
    with a digit; else the one document whose author it names ("according to Shamil"). Lowercase
    title words ("is the BSD license free" -> "GNU Free Documentation License") name a topic as often
    as a document, and two named documents are a comparison."""
    named = titled_documents(question, names)
    marked = {t for w in re.findall(r"[\w.\-]+", question) if w[:1].isupper() or any(c.isdigit() for c in w)
              for t in _name_tokens(w)}
    sure = {d for d in named if marked & {t for n in names[d] for t in _name_tokens(n)}}
    if len(sure) == 1 and len(named) == 1:
        return frozenset(sure)
    by_author = mentioned_documents(question, authors)[0] if authors else set()
    return frozenset(by_author) if len(by_author) == 1 else frozenset()


def document_names(title: str, source: str) -> tuple[str, ...]:
    """What a user may call a document: its title and its file name without the extension."""
    return (title, PurePath(source).stem)
