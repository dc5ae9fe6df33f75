"""Cleaned parts (paragraphs, headings, code) into a Document: the text, its sections with their
heading paths and pages, where each page's text starts, and where the code blocks are."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.domain import Document, Section
from rag.language import keyboard_characters


def pipe_row(cells: list[str]) -> str:
    """A table row as Markdown writes it ("| a | b |"), its cells' own "|" escaped: how every reader keeps tables."""
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


class DocumentError(ValueError):
    """A document that cannot be read; the message names the file and the problem."""


@dataclass
class Part:
    """One paragraph, heading or code block of cleaned text."""

    text: str
    kind: str = "para"  # "para" | "heading" | "code"
    level: int = 1  # heading depth, 1 = top
    page: int | None = None  # 1-based page where it starts (None: unpaginated)
    # (offset in text, page) where a later page begins inside this part (a paragraph across a page break)
    page_breaks: list[tuple[int, int]] = field(default_factory=list)

    @property
    def heading(self) -> bool:
        return self.kind == "heading"

    @property
    def page_end(self) -> int | None:
        return self.page_breaks[-1][1] if self.page_breaks else self.page

    def extend(self, text: str, page: int | None, sep: str = " ") -> None:
        """Append the continuation of this paragraph, which may come from a later page."""
        if page is not None and page != self.page_end:
            self.page_breaks.append((len(self.text) + len(sep), page))
        self.text += sep + text


def build_document(
    parts: list[Part], *, path: Path, sha256: str | None, title: str, authors: list[str] | tuple[str, ...],
    raw: str = "", page_count: int = 0, empty_pages: tuple[int, ...] = (), notes: tuple[str, ...] = (),
) -> Document:
    """The Document for cleaned parts: text is the parts joined by blank lines, typeset look-alikes of
    keyboard characters as typed (groff's "−−login" is searched and quoted as "--login")."""
    path = Path(path)
    title = keyboard_characters(title)
    parts = [replace(p, text=keyboard_characters(p.text)) for p in parts]  # one character for one: offsets hold
    texts, sections, page_starts, code_spans = [], [], [], []
    stack: list[tuple[int, str]] = []  # (level, title) of the open headings
    offset = 0
    for part in parts:
        if part.page is not None and (not page_starts or page_starts[-1][1] != part.page):
            page_starts.append((offset, part.page))
        for at, page in part.page_breaks:
            if not page_starts or page_starts[-1][1] != page:
                page_starts.append((offset + at, page))
        if part.heading:
            while stack and stack[-1][0] >= part.level:
                stack.pop()
            stack.append((part.level, part.text))
            sections.append([part.text, offset, part.page, part.page_end, tuple(t for _, t in stack), part.level])
        elif sections:
            sections[-1][3] = part.page_end if part.page_end is not None else sections[-1][3]
        if part.kind == "code":
            code_spans.append((offset, offset + len(part.text)))
        texts.append(part.text)
        offset += len(part.text) + 2
    digest = sha256 or hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return Document(
        path=str(path.resolve()), source=path.name, title=title, authors=tuple(authors), text="\n\n".join(texts),
        sections=tuple(Section(title=t, start=s, page=p, page_end=e, heading_path=hp, level=lv) for t, s, p, e, hp, lv in sections),
        sha256=digest, page_count=page_count, page_starts=tuple(page_starts), empty_pages=tuple(empty_pages),
        code_spans=tuple(code_spans), notes=tuple(notes),
    )


_NOT_NAME = re.compile(
    r"\b(university|universit\w+|department|institute|college|school|laboratory|laboratories|labs?|group|"
    r"consortium|inc|ltd|gmbh|corporation|company|email|abstract|keywords|introduction|version|"
    r"questions|frequently|guide|manual|tutorial|reference|research|center|centre|street|road)\b", re.I)


def split_names(text: str, strict: bool = False) -> list[str]:
    """'Josip Rodin and Osamu Aoki' -> ['Josip Rodin', 'Osamu Aoki']; placeholders and affiliations
    dropped. `strict`: every word capitalized, 2-5 words (a title-page line, not metadata)."""
    text = re.sub(r"\\?<[^<>]*\\?>", " ", text)  # e-mail or web address: "Name <https://...>", "Name \\<a at b\\>"
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("`_", "").replace("`", "")
    out = []
    for part in re.split(r"\s*(?:,|;|&|\band\b|\n)\s*", text):
        part = re.sub(r"^(by|the)\s+", "", part.strip(), flags=re.I).strip(" .")
        words = part.split()
        if (not words or len(words) > 6 or re.search(r"[\"()<>\[\]@\d{}]", part) or part.lower() in ("your name", "et al")
                or sum(c.isalpha() for c in part) < 2):
            continue
        if strict and not (2 <= len(words) <= 5 and all(_name_word(w) for w in words) and not _NOT_NAME.search(part)):
            continue
        out.append(part)
    return list(dict.fromkeys(out))


def _name_word(word: str) -> bool:
    return (word[0].isupper() and all(c.isalpha() or c in ".-'\u2019" for c in word)) or word in ("van", "von", "de", "da", "bin", "al", "ul")
