"""Splitting a cleaned document into sentence-aligned chunks that fit the embedding model."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable

from rag.language import introduces_block, split_sentences
from rag.domain import Chunk, Document, Section

TokenCounter = Callable[[str], int]

# Bump when a change here (or in sentence splitting) moves chunk boundaries, so indexes are rebuilt:
# unchanged files are otherwise never re-chunked. 2: a citation after the full stop stays with its sentence.
# 3: chunks carry their pages and heading path; code blocks are cut only at line ends.
# 4: a reference page's closing field ("Default: `0`.") stays with the sentence before it.
# 5: a chunk does not end with a sentence that introduces a code block without a colon ("... like this").
# 6: a full stop between digits ("CAST(4.0 AS INT)", "version 3.7.0 (2009-09-11)") ends no sentence.
# 7: ... but a paragraph break after the number still ends the sentence.
CHUNKING_VERSION = 7


def chunk_document(
    doc: Document, count_tokens: TokenCounter, max_tokens: int = 180, overlap_tokens: int = 40
) -> list[Chunk]:
    """Chunks of whole sentences, at most `max_tokens` each, never crossing a section heading.

    Consecutive chunks of a section share up to `overlap_tokens` of trailing sentences so an
    answer that straddles a boundary is whole in at least one chunk.
    """
    doc_id = document_id(doc.path)
    count_tokens = _at_least_per_chars(count_tokens)
    pieces: list[tuple[Section | None, int, int]] = []  # (section, start, end)
    for section, start, end in _section_spans(doc):
        units = [s for a, b in _units(doc, start, end, count_tokens, max_tokens) for s in _fit(doc.text, a, b, count_tokens, max_tokens)]
        pieces.extend((section, a, b) for a, b in _pack(doc.text, units, count_tokens, max_tokens, overlap_tokens))

    seen: Counter[str] = Counter()
    chunks = []
    for index, (section, start, end) in enumerate(pieces):
        text = doc.text[start:end]
        seen[text] += 1
        chunk_id = hashlib.sha1(f"{doc_id}\x1f{seen[text]}\x1f{text}".encode()).hexdigest()[:24]
        title = section.title if section else ""
        chunks.append(
            Chunk(
                id=chunk_id, doc_id=doc_id, source=doc.source, title=doc.title, section=title or doc.title,
                text=text, start=start, end=end, index=index, authors=doc.authors,
                is_reference=is_reference(title, text), page=doc.page_at(start), page_end=_last_page(doc, start, end),
                heading_path=section.heading_path if section else (),
            )
        )
    return chunks


def _last_page(doc: Document, start: int, end: int) -> int | None:
    """The latest page any of text[start:end] comes from: a footnote printed on the page before can
    follow a paragraph continued from it, so this is not always the page of the last character."""
    last = doc.page_at(end - 1)
    pages = [p for at, p in doc.page_starts if start <= at < end]
    return max([last, doc.page_at(start), *pages]) if last is not None else None


# Ordinary text runs 3-6 characters a token, so this floor only bites on runs with no spaces.
MAX_CHARS_PER_TOKEN = 8


def _at_least_per_chars(count: TokenCounter) -> TokenCounter:
    """Token counts never below one per MAX_CHARS_PER_TOKEN characters: the tokenizer counts a
    "word" over 100 characters as one unknown token, so a 1 MB line with no spaces would otherwise
    pass as a single token and become one giant chunk. Counts are remembered for the document."""
    seen: dict[str, int] = {}  # each sentence is counted when fitted and again when packed

    def counted(text: str) -> int:
        n = seen.get(text)
        if n is None:
            n = seen[text] = max(count(text), len(text) // MAX_CHARS_PER_TOKEN)
        return n

    return counted


def document_id(path: str) -> str:
    """A stable id for a document: its absolute path, hashed."""
    return hashlib.sha1(path.encode()).hexdigest()[:16]


def _section_spans(doc: Document) -> list[tuple[Section | None, int, int]]:
    """(section, body start, body end): the text under each heading, heading excluded."""
    spans: list[tuple[Section | None, int, int]] = []
    sections = list(doc.sections)
    first = sections[0].start if sections else len(doc.text)
    if first > 0:
        spans.append((None, 0, first))
    for i, s in enumerate(sections):
        end = sections[i + 1].start if i + 1 < len(sections) else len(doc.text)
        spans.append((s, s.start + len(s.title), end))
    return [(s, a, b) for s, a, b in spans if doc.text[a:b].strip()]


def _units(doc: Document, a: int, b: int, count: TokenCounter, max_tokens: int) -> list[tuple[int, int]]:
    """The pieces a chunk is packed from: sentences of prose, and whole lines of code blocks (a
    code block is never cut inside a line, and kept whole when it fits)."""
    units: list[tuple[int, int]] = []
    pos = a
    for cs, ce in doc.code_spans:
        if ce <= a or cs >= b:
            continue
        cs, ce = max(cs, a), min(ce, b)
        if cs > pos:
            units.extend(split_sentences(doc.text, pos, cs))
        pos = ce
        if count(doc.text[cs:ce]) <= max_tokens:
            units.append((cs, ce))
            continue
        for m in re.finditer(r"[^\n]*\S[^\n]*", doc.text[cs:ce]):
            units.append((cs + m.start(), cs + m.end()))
    if pos < b:
        units.extend(split_sentences(doc.text, pos, b))
    return units


def _fit(text: str, a: int, b: int, count: TokenCounter, max_tokens: int) -> list[tuple[int, int]]:
    """A sentence as is, or cut at word boundaries into pieces that fit when it is too long."""
    if count(text[a:b]) <= max_tokens:
        return [(a, b)]
    out: list[tuple[int, int]] = []
    start, end, total = None, a, 0
    for m in re.finditer(r"\S+", text[a:b]):
        ws, we = a + m.start(), a + m.end()
        n = count(m.group())
        if n > max_tokens:  # one "word" longer than the limit (a URL, a run of symbols): cut it
            if start is not None:
                out.append((start, end))
            step = max(1, (we - ws) * max_tokens // (2 * n))
            out.extend((x, min(x + step, we)) for x in range(ws, we, step))
            start, total = None, 0
            continue
        if start is not None and total + n > max_tokens:
            out.append((start, end))
            start, total = None, 0
        if start is None:
            start = ws
        total += n
        end = we
    if start is not None:
        out.append((start, end))
    return out


def _pack(
    text: str, sentences: list[tuple[int, int]], count: TokenCounter, max_tokens: int, overlap_tokens: int
) -> list[tuple[int, int]]:
    """Group sentences into spans of at most max_tokens, with trailing-sentence overlap."""
    sizes = [count(text[a:b]) for a, b in sentences]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= max_tokens):
            total += sizes[j]
            j += 1
        if i < j - 1 < len(sentences) - 1 and introduces_block(text, *sentences[j - 1], *sentences[j]):
            j -= 1  # cut from the example it introduces, "... like this" answers nothing: it opens the next chunk
        spans.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        # Step back over trailing sentences that fit in the overlap, but always advance.
        k, back = j, 0
        while k - 1 > i and back + sizes[k - 1] <= overlap_tokens:
            back += sizes[k - 1]
            k -= 1
        i = k
    return spans


_REFERENCE_SECTION = re.compile(r"(?i)^\W*(\d+(\.\d+)*\.?\s*)?(references|bibliography|works cited|sources|notes|endnotes)\W*$")
_CITATION = re.compile(r"https?://|www\.|doi\b|\(\d{4}[a-z]?\)|\b(19|20)\d{2}\.\s|Retrieved\b|pp\.\s?\d", re.I)


def is_reference(section: str, text: str) -> bool:
    """Is this chunk a bibliography or a list of sources rather than prose?"""
    if _REFERENCE_SECTION.match(section or ""):
        return True
    words = max(1, len(text.split()))
    return len(_CITATION.findall(text)) * 25 >= words  # about one citation mark per 25 words
