"""Reading a PDF's text layer with pypdfium2 (PDFium): each page's lines with their position, font
size and style, page by page (pdf_blocks.py groups them into paragraphs, headings, code, list items).

PDFium puts the spaces between words itself from the glyph positions, so text layers with no space
characters (debmake-doc.pdf) come out as words; see docs/pdf-parsers.md for the comparison with
pypdf and pdfminer.six. Cleaning (running headers, tables of contents, footers) is pdf_cleaning.py.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.assemble import pipe_row
from rag.language import compose_accents

_LOCK = threading.Lock()  # PDFium is not thread-safe: one document at a time in this process
_BULLETS = "\u25b6\u25ba\u2022\u25e6\u25aa\u25a0\u25cf\u25cb\u2023\u2043\u27a2\u2219\u00b7\u25b8\u25b9\u2013\u2014\u2794\u27a4\u2713\u2714\u2605\u2606"
BULLET = re.compile(rf"^[{_BULLETS}\uf0a7\uf0b7\uf06c\uf0d8\uf0e8](?:\s+|(?=[A-Za-z0-9\"'(]))")
_BOLD_NAME = re.compile(r"(?i:bold|black|heavy|demi|cmbx|cmb\d)|(?:TB|-B|Bd|BdIt)$")
_MONO_NAME = re.compile(r"mono|courier|typewriter|consol|cmtt|lmtt|tt\d|inconsolata|menlo|fixed|code", re.I)


_LOAD_ERRORS = {2: "the file could not be opened", 3: "damaged: no cross-reference table, trailer or page tree PDFium "
                "can rebuild", 4: "needs a password", 5: "unsupported security handler"}  # FPDF_GetLastError()


class PdfReadFailure(Exception):
    """The PDF could not be opened; `encrypted` when it wants a password."""

    def __init__(self, message: str, encrypted: bool = False):
        super().__init__(message)
        self.encrypted = encrypted


@dataclass
class Line:
    text: str
    x0: float
    bottom: float
    x1: float
    top: float
    size: float  # font size of most of its characters, in points
    bold: bool
    mono: bool
    cells: tuple[tuple[float, str], ...] = ()  # (left x, text) of the parts a wide gap separates, when there are two or more


@dataclass
class Block:
    """Lines that belong together on one page: a paragraph, a heading, a list item or code."""

    lines: list[Line]
    page: int  # 1-based physical page

    @property
    def size(self) -> float:
        return max(ln.size for ln in self.lines)

    @property
    def bold(self) -> bool:
        return all(ln.bold for ln in self.lines)

    @property
    def mono(self) -> bool:
        return all(ln.mono for ln in self.lines)

    @property
    def top(self) -> float:
        return self.lines[0].top

    @property
    def bottom(self) -> float:
        return self.lines[-1].bottom

    @property
    def rows(self) -> list[list[str]] | None:
        """The block's lines as table rows, when it is a two-column table: each row a term, a wide gap and its
        description at one left edge (a reference card's "C-k    kill to the end of the line"); a line
        that starts at the description's edge continues the row above. None for any other block."""
        split = [ln for ln in self.lines if len(ln.cells) == 2]
        if self.mono or len(split) < 2:
            return None
        size = max(statistics.median(ln.size for ln in self.lines), 1.0)
        edge = statistics.median(ln.cells[1][0] for ln in split)
        rows: list[list[str]] = []
        for ln in self.lines:
            if len(ln.cells) == 2 and abs(ln.cells[1][0] - edge) <= 0.5 * size:
                rows.append([ln.cells[0][1], ln.cells[1][1]])
            elif not ln.cells and rows and edge - 0.5 * size <= ln.x0 <= edge + 3 * size:
                # the description of a term on a line of its own, or the next line of a description
                rows[-1][1:] = [join_lines([*rows[-1][1:], ln.text])]
            elif not ln.cells and ln.x0 < edge - 2 * size:
                rows.append([ln.text])  # a term too long for the gap, or a line of the table's own
            else:
                return None
        return rows if sum(len(r) == 2 for r in rows) * 3 >= 2 * len(rows) else None

    @property
    def text(self) -> str:
        rows = self.rows
        if rows is not None:  # as pipe-table rows, as HTML and Markdown tables are kept
            return "\n".join(pipe_row(r) if len(r) > 1 else r[0] for r in rows)
        if self.mono and len(self.lines) > 1:  # code: keep the lines and their indentation
            left = min(ln.x0 for ln in self.lines)
            width = statistics.median(ln.size for ln in self.lines) * 0.6 or 6.0
            return "\n".join(" " * max(0, round((ln.x0 - left) / width)) + ln.text for ln in self.lines)
        return join_lines([ln.text for ln in self.lines])


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line]
    images: int  # images covering half the page or more: with no text, the page is a scan


@dataclass
class PdfContent:
    pages: list[Page]
    title: str  # /Title from the document information dictionary ("" when absent)
    author: str  # /Author
    outline: list[tuple[int, str, int]]  # bookmarks: (level from 0, title, 1-based page)


def join_lines(lines: list[str]) -> str:
    """A paragraph's lines as one string; a word hyphenated at a line end is put back together."""
    out = ""
    for ln in lines:
        if not out:
            out = ln
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and ln[:1].islower():
            out = out + ln  # "multi-" + "binary": the hyphen is kept, PDFium already removed soft ones
        else:
            out += " " + ln
    return out


def read_pdf(path: Path, data: bytes, progress: Callable[[int, int], None] | None = None) -> PdfContent:
    """Every page's lines, the metadata and the outline; PdfReadFailure if it can't.

    Pages are read one at a time and closed (no page object or bitmap is kept, only the text lines),
    and `progress(page, pages)` is called after each."""
    import pypdfium2 as pdfium

    with _LOCK:
        with contextlib.suppress(pdfium.PdfiumError):
            pdfium.PdfDocument(b"%")  # some failed loads leave PDFium's last error as it was: make it a known one
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            code = pdfium.raw.FPDF_GetLastError()
            raise PdfReadFailure(_LOAD_ERRORS.get(code, _LOAD_ERRORS[3]), encrypted=code == pdfium.raw.FPDF_ERR_PASSWORD) from None
        try:
            meta = pdf.get_metadata_dict()
            pages = []
            for i in range(len(pdf)):
                pages.append(_read_page(pdf, i))
                if progress is not None:
                    progress(i + 1, len(pdf))
            _hyphens(pages)
            outline = []
            try:
                for item in pdf.get_toc(max_depth=6):
                    dest = item.get_dest()
                    index = dest.get_index() if dest is not None else None
                    if index is not None:
                        outline.append((item.level, item.get_title().strip(), index + 1))
            except pdfium.PdfiumError:
                outline = []
        finally:
            pdf.close()
    return PdfContent(pages=pages, title=(meta.get("Title") or "").strip(), author=(meta.get("Author") or "").strip(), outline=outline)


def _read_page(pdf, index: int) -> Page:
    import pypdfium2.raw as raw

    page = pdf[index]
    try:
        width, height = page.get_size()
        images = _page_images(raw, page.raw, width * height)
        textpage = page.get_textpage()
        try:
            lines = _lines(textpage.raw)
        finally:
            textpage.close()
    finally:
        page.close()
    return Page(number=index + 1, width=width, height=height, lines=lines, images=images)


def _page_images(raw, page, area: float) -> int:
    """Images covering half the page or more: what a scanned page is made of (not a logo or figure)."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    count = 0
    for i in range(raw.FPDFPage_CountObjects(page)):
        obj = raw.FPDFPage_GetObject(page, i)
        if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_IMAGE and raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            count += (right.value - left.value) * (top.value - bottom.value) >= 0.5 * area
    return count


def _lines(tp) -> list[Line]:
    """The page's characters as PDFium orders them, cut into lines at its generated line breaks."""
    import pypdfium2.raw as raw

    box, loose, textobj, fontsize = (raw.FPDFText_GetCharBox, raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetTextObject,
                                     raw.FPDFText_GetFontSize)
    count = raw.FPDFText_CountChars(tp)
    codes = (ctypes.c_ushort * (count + 1))()  # the page's UTF-16 units in one call, one per character
    raw.FPDFText_GetText(tp, 0, count, codes)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    cell = raw.FS_RECTF()
    advance = (0.0, 0.0)  # (right edge, bottom) of the previous character's advance box on this line
    fonts: dict[int, tuple[bool, bool]] = {}
    lines: list[Line] = []
    chars: list[tuple[str, float, float, float, float, float, bool, bool]] = []
    for i in range(count):
        code = codes[i] if codes[i] != 0xFFFE else 2  # GetText gives PDFium's hyphen mark \x02 as U+FFFE
        if code == 10 or code == 13:
            if chars:
                lines.append(_line(chars))
                chars = []
            continue
        if not 0 < code < 0x110000:
            continue
        ch = chr(code)
        if ch.isspace():  # PDFium's generated characters are spaces and line breaks
            if chars and chars[-1][0] != " ":
                chars.append((" ", 0, 0, 0, 0, 0, False, False))
            continue
        size = fontsize(tp, i)
        loose(tp, i, cell)
        if chars and chars[-1][0] != " " and _word_gap(chars[-1][0], ch, cell.left - advance[0], cell.bottom - advance[1], size):
            chars.append((" ", 0, 0, 0, 0, 0, False, False))  # PDFium put no space where the glyphs leave one
        advance = (cell.right, cell.bottom)
        box(tp, i, left, right, bottom, top)
        obj = textobj(tp, i)
        key = ctypes.addressof(obj.contents) if obj else 0
        style = fonts.get(key)
        if style is None:
            style = fonts[key] = _font_style(raw, obj) if key else (False, False)
        chars.append((ch, left.value, bottom.value, right.value, top.value, size, *style))
    if chars:
        lines.append(_line(chars))
    return [ln for ln in lines if ln.text]


def _word_gap(before: str, ch: str, gap: float, rise: float, size: float) -> bool:
    """Whether the space between two glyphs on a line is a word space: at least 0.15 em between their
    advance boxes (letters in a word sit within 0.1 em; measured on the manuals' PDFs), on the same
    baseline, and not before closing or after opening punctuation."""
    return (size > 0 and gap >= 0.15 * size and abs(rise) < 0.3 * size
            and ch not in ".,;:!?)]}\u2019\u201d\u2026" and before not in "([{\u2018\u201c/")


SOFT_HYPHEN, _SPLIT_WORD = "\u00ad", re.compile(r"([^\W\d_]+)\u00ad([^\W\d_]+)")


def _hyphens(pages: list[Page]) -> None:
    """Words hyphenated at a line end, joined (`tech-nique` -> `technique`) unless the document
    writes them with the hyphen elsewhere, or both halves are words of its own and the whole is not
    (`update-alternatives`, a command split over two lines of a table cell)."""
    vocabulary = {w.lower() for p in pages for ln in p.lines
                  for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", _SPLIT_WORD.sub(" ", ln.text))}

    def decide(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        hyphenated, joined = f"{a}-{b}".lower(), f"{a}{b}".lower()
        keep = hyphenated in vocabulary or (joined not in vocabulary and len(b) >= 3 and a.lower() in vocabulary
                                            and b.lower() in vocabulary)
        return f"{a}-{b}" if keep else a + b

    for p in pages:
        for ln in p.lines:
            if SOFT_HYPHEN in ln.text:
                ln.text = _SPLIT_WORD.sub(decide, ln.text).replace(SOFT_HYPHEN, "")


def _font_style(raw, obj) -> tuple[bool, bool]:
    """(bold, monospaced) for a text object's font, from its name and flags."""
    font = raw.FPDFTextObj_GetFont(obj)
    if not font:
        return False, False
    buf = ctypes.create_string_buffer(256)
    n = raw.FPDFFont_GetBaseFontName(font, buf, 256)
    name = buf.raw[: max(0, n - 1)].decode("latin-1", "replace") if n else ""
    flags = raw.FPDFFont_GetFlags(font)
    bold = bool(_BOLD_NAME.search(name)) or bool(flags & (1 << 18))  # the weight field is unreliable
    mono = bool(_MONO_NAME.search(name)) or bool(flags & 1)
    return bold, mono


def _line(chars) -> Line:
    """One line from its characters: superscript digits (footnote marks) dropped, \\x02 hyphens joined, and
    its cells when a wide gap cuts it in two (a table row)."""
    real = [c for c in chars if c[0] != " "]
    sizes = sorted(c[5] for c in real)
    size = sizes[len(sizes) // 2] if sizes else 0.0
    base = sorted(c[2] for c in real if c[0].isalnum())
    baseline = base[len(base) // 2] if base else 0.0
    out: list[str] = []
    cuts: list[tuple[int, float]] = []  # (where in `out` a cell starts, its left edge)
    right = None  # the right edge of the last glyph
    for k, (ch, x0, y0, x1, _y1, sz, _b, _m) in enumerate(chars):
        if ch == "\x02":  # PDFium's mark for a hyphen it took off a line end
            nxt = next((c[0] for c in chars[k + 1 :] if c[0] != " "), "")
            before = out[-1] if out else ""
            # "tech-nique", "IM-PLIED": a soft hyphen, decided with the whole document's words (_hyphens)
            out.append(SOFT_HYPHEN if nxt.islower() or (nxt.isupper() and before.isupper()) else "-")
            continue
        if (ch.isdigit() or ch in "*\u2217\u2020\u2021") and size and sz < 0.8 * size and y0 > baseline + 0.25 * size:
            prev = "".join(out).rstrip()[-1:]
            if prev and not prev.isdigit():
                continue  # a footnote mark glued to a word: ".RData5" -> ".RData"
        if ch != " ":
            if right is not None and size and x0 - right >= CELL_GAP * size:
                cuts.append((len(out), x0))
            right = x1
        out.append(ch)
    left = min((c[1] for c in real), default=0.0)
    cells = [(left, _text(out[:cuts[0][0]])), (cuts[0][1], _text(out[cuts[0][0]:]))] if len(cuts) == 1 else []
    n = max(1, len(real))
    return Line(
        text=_text(out), x0=left, bottom=min((c[2] for c in real), default=0.0),
        x1=max((c[3] for c in real), default=0.0), top=max((c[4] for c in real), default=0.0), size=size,
        bold=sum(c[6] for c in real) * 2 > n, mono=sum(c[7] for c in real) >= 0.9 * n,
        cells=tuple(cells) if all(t for _, t in cells) else (),
    )


# A gap this wide (in ems) between two glyphs of a line separates table cells: justified prose stretches its
# spaces to about 1 em (measured on the manuals' PDFs); a reference card's term and description sit 1.5-5 em apart.
CELL_GAP = 1.5


def _text(chars: list[str]) -> str:
    text = "".join(chars).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")  # 𝑥 comes as a surrogate pair
    return compose_accents(re.sub(r"\s+", " ", text).strip())
