"""Query analysis: what a question asks for beyond its words (who wrote a document, which
document's author it names)."""

from __future__ import annotations

import re

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
