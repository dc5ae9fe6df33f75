"""Page-level PDF cleaning: repeated pages, running headers and footers, page numbers, tables of
contents. Works on the lines rag.ingest.pdf read, before they are grouped into blocks."""

from __future__ import annotations

import re
from collections import Counter

from rag.ingest.pdf import Block, Line, Page

PAGE_NO = re.compile(r"^(page\s*)?(\d{1,4}|[ivxlcdm]{1,7})(\s*(of|/)\s*\d{1,4})?$", re.I)
_NUMBERS = re.compile(r"\d+")
_PAGE_REF = r"(\d{1,4}|[ivxlc]{1,7})"
_LEADER = re.compile(rf"(?:\.\s?){{3,}}\s*{_PAGE_REF}$|\u2026\s*{_PAGE_REF}$", re.I)
_TOC_TITLE = re.compile(r"^(table of )?contents$|^list of (figures|tables|examples|listings)$", re.I)
_TOC_ENTRY = re.compile(rf"^((chapter|appendix|part)\s+)?([A-Z]|\d+(\.\d+)*|[A-Z](\.\d+)+)\.?\s+\S.*\s{_PAGE_REF}$", re.I)
# An unnumbered entry ("Glossary 47", "II Plotting styles 62": LaTeX's book class sets sections without
# leaders and their subsections with them); only read as one on a page that is already a contents page.
_TOC_PLAIN = re.compile(rf"^[^\W\d_][^.!?]{{0,80}}\s{_PAGE_REF}$")


def distinct(pages: list[Page]) -> list[Page]:
    """The pages that do not repeat an earlier page line for line, numbers aside (a deck's outline
    slide shown before each section): dropped before they can pass for running headers."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for p in pages:
        signature = tuple(_key(ln.text) for ln in p.lines)
        if len(signature) >= 3 and signature in seen:
            continue
        seen.add(signature)
        out.append(p)
    return out


def body_size(pages: list[Page]) -> float:
    sizes: Counter[float] = Counter()
    for p in pages:
        for ln in p.lines:
            sizes[round(ln.size, 1)] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


# --- running headers and footers, page numbers ------------------------------------

def running_lines(pages: list[Page]) -> set[tuple[int, int]]:
    """(page, line index) of running headers, footers and page numbers: the first and last two lines
    of a page that repeat, digits aside, on many pages, or sit at the same height as such lines."""
    threshold = max(3, round(0.15 * len(pages)))
    ends: list[tuple[int, int, Line, str]] = []  # (page, index, line, "top"|"bottom")
    for p in pages:
        n = len(p.lines)
        for i in sorted({0, 1, n - 2, n - 1}):
            if 0 <= i < n:
                ends.append((p.number, i, p.lines[i], "top" if i < 2 and (i < n - 2 or n <= 2) else "bottom"))
    keys: Counter[str] = Counter()
    for key in {(pg, _key(ln.text)) for pg, _i, ln, _e in ends}:
        keys[key[1]] += 1
    # Heights where many pages' first (last) line sits, and the first word most of those lines share.
    zones: dict[tuple[str, float], list[Line]] = {}
    for pg, i, ln, end in ends:
        if (end == "top" and i == 0) or (end == "bottom" and i == len(_page(pages, pg).lines) - 1):
            zones.setdefault((end, _zone(zones, end, ln.top)), []).append(ln)
    shared: dict[tuple[str, float], set[str]] = {}
    for zone, lines in zones.items():
        words = Counter(_first_word(ln.text) for ln in lines)
        if len(lines) >= threshold and words.most_common(1)[0][1] >= 0.5 * len(lines):
            shared[zone] = {w for w, c in words.items() if w and c >= 3}  # "CHAPTER 5. ...", "APPENDIX A. ..."
    # A header that carries the page number ("2.3. Registering as a Debian member 7"): its number
    # runs with the physical page, at the same offset on many pages.
    offsets: Counter[tuple[str, int]] = Counter()
    for end, off, _pg in {(end, _number_offset(pg, ln.text), pg) for pg, _i, ln, end in ends}:
        if off is not None:
            offsets[(end, off)] += 1  # pages, not lines
    drop = set()
    for pg, i, ln, end in ends:
        words = ln.text.split()
        if PAGE_NO.match(ln.text) or (len(words) <= 20 and len(pages) >= 3 and keys[_key(ln.text)] >= threshold):
            drop.add((pg, i))
        elif len(words) <= 15 and _first_word(ln.text) in shared.get((end, _zone(zones, end, ln.top)), ()):
            drop.add((pg, i))
        elif len(words) <= 15 and offsets[(end, _number_offset(pg, ln.text))] >= threshold:
            drop.add((pg, i))
    # A footer that PDFium put on the same line as the page's last words: cut it off the line's end.
    footers = [re.compile(r"\s+" + re.escape(k).replace("\\#", r"\d+").replace("#", r"\d+") + "$", re.I)
               for k, n in keys.items() if n >= threshold and len(pages) >= 3 and len(k) >= 8]
    for pg, i, ln, end in ends:
        if end == "bottom" and (pg, i) not in drop:
            for pattern in footers:
                ln.text = pattern.sub("", ln.text)
    return drop


def _zone(zones: dict, end: str, top: float) -> float:
    """The height of the zone (within 2.5 pt) a line at `top` belongs to, or its own."""
    return next((y for e, y in zones if e == end and abs(y - top) <= 2.5), top)


def _number_offset(page: int, text: str) -> int | None:
    """Physical page minus the page number a header or footer line starts or ends with."""
    m = re.search(r"(?:^|\s)(\d{1,4})$", text) or re.match(r"^(\d{1,4})\s", text)
    return page - int(m.group(1)) if m else None


def _page(pages: list[Page], number: int) -> Page:
    return next(p for p in pages if p.number == number)


def _key(text: str) -> str:
    return _NUMBERS.sub("#", text.lower()).strip()


def _first_word(text: str) -> str:
    m = re.match(r"\W*([^\W\d_]{2,})", text)
    return m.group(1).lower() if m else ""


# --- tables of contents, repeated slides -------------------------------------------

def drop_toc(pages: list[Page], kept: dict[int, list[Line]]) -> None:
    """Empty the table-of-contents pages: most lines have dot leaders or end in a page number."""
    previous_toc = False
    for p in pages:
        lines = kept[p.number]
        leaders = sum(bool(_LEADER.search(ln.text)) for ln in lines)
        entries = sum(bool(_LEADER.search(ln.text) or _TOC_ENTRY.match(ln.text)) for ln in lines)
        titled = any(_TOC_TITLE.match(ln.text.strip()) for ln in lines[:3])
        # the contents' last entries can be alone on the next page (fhs-3.0.pdf: one line)
        toc = leaders >= 3 or (titled and entries >= 3) or (previous_toc and entries >= max(1, 0.5 * len(lines)))
        if toc:
            rest = [ln for ln in lines if not (_LEADER.search(ln.text) or _TOC_ENTRY.match(ln.text) or _TOC_PLAIN.match(ln.text.strip())
                                               or _TOC_TITLE.match(ln.text.strip()))]
            kept[p.number] = [] if len(rest) <= 0.3 * len(lines) else rest
        previous_toc = toc


def drop_repeated_pages(blocks: dict[int, list[Block]]) -> None:
    """A page that repeats an earlier one (a deck's outline slide) and a slide that the next one
    shows again with more on it (an overlay step) are dropped."""
    seen: set[str] = set()
    numbers = sorted(blocks)
    for k, n in enumerate(numbers):
        texts = [b.text for b in blocks[n]]
        signature = "\n".join(texts)
        if len(signature) > 10 and signature in seen:
            blocks[n] = []
            continue
        seen.add(signature)
        if k + 1 < len(numbers) and texts:
            following = {b.text for b in blocks[numbers[k + 1]]}
            if len(following) > len(set(texts)) and set(texts) <= following:
                blocks[n] = []
