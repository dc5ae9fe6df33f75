"""Reading documents (.txt, .md, .pdf) and cleaning PDF-to-text debris into text with sections.

Cleaning removes running headers and page numbers, rejoins paragraphs broken by a page break,
strips markdown markup, and keeps headings as section names so chunks can say where they are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from pathlib import Path

from rag.domain import Document, Section

SUPPORTED = {".txt", ".md", ".markdown", ".pdf"}
CLEANING_VERSION = 1  # bump when cleaning changes what text a file yields, so indexes are rebuilt


class DocumentError(ValueError):
    """A document that cannot be read; the message names the file and the problem."""


# --- reading ---------------------------------------------------------------

def read_document(path: Path) -> Document:
    """Read and clean one file, or raise DocumentError saying why it can't be."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise DocumentError(f"{path.name}: unsupported type {suffix or '(none)'}; use .txt, .md or .pdf")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"{path.name}: cannot read ({e.strerror or e})") from None
    raw = _pdf_text(path, data) if suffix == ".pdf" else _decode_text(path, data)
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


def _pdf_text(path: Path, data: bytes) -> str:
    if not data.startswith(b"%PDF-"):
        raise DocumentError(f"{path.name}: not a PDF (no %PDF header)")
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        # Pages joined by blank lines so running headers/footers look like repeated blocks.
        pages = [(p.extract_text() or "") for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise DocumentError(f"{path.name}: corrupt PDF ({e})") from None
    except Exception as e:  # pypdf raises a wide range of errors on broken files
        raise DocumentError(f"{path.name}: corrupt PDF ({type(e).__name__}: {e})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError(f"{path.name}: the PDF has no extractable text (scanned images?)")
    return text


# --- cleaning --------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SUPERSCRIPT = re.compile(r"\^\{([^}]*)\}")
_HEADING_MD = re.compile(r"^#{1,6}\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
_TERMINAL = ('.', '?', '!', ':', '"', '\u201d', "'", '\u2019', ')', ';')
_PAGE_NO = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I)
_LIST_ITEM = re.compile(r"^([-*\u2022]|\d+[.)])\s")


def strip_markdown(text: str) -> str:
    """Markdown markup to plain text: `[text](#)` -> text, **bold** -> bold, <url> -> url."""
    text = _MD_LINK.sub(r"\1", text)
    text = _ANGLE_URL.sub(r"\1", text)
    text = _SUPERSCRIPT.sub("", text)
    for _ in range(2):  # nested bold/italic
        text = _BOLD.sub(r"\2", text)
        text = _ITALIC.sub(r"\1", text)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("\\_", "_").replace("\\*", "*")
    return text


def _blocks(raw: str) -> list[str]:
    """Paragraph blocks: lines separated by blank lines, each block's lines joined by spaces."""
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    raw = _CONTROL.sub("", raw).replace("\t", " ").replace("\u00a0", " ")
    blocks = []
    for para in re.split(r"\n\s*\n", raw):
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if lines:
            blocks.append(lines)
    return [_join_lines(b) for b in blocks]


def _join_lines(lines: list[str]) -> str:
    # A hyphen at a line end followed by a lowercase letter is a word broken by the layout.
    out = lines[0]
    for ln in lines[1:]:
        if re.search(r"[a-z]-$", out) and ln[:1].islower():
            out = out[:-1] + ln
        else:
            out += " " + ln
    return out


def _is_heading_like(block: str) -> bool:
    words = block.split()
    return (
        0 < len(words) <= 14
        and len(block) <= 120
        and not block.endswith((".", ",", ";", ":"))
        and not _LIST_ITEM.match(block)
        and (block[:1].isupper() or block[:1].isdigit())
        and "http" not in block
    )


def _repeated_headers(blocks: list[str]) -> set[str]:
    """Short blocks that repeat through the document: running headers, footers, journal names."""
    counts = Counter(b for b in blocks if len(b) <= 100 and len(b.split()) <= 12)
    return {b for b, n in counts.items() if n >= 3}


_FOOTNOTE = re.compile(r"^(\d{1,3}\s?\.\s+\S|[\u00b9\u00b2\u00b3\u2070-\u2079]+\s*\S)")
_SECTION_NO = re.compile(r"^\d+(\.\d+)*\.?\s+[A-Z]")
_TRAILING_MARKS = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+$")


def _is_heading(text: str, md_heading: bool) -> bool:
    if md_heading:
        return True
    body = _TRAILING_MARKS.sub("", text)
    return (
        _is_heading_like(body)
        and not body.endswith(("?", "!", ")", ":"))
        and (not body[:1].isdigit() or bool(_SECTION_NO.match(body)))
        and body.count(",") < 2
    )


def parse_document(raw: str, *, path: Path, sha256: str | None = None) -> Document:
    """Clean raw extracted text into a Document with title, authors and sections."""
    path = Path(path)
    blocks = _blocks(raw)
    headers = _repeated_headers(blocks)
    title = _find_title(blocks) or path.stem.replace("_", " ")
    authors = _find_authors(blocks, title)
    kept: list[list] = []  # [text, is_heading]
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
            kept.append([text, False])  # a footnote printed inside a broken paragraph
            continue
        if open_idx is not None and not heading and _continues(kept[open_idx][0], text, broken):
            kept[open_idx][0] += " " + text
        else:
            kept.append([text, heading])
            open_idx = None
        idx = open_idx if open_idx is not None else len(kept) - 1
        body, is_heading = kept[idx]
        open_idx = idx if not (is_heading or front or len(body) < 60 or body.endswith(_TERMINAL)) else None
        broken = False
    if not kept:
        raise DocumentError(f"{path.name}: no text left after cleaning")

    parts, sections, offset = [], [], 0
    for text, heading in kept:
        if heading:
            sections.append(Section(title=text, start=offset))
        parts.append(text)
        offset += len(text) + 2
    digest = sha256 or hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return Document(
        path=str(path.resolve()),
        source=path.name,
        title=title,
        authors=tuple(authors),
        text="\n\n".join(parts),
        sections=tuple(sections),
        sha256=digest,
    )


def _continues(prev: str, nxt: str, broken: bool) -> bool:
    """Does `nxt` continue the sentence that `prev` left open (split by a page break)?"""
    return (broken or nxt[:1].islower() or not _is_heading(nxt, False)) and not prev.endswith(_TERMINAL)


_NOT_NAME = re.compile(
    r"\b(university|department|scholar|professor|lecturer|college|review|journal|letter|"
    r"institute|email|available|issn|abstract|keywords|introduction|policy|outlook|author|"
    r"relations|pakistan|afghanistan|united|states|analysis|research)\b",
    re.I,
)
_NAME_WORD = re.compile(r"^(Dr\.?|Mr\.?|Ms\.?|Prof\.?|[A-Z][a-zA-Z'\-]*\.?|bin|Bin|ul|al|de|van)$")


def _clean_head(block: str) -> str:
    text = strip_markdown(_HEADING_MD.sub("", block))
    text = re.sub(r"[\u00b9\u00b2\u00b3\u2070-\u2079*]", "", text)  # superscript marks
    text = re.sub(r"(?<=[A-Za-z.])\d+\b", "", text)  # footnote digits glued to names
    return re.sub(r"\s+", " ", text).strip()


def _find_title(blocks: list[str]) -> str | None:
    for block in blocks[:12]:
        if _HEADING_MD.match(block):
            return _clean_head(block)
    for block in blocks[:12]:
        text = _clean_head(block)
        words = text.split()
        if (
            3 <= len(words) <= 30
            and not _PAGE_NO.match(text)
            and "http" not in text
            and not text.endswith((".", ","))
        ):
            return text
    return None


def _find_authors(blocks: list[str], title: str) -> list[str]:
    """Names stated at the head of the document, between the title and the first real paragraph."""
    authors: list[str] = []
    start = next((i for i, b in enumerate(blocks[:15]) if _clean_head(b) == title), None)
    if start is None:
        return authors
    for block in blocks[start + 1 : start + 12]:
        text = _clean_head(block)
        if len(text.split()) > 40 or re.match(r"(?i)^(abstract|introduction|keywords)\b", text):
            break
        if text == title or _NOT_NAME.search(text) or re.search(r"\d", text):
            continue
        for part in re.split(r"\s*(?:,|&|\band\b)\s*", text):
            words = part.split()
            if 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words):
                name = re.sub(r"^(Dr|Mr|Ms|Prof)\.?\s+", "", part)
                if name not in authors:
                    authors.append(name)
    return authors


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
        skipped[str(f)] = f"unsupported type {f.suffix or '(none)'}; use .txt, .md or .pdf"
