"""Reading documents (.txt, .md, .rst, .adoc, .html, .pdf) into cleaned text with sections: `read_document(path)`.

PDFs are read page by page with PDFium (rag.ingest.pdf, pdf_cleaning), so every section and chunk
knows its pages. Markdown and reStructuredText keep their headings and code blocks
(rag.ingest.markdown), and so do HTML pages (rag.ingest.html). Other text (PDF-to-text output) is cleaned by rag.ingest.cleaning: running
headers and page numbers removed, paragraphs broken by a page break rejoined, headings guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from rag.domain import Document
from rag.ingest.assemble import DocumentError, Part, build_document, split_names
from rag.ingest.cleaning import (  # noqa: F401  (strip_markdown is part of this module's interface)
    _FOOTNOTE, _HEADING_MD, _PAGE_NO, _TERMINAL, _blocks, _continues, _find_authors, _find_title, _inline,
    _is_heading, _normalize, _repeated_headers, strip_markdown,
)
from rag.ingest.asciidoc import looks_like_asciidoc, parse_asciidoc
from rag.ingest.html import parse_html
from rag.ingest.markdown import parse_markup

SUPPORTED = {".txt", ".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".html", ".htm", ".pdf"}
KINDS = ".txt, .md, .rst, .adoc, .html or .pdf"  # how an error message names them
# Bump when cleaning changes what text a file yields, so indexes are rebuilt. 2: PDFs read with PDFium
# page by page (pages, headings from bookmarks, contents pages and footers dropped); markdown/reST
# headings and code blocks recognized. 3: PDF words spaced where the glyphs leave a gap PDFium fills
# with no space; line-end hyphens kept in compounds (update-alternatives); a contents page's last
# entries alone on the next page and lone `*` bullet marks dropped; a chunk's page_end is the latest
# page it covers. 5: HTML pages read, and HTML blocks in Markdown read as text (tables as pipe-table lines).
# 6: a Markdown code fence opening a list item ("- ```") is code, so the fences after it pair.
# 7: text drawn in an ASCII box (a row of asterisks above and below, "*" at both ends of each line) unframed.
# 8: typeset look-alikes read as typed: the minus sign and Unicode hyphens as "-", the small tilde as "~".
# 9: a PDF's tagged list (a short term alone on its line, its description indented below) is a block per item.
# 10: HTML footnote marks dropped from the running text, each note opened by "Note 5:"; Publican's Prev/Next bars dropped.
# 11: a PDF's TeX spacing accents joined to their letter ("Br¨oker" -> "Bröker"); a contents page's unnumbered entries dropped.
# 12: Markdown's HTML comments, link reference definitions and "> " marks dropped, [text][] read as text;
#     an HTML "header" that opens with the page's <h1> (AsciiDoc's title and NAME) kept; a <dd> opens with its <dt>s.
# 13: an HTML banner ("Download the ebook") dropped.
# 14: a PDF's two-column table (a term, a wide gap, its description) read as pipe-table rows, not one run-on
#     paragraph; Texinfo's definition lines without their "¶" anchor and empty ": " category.
# 15: a DocBook admonition's layout table (summary="Note") read as a paragraph opening "Note: ".
# 16: a PDF word hyphenated across a page or column break joined when the document writes it whole.
# 17: reST comments, anonymous targets, footnote marks and references by name render as nothing.
# 18: a PDF command line set on its own ends there (a footnote's address or the next page's paragraph no longer
#     continues it); a footnote's mark set apart from its note dropped.
# 19: an HTML list whose items are only links to places on the page (a FAQ's questions) is a table of contents,
#     dropped, with the headings it leaves empty.
# 20: HTML: a power written with <sup> after a digit reads "2^31", a short bold paragraph that is no sentence is a
#     heading (captions aside), a site's menu and tagline are furniture.
# 21: AsciiDoc (.adoc, and .txt written in it) read as AsciiDoc, not as reST (rag.ingest.asciidoc).
CLEANING_VERSION = 21


# --- reading ---------------------------------------------------------------

def read_document(path: Path, progress: Callable[[int, int], None] | None = None) -> Document:
    """Read and clean one file, or raise DocumentError saying why it can't be. For a PDF,
    `progress(page, pages)` is called as each page is read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise DocumentError(f"{path.name}: unsupported type {suffix or '(none)'}; use {KINDS}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"{path.name}: cannot read ({e.strerror or e})") from None
    if suffix == ".pdf":
        return _pdf_document(path, data, progress)
    if suffix in (".html", ".htm"):
        raw = _decode_html(path, data)
        return _markup_document(parse_html(raw), raw, path, hashlib.sha256(data).hexdigest())
    raw = _decode_text(path, data)
    return parse_document(raw, path=path, sha256=hashlib.sha256(data).hexdigest())


def _decode_text(path: Path, data: bytes) -> str:
    if not data.strip():
        raise DocumentError(f"{path.name}: the file is empty")
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path.name}: looks binary (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{path.name}: not valid UTF-8 text (byte {e.start}); convert it to UTF-8") from None


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)


def _decode_html(path: Path, data: bytes) -> str:
    """An HTML page's text in the charset its <meta> declares when it is not UTF-8 (older pages
    are often ISO-8859-1)."""
    try:
        return _decode_text(path, data)
    except DocumentError:
        m = _CHARSET.search(data[:4096])
        if not m or b"\x00" in data[:8192]:
            raise
        try:
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            raise DocumentError(f"{path.name}: not valid {m.group(1).decode('ascii')} text, as its <meta> says") from None


def _pdf_document(path: Path, data: bytes, progress: Callable[[int, int], None] | None = None) -> Document:
    """A PDF read with PDFium page by page and cleaned (rag.ingest.pdf, rag.ingest.pdf_cleaning)."""
    if not data.startswith(b"%PDF-"):
        raise DocumentError(f"{path.name}: not a PDF (no %PDF header)")
    from rag.ingest.pdf import PdfReadFailure, read_pdf
    from rag.ingest.pdf_cleaning import pdf_document

    failed: list[BaseException] = []  # the progress callback's own error is not the file's

    def report(page: int, pages: int) -> None:
        try:
            progress(page, pages)
        except BaseException as e:
            failed.append(e)
            raise

    try:
        content = read_pdf(path, data, report if progress else None)
    except PdfReadFailure as e:
        if e.encrypted:
            raise DocumentError(f"{path.name}: encrypted PDF (needs a password); save a decrypted copy and add that") from None
        raise DocumentError(f"{path.name}: corrupt PDF ({e})") from None
    except Exception as e:  # PDFium's bindings raise a range of errors on broken files
        if failed:
            raise
        raise DocumentError(f"{path.name}: corrupt PDF ({type(e).__name__}: {e})") from None
    return pdf_document(content, path=path, sha256=hashlib.sha256(data).hexdigest())


def parse_document(raw: str, *, path: Path, sha256: str | None = None) -> Document:
    """Clean raw text into a Document with title, authors and sections. Markdown (.md) and text with
    reStructuredText/setext headings keep their marked-up structure (rag.ingest.markdown); other
    text (PDF-to-text output) has its headings, running headers and page breaks guessed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".adoc", ".asciidoc") or (suffix == ".txt" and looks_like_asciidoc(raw)):
        markup = parse_asciidoc(_normalize(raw))
    else:
        markup = parse_markup(_normalize(raw), markdown=suffix in (".md", ".markdown"), rest=suffix == ".rst")
    if markup is not None:
        return _markup_document(markup, raw, path, sha256)
    blocks = _blocks(raw)
    headers = _repeated_headers(blocks)
    title = _find_title(blocks) or path.stem.replace("_", " ")
    authors = _find_authors(blocks, title)
    kept: list[Part] = []
    open_idx: int | None = None  # a body paragraph left mid-sentence, awaiting its continuation
    broken = False  # a running header or page number came since that paragraph
    front = True  # before the first real paragraph: title, authors, affiliations
    for n, block in enumerate(blocks):
        if n >= 12:
            front = False
        if block in headers or _PAGE_NO.match(block):
            broken = True
            continue
        md_heading = bool(_HEADING_MD.match(block))
        text = re.sub(r"\s{2,}", " ", strip_markdown(_HEADING_MD.sub("", block))).strip()
        if not text:
            continue
        heading = _is_heading(text, md_heading)
        if heading and front and not re.match(r"(?i)^\W*(\d+\.?\s*)?(abstract|introduction)\b", text):
            heading = False  # front matter is not a section
        if len(text.split()) > 40:
            front = False
        if open_idx is not None and not heading and _FOOTNOTE.match(text) and len(text) < 400:
            kept.append(Part(text))  # a footnote printed inside a broken paragraph
            continue
        if open_idx is not None and not heading and _continues(kept[open_idx].text, text, broken):
            kept[open_idx].text += " " + text
        else:
            kept.append(Part(text, "heading" if heading else "para", level=_level(block, text, md_heading)))
            open_idx = None
        idx = open_idx if open_idx is not None else len(kept) - 1
        part = kept[idx]
        open_idx = idx if not (part.heading or front or len(part.text) < 60 or part.text.endswith(_TERMINAL)) else None
        broken = False
    if not kept:
        raise DocumentError(f"{path.name}: no text left after cleaning")
    return build_document(kept, path=path, sha256=sha256, title=title, authors=authors, raw=raw)


def _level(block: str, text: str, md_heading: bool) -> int:
    """A guessed heading's depth: its # count, else its numbering ("8.1.3." is 3), else 1."""
    if md_heading:
        return len(block) - len(block.lstrip("#"))
    m = re.match(r"^(\d+(?:\.\d+)*)", text)
    return m.group(1).count(".") + 1 if m else 1


def _markup_document(markup, raw: str, path: Path, sha256: str | None) -> Document:
    """Markdown / reST items into a Document: headings from the markup, code kept line by line."""
    items = markup.items
    first = next((i for i, it in enumerate(items[:5]) if it.kind == "heading"), None)
    title = _inline(markup.title or (items[first].text if first is not None else ""), markup.rest) or path.stem.replace("_", " ")
    parts: list[Part] = []
    for i, it in enumerate(items):
        if it.kind == "code":
            parts.append(Part(it.text.strip("\n"), "code"))
            continue
        text = it.text if markup.plain else _inline(it.text, markup.rest)
        if not text:
            continue
        if it.kind == "heading" and i != first:
            parts.append(Part(text, "heading", level=it.level))
        elif it.kind == "para" and not markup.headings and i < len(items) - 1 and _is_heading(text, False) and i > 0:
            parts.append(Part(text, "heading", level=1))  # no headings marked up: guess them
        else:
            parts.append(Part(text))  # the title heading stays as the first paragraph
    if not parts:
        raise DocumentError(f"{path.name}: no text left after cleaning")
    return build_document(parts, path=path, sha256=sha256, title=title, authors=split_names(markup.author), raw=raw)


def find_files(paths: list[Path]) -> tuple[list[Path], dict[str, str]]:
    """Supported files under the given paths, and the skipped ones with the reason."""
    found: list[Path] = []
    skipped: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    _classify(f, found, skipped)
        elif p.is_file():
            _classify(p, found, skipped)
        else:
            skipped[str(p)] = "no such file or directory"
    return found, skipped


def _classify(f: Path, found: list[Path], skipped: dict[str, str]) -> None:
    if f.suffix.lower() in SUPPORTED:
        found.append(f.resolve())
    else:
        skipped[str(f)] = f"unsupported type {f.suffix or '(none)'}; use {KINDS}"
