"""A PDF's pages of lines (rag.ingest.pdf) cleaned into a Document that knows each block's page.

Dropped: running headers and footers (a line at the top or bottom of many pages that is the same
but for its numbers, or sits where such lines sit and starts the same way), page numbers, `N / M`
slide footers, tables of contents (dot leaders, entries ending in page numbers on a contents page),
slides repeated whole (a deck's outline slide) and overlay steps, bullet glyphs at line starts.
Kept apart: headings (from the PDF's bookmarks, numbering and font size), code (monospaced lines).
Rejoined: a paragraph broken by a page or column break. Title and authors come from the PDF's
metadata when it has plausible ones, else from the title page's largest lines.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rag.domain import Document
from rag.ingest.assemble import DocumentError, Part, build_document, split_names
from rag.ingest.pdf import BULLET, Block, Line, Page, PdfContent
from rag.ingest.pdf_blocks import group_blocks
from rag.ingest.pdf_pages import PAGE_NO, body_size, distinct, drop_repeated_pages, drop_toc, running_lines

_NUMBERED = re.compile(r"^(\d{1,2}(\.\d{1,3})*|[A-Z](\.\d{1,3})+)\.?\s+[^\W\d_]")
_LABEL = re.compile(r"^(chapter|appendix|part)\s+([0-9]{1,3}|[A-Z]|[IVXLC]{1,6})\.?$", re.I)
_VERSION_DATE = re.compile(
    r"^(version|release|revision|edition|draft|v\d)\b|\b(19|20)\d\d-\d\d-\d\d\b|^\w+ \d{1,2}, (19|20)\d\d$|"
    r"^\d{1,2} \w+ (19|20)\d\d$|^(19|20)\d\d$", re.I)
_TERMINAL = (".", "?", "!", ":", ";", '"', "\u201d", ")")
_FRONT_END = re.compile(r"^(abstract|keywords|introduction|contents|table of contents|summary|preface)\b", re.I)
_BAD_TITLE = re.compile(r"^(untitled|microsoft (word|powerpoint)|document\d*|slide \d+|title)\b|\.(docx?|pptx?|pdf|tex|dvi|indd|odt)$", re.I)


def pdf_document(content: PdfContent, *, path: Path, sha256: str | None) -> Document:
    """The cleaned Document for a read PDF; DocumentError when no page has a text layer."""
    path = Path(path)
    pages = content.pages
    text_pages = [p for p in pages if p.lines]
    scanned = tuple(p.number for p in pages if not p.lines and p.images)
    if not text_pages:
        raise DocumentError(
            f"{path.name}: the PDF has no extractable text ({len(scanned) or len(pages)} of {len(pages)} pages "
            "are images, scanned?); OCR is not available")
    text_pages = distinct(text_pages)
    body = body_size(text_pages)
    running = running_lines(text_pages)
    kept = {p.number: [ln for i, ln in enumerate(p.lines) if (p.number, i) not in running] for p in text_pages}
    drop_toc(text_pages, kept)
    blocks = {p.number: group_blocks(p, kept[p.number]) for p in text_pages}
    drop_repeated_pages(blocks)
    title, title_lines = _title(content, text_pages[0], body)
    authors = _authors(content.author, text_pages[0], title_lines)
    deck = sum(p.width > p.height for p in text_pages) >= 0.8 * len(text_pages)
    front = {title, *(ln.text for ln in title_lines), *authors}  # the title page's big type: not sections
    front |= {b.text for b in blocks[text_pages[0].number] if split_names(b.text, strict=True)
              and set(split_names(b.text, strict=True)) <= set(authors)}
    parts = _parts([b for p in text_pages for b in blocks[p.number]], content.outline, body, deck, front)
    if not parts:
        raise DocumentError(f"{path.name}: no text left after cleaning")
    notes = ()
    if scanned:
        notes = (f"{len(scanned)} of {len(pages)} pages have no text layer (scanned images?); "
                 "OCR is not available, so their text is missing",)
    return build_document(parts, path=path, sha256=sha256, title=title or path.stem.replace("_", " "), authors=authors,
                          page_count=len(pages), empty_pages=scanned, notes=notes)


# --- title and authors --------------------------------------------------------------

def _title(content: PdfContent, first: Page, body: float) -> tuple[str, list[Line]]:
    """(title, the title page's title lines): the metadata /Title when plausible, else the largest
    lines at the head of the first page, stopping before a version or date line."""
    lines = first.lines
    big = max((ln.size for ln in lines[:15]), default=0.0)
    title_lines: list[Line] = []
    if big > body * 1.1:
        start = next(i for i, ln in enumerate(lines[:15]) if ln.size == big)
        for ln in lines[start : start + 4]:
            if abs(ln.size - big) > 0.5 or _VERSION_DATE.search(ln.text):
                break
            title_lines.append(ln)
    meta = re.sub(r"\s+", " ", content.title).strip()
    if _plausible_title(meta):  # the title page's big lines count as the title only if they are it
        said = _norm_text(meta)
        return meta, [ln for ln in title_lines if _norm_text(ln.text) and _norm_text(ln.text) in said]
    text = re.sub(r"\s+", " ", " ".join(ln.text for ln in title_lines)).strip()
    if _plausible_title(text):
        return text, title_lines
    for ln in lines[:10]:  # no bigger type: the first line that reads like a title
        if 2 <= len(ln.text.split()) <= 20 and not PAGE_NO.match(ln.text) and not _VERSION_DATE.search(ln.text):
            return ln.text, [ln]
    return "", []


def _norm_text(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _plausible_title(text: str) -> bool:
    return 2 <= len(text) <= 250 and sum(c.isalpha() for c in text) >= 2 and not _BAD_TITLE.search(text)


def _authors(meta: str, first: Page, title_lines: list[Line]) -> list[str]:
    """Names from the metadata /Author when present, else from the title page: the lines after the
    title, the largest type first (names are set larger than affiliations)."""
    meta = re.sub(r"\s+", " ", meta).strip()
    if "@" in meta:  # "Lucas Nussbaumpackaging-tutorial@packages.debian.org": the name is a title-page line
        prefixes = [ln.text for ln in first.lines if len(ln.text) >= 4 and meta.startswith(ln.text)]
        meta = max(prefixes, key=len) if prefixes else re.sub(r"\S*@\S*", "", meta)
    names = split_names(meta)
    if names or not title_lines:  # no title set in large type: no title page to read names from
        return names
    start = first.lines.index(title_lines[-1]) + 1
    candidates = []
    for ln in first.lines[start : start + 30]:
        if _FRONT_END.match(ln.text) or len(ln.text.split()) > 25:
            break
        candidates.append(ln)
    for size in sorted({round(ln.size, 1) for ln in candidates}, reverse=True):
        found = [n for ln in candidates if round(ln.size, 1) == size for n in split_names(ln.text, strict=True)]
        if found:
            return list(dict.fromkeys(found))
    return []


# --- blocks into parts ----------------------------------------------------------------

class _Mark:
    """A bookmark: its title's forms, level, page, and whether a block on the page was matched to it."""

    def __init__(self, level: int, title: str, page: int):
        self.level, self.title, self.page, self.forms, self.used = level, title, page, _norm(title), False


def _parts(blocks: list[Block], outline: list[tuple[int, str, int]], body: float, deck: bool,
           front_text: set[str]) -> list[Part]:
    marks: dict[int, list[_Mark]] = {}
    for level, title, page in outline:
        if title:
            marks.setdefault(page, []).append(_Mark(level, title, page))
    big_sizes = Counter(round(b.size) for b in blocks if b.size >= body * 1.15)
    sizes = sorted((s for s, n in big_sizes.items() if n >= 2), reverse=True)  # the title's size is used once
    parts: list[Part] = []
    open_part: Part | None = None  # a body paragraph that stopped mid-sentence (page or column break)
    open_code = False  # the open paragraph ends in a line of monospaced type
    label: str | None = None  # "Chapter 2" waiting for its heading
    items: set[int] = set()  # the parts that are list items
    top_of_page: dict[int, Block] = {}
    for b in blocks:
        top_of_page.setdefault(b.page, b)
    words = {w.lower() for b in blocks for ln in b.lines for w in re.findall(r"[^\W\d_]+", ln.text)}  # the document's own
    for b in blocks:
        text = b.text.strip()
        bullet = BULLET.match(text)
        if bullet:
            text = text[bullet.end():].strip()
        if not text:
            continue
        if (b.mono and (len(b.lines) > 1 or re.match(r"^(\$|#|>|R>|%)\s", text))) or b.rows is not None:
            parts.append(Part(text, "code", page=b.page))
            open_part = None
            continue
        small = b.size < 0.95 * body  # footnote type
        if (len(text) == 1 and not text.isalnum()) or (text.isdigit() and len(text) <= 2 and small):
            continue  # a "*" bullet set apart from its item, a footnote's mark set apart from its note
        level = None
        if not bullet and len(b.lines) <= 3 and text not in front_text:
            level = _heading_level(b, text, marks, body, deck, sizes, top_of_page)
        if level is not None:
            if _LABEL.match(text):
                label = text
                continue
            parts.append(Part(f"{label}: {text}" if label else text, "heading", level=level, page=b.page))
            label, open_part = None, None
            continue
        if label:
            parts.append(Part(label, "para", page=b.page))
            label = None
        # After a command set on its own line, only body text starting in lowercase goes on with the sentence
        # ("... ls()}" then "then fun() returns ..."): not a footnote's address, nor the next page's paragraph.
        if (open_part is not None and not bullet and (not open_code or (text[:1].islower() and not small))
                and _continues(open_part, text, b.page, id(open_part) in items)):
            if (m := _BROKEN.search(open_part.text)) and (m.group(1) + text.split(" ", 1)[0]).lower().rstrip(".,;:)") in words:
                open_part.text = open_part.text[:-1]  # "al-" at a page's end, "though" on the next: "although"
                open_part.extend(text, b.page, sep="")
            else:
                open_part.extend(text, b.page)
            current = open_part
        else:
            current = Part(text, "para", page=b.page)
            parts.append(current)
            if bullet:
                items.add(id(current))
        if not small:  # footnotes leave the paragraph they interrupt open
            open_part = None if current.text.endswith(_TERMINAL) or len(current.text) < 40 else current
            open_code = b.mono
    return _with_missing_bookmarks(parts, marks)


def _with_missing_bookmarks(parts: list[Part], marks: dict[int, list[_Mark]]) -> list[Part]:
    """Bookmarks matched by no block, on a page where no heading was found (a deck's section title on
    the outline slide that was dropped as a repeat), become headings at the start of their page."""
    found = {p.page for p in parts if p.heading}
    missing = sorted((m for ms in marks.values() for m in ms if not m.used and m.page not in found),
                     key=lambda m: m.page)
    if not missing:
        return parts
    out: list[Part] = []
    k = 0
    for part in parts:
        while k < len(missing) and part.page is not None and part.page >= missing[k].page:
            out.append(Part(missing[k].title, "heading", level=missing[k].level + 1, page=part.page))
            k += 1
        out.append(part)
    return out


# A word hyphenated at the end of a page or column; it is joined only when the document writes it whole.
_BROKEN = re.compile(r"(?<![\w-])([^\W\d_]{2,})-$")


def _continues(prev: Part, text: str, page: int, item: bool) -> bool:
    if text[:1].islower():
        return True
    return not item and page != prev.page_end and not _NUMBERED.match(text) and len(text.split()) > 8


def _heading_level(b: Block, text: str, marks, body: float, deck: bool, sizes: list[int], top: dict[int, Block]) -> int | None:
    words = text.split()
    if not (1 <= len(words) <= 30 and len(text) <= 200 and sum(c.isalpha() for c in text) >= 2) or "://" in text:
        return None
    level = _outline_level(b, text, marks)
    if level is not None:
        return level
    if len(words) > 20 and not _NUMBERED.match(text):
        return None
    if text[:1].islower() or text.endswith((".", ",", ";", ":")):
        return None
    big = b.size >= body * 1.15
    if _LABEL.match(text) and big:
        return 1
    numbered = _NUMBERED.match(text)
    if numbered and marks and "." not in numbered.group(1):
        numbered = None  # with bookmarks, a top-level heading is one of them: "1. set up ..." is a list item
    if numbered and (b.size >= body * 1.1 or b.bold):
        return numbered.group(1).count(".") + 1
    if deck and big and top.get(b.page) is b:
        return 2 if marks else 1  # a slide's title, under the deck's sections
    if not marks and big and len(words) <= 12:
        return (sizes.index(round(b.size)) + 1) if round(b.size) in sizes else 1
    if not marks and b.bold and b.size >= body * 0.95 and len(b.lines) == 1 and len(words) <= 6 and text[:1].isupper():
        return len(sizes) + 1
    return None


def _outline_level(b: Block, text: str, marks: dict[int, list[_Mark]]) -> int | None:
    """The bookmark level + 1 when an unused bookmark on this page (or next to it) has this block's words."""
    forms = _norm(text)
    for page in (b.page, b.page - 1, b.page + 1):
        for m in marks.get(page, ()):
            if not m.used and any(t == f or (len(t) >= 12 and f.startswith(t) and len(f) <= 1.3 * len(t) + 5)
                                  for t in m.forms for f in forms):
                m.used = True
                return m.level + 1
    return None


def _norm(text: str) -> set[str]:
    """A heading's letters and digits, with and without its number ("7.13 3.0 source format")."""
    bare = re.sub(r"^((chapter|appendix|part|section)\s+)?([0-9]+(\.[0-9]+)*|[A-Z](\.[0-9]+)*)\.?\s+", "", text.strip(), flags=re.I)
    return {n for n in (re.sub(r"[\W_]+", "", t.lower()) for t in (text, bare)) if n}
