"""Cleaning text into paragraphs: markdown and reST inline markup stripped, and for plain text (PDF
to text output) the running headers, page numbers, headings, title and authors guessed."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections import Counter

_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
# [`spawn()`][] or [text][label]: the text; a code span is passed over whole ("`.[.][^b].$`" is a regex)
_MD_REF_LINK = re.compile(r"`[^`\n]*`|\[((?:`[^`\n]*`|[^\]\[`\n])+)\]\[[^\]\n]*\]")
_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SUPERSCRIPT = re.compile(r"\^\{([^}]*)\}")
_HEADING_MD = re.compile(r"^#{1,6}\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
_TERMINAL = ('.', '?', '!', ':', '"', '\u201d', "'", '\u2019', ')', ';')
_PAGE_NO = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I)
_LIST_ITEM = re.compile(r"^([-*\u2022]|\d+[.)])\s")


def strip_markdown(text: str) -> str:
    """Markdown markup to plain text: `[text](#)` and `[text][]` -> text, **bold** -> bold, <url> -> url,
    <!-- comments --> dropped."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(lambda m: m.group(0) if m.group(1) is None else m.group(1), _MD_COMMENT.sub("", text))
    text = _ANGLE_URL.sub(r"\1", text)
    text = _SUPERSCRIPT.sub("", text)
    for _ in range(2):  # nested bold/italic
        text = _BOLD.sub(r"\2", text)
        text = _ITALIC.sub(r"\1", text)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("\\_", "_").replace("\\*", "*")
    return text


def _blocks(raw: str) -> list[str]:
    """Paragraph blocks: lines separated by blank lines, each block's lines joined by spaces."""
    raw = _normalize(raw)
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


def _normalize(raw: str) -> str:
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return _unbox(_CONTROL.sub("", raw).replace("\t", "    ").replace("\u00a0", " "))


_BORDER = re.compile(r"^ *([*#=+])\1{9,} *$")  # a box's top or bottom edge: a row of one character


def _unbox(text: str) -> str:
    """Text drawn in an ASCII box (the MPL's disclaimer: a row of asterisks, then "*  6. Disclaimer
    of Warranty  *" ...) without its frame. Read with it, each framed line was a paragraph of its own
    (a "*" bullet) and no sentence survived whole."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        edge = _BORDER.match(lines[i])
        if edge:
            ch = re.escape(edge.group(1))
            frame = re.compile(rf"^ *{ch}(.*?){ch} *$")
            j = i + 1
            while j < len(lines) and frame.match(lines[j]) and not _BORDER.match(lines[j]):
                j += 1
            if j - i > 2 and j < len(lines) and _BORDER.match(lines[j]):
                inner = [frame.match(ln).group(1).rstrip() for ln in lines[i + 1 : j]]
                out += ["", *textwrap.dedent("\n".join(inner)).split("\n"), ""]
                i = j + 1
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


_REST_LINK = re.compile(r"`([^`<>]+?)\s*<[^>`]+>`__?")
_ROLE = re.compile(r"(?::[\w-]+)+:`~?([^`]+)`|\{[\w-]+\}`~?([^`]+)`")


# reST's references by name outside ``literals``: "See also report_level_.", "stylesheet_path__", "Docutils_ is".
_REST_NAME_REF = re.compile(r"(?<![\w`/.\-])([A-Za-z0-9][\w.\-]*?[A-Za-z0-9])__?(?![\w`])")


def _inline(text: str, rest: bool = False) -> str:
    """Inline markup to plain text: links, emphasis, reST roles and ``literals``, MyST roles; with `rest`,
    also reST's references by name."""
    text = _REST_LINK.sub(r"\1", text)
    text = _ROLE.sub(lambda m: (m.group(1) or m.group(2)).split(" <")[0], text)
    if rest:
        text = "".join(part if part.startswith("``") else _REST_NAME_REF.sub(r"\1", part)
                       for part in re.split(r"(``[^`]+``)", text))
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"`([^`]+)`__?(?![\w`])", r"\1", text)
    text = re.sub(r"\[#\w*\]_", "", text)  # reST footnote references
    return re.sub(r"\s{2,}", " ", strip_markdown(text)).strip()


def _continues(prev: str, nxt: str, broken: bool) -> bool:
    """Does `nxt` continue the sentence that `prev` left open (split by a page break)?"""
    return (broken or nxt[:1].islower() or not _is_heading(nxt, False)) and not prev.endswith(_TERMINAL)


_NOT_NAME = re.compile(
    r"\b(university|department|scholar|professor|lecturer|college|review|journal|letter|"
    r"institute|email|available|issn|abstract|keywords|introduction|author|analysis|research)\b",
    re.I,
)
# Words no personal name holds; not the full STOPWORDS, which would reject "Will" or "Say".
_FUNCTION_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())
_NAME_WORD = re.compile(r"^(Dr\.?|Mr\.?|Ms\.?|Prof\.?|[A-Z][a-zA-Z'\-]*\.?|bin|Bin|ul|al|de|van)$")


def _clean_head(block: str) -> str:
    text = strip_markdown(_HEADING_MD.sub("", block))
    text = re.sub(r"[\u00b9\u00b2\u00b3\u2070-\u2079*]", "", text)  # superscript marks
    # Footnote digits glued to names ("Mohyidin1"), not versions ("Version 1.3", "GPLv3", "S3").
    text = re.sub(r"(?<=[a-z]{2})\d{1,2}\b", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _head_text(block: str) -> str:
    """A head block's text without web addresses (a title block may end with "http://…")."""
    return _clean_head(re.sub(r"<?\b(?:https?://|www\.)\S*", " ", block))


def _find_title(blocks: list[str]) -> str | None:
    for block in blocks[:12]:
        if _HEADING_MD.match(block):
            return _clean_head(block)
    for block in blocks[:12]:
        text = _head_text(block)
        words = text.split()
        if (
            3 <= len(words) <= 30
            and not _PAGE_NO.match(text)
            and not text.endswith((".", ","))
        ):
            return text
    return None


def _find_authors(blocks: list[str], title: str) -> list[str]:
    """Names stated at the head of the document, between the title and the first real paragraph."""
    authors: list[str] = []
    start = next((i for i, b in enumerate(blocks[:15]) if _head_text(b) == title), None)
    if start is None:
        return authors
    in_title = {w.lower() for w in title.split()}
    for block in blocks[start + 1 : start + 12]:
        text = _clean_head(block)
        if len(text.split()) > 40 or re.match(r"(?i)^(abstract|introduction|keywords)\b", text):
            break
        if text == title or _NOT_NAME.search(text) or re.search(r"\d", text):
            continue
        for part in re.split(r"\s*(?:,|&|\band\b)\s*", text):
            words = part.split()
            # A name has no function words and no word of the title ("TERMS AND CONDITIONS FOR USE").
            if (2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)
                    and not any(w.lower() in _FUNCTION_WORDS or w.lower() in in_title for w in words)):
                name = re.sub(r"^(Dr|Mr|Ms|Prof)\.?\s+", "", part)
                if name not in authors:
                    authors.append(name)
    return authors
