"""PDF lines into blocks (paragraphs, headings, code, list items): a new block where the type changes,
the spacing widens, the text moves to another column, or the layout starts a new item."""

from __future__ import annotations

import re
import statistics

from rag.ingest.pdf import BULLET, Block, Line, Page

_TERMINAL = (".", "?", "!", ":")
_HEADING_NO = re.compile(r"^(\d{1,2}(\.\d{1,3})+|[A-Z](\.\d{1,3})+)\.?\s+[^\W\d_]")


def group_blocks(page: Page, lines: list[Line] | None = None) -> list[Block]:
    """Lines (the page's, or those left of them) into blocks: a new block where the font size or style changes, the gap above is wider
    than the usual line spacing, the text moves up (another column), or a line is a bullet item or a tagged list's term."""
    lines = page.lines if lines is None else lines
    if not lines:
        return []
    gaps = [a.bottom - b.top for a, b in zip(lines, lines[1:]) if abs(a.size - b.size) < 0.5 and a.bottom > b.top]
    usual = statistics.median(gaps) if gaps else 0.0
    blocks: list[Block] = []
    current: list[Line] = [lines[0]]
    described = False  # is the current block the description of a tagged list's term?
    for prev, ln in zip(lines, lines[1:]):
        term = _is_term(prev, ln, current)
        # the next term of the list is back out at the terms' margin
        outdented = described and not ln.mono and ln.x0 < min(c.x0 for c in current) - 2.5 * max(ln.size, 1.0)
        if term or outdented or _starts_block(prev, ln, current, usual):
            blocks.append(Block(current, page.number))
            current, described = [ln], term
        else:
            current.append(ln)
    blocks.append(Block(current, page.number))
    return blocks


def _is_term(prev: Line, ln: Line, current: list[Line]) -> bool:
    """Is `prev` a tagged list's term (a man page's FILES: "/etc/profile", then "The systemwide
    initialization file" indented below it): short, alone in its block, unpunctuated, not code, and
    followed by a capitalised line indented well to its right?"""
    size = max(prev.size, ln.size, 1.0)
    return (len(current) == 1 and not (prev.mono or ln.mono) and ln.x0 > prev.x0 + 2.5 * size and prev.x1 - prev.x0 < 15 * size
            and not prev.text.endswith((*_TERMINAL, ",")) and ln.text[:1].isupper())


def _starts_block(prev: Line, ln: Line, current: list[Line], usual: float) -> bool:
    size = max(prev.size, ln.size, 1.0)
    gap = prev.bottom - ln.top
    if abs(prev.size - ln.size) > 0.12 * size:
        return True
    if prev.mono != ln.mono and (gap > usual + 0.2 * size or abs(prev.x0 - ln.x0) > size or prev.text.endswith(_TERMINAL)):
        return True  # code set off from the prose (a URL in monospace inside a sentence is not)
    if prev.bold != ln.bold and (gap > usual + 0.2 * size or prev.text.endswith(_TERMINAL) or len(current) == 1):
        return True
    if ln.top > prev.top + 0.5 * size or gap > usual + 0.45 * size:  # moved up (a column) or a wide gap
        return True
    if BULLET.match(ln.text) or (ln.bold and prev.bold and _HEADING_NO.match(ln.text)):
        return True  # a list item; a numbered heading right under another
    if prev.mono:
        return False
    # A paragraph's last line ends short with a full stop, or the next line is indented.
    right = max(c.x1 for c in current)
    if prev.text.endswith(_TERMINAL) and len(current) > 1 and prev.x1 < right - 3 * size:
        return True
    left = min(c.x0 for c in current)
    return prev.text.endswith(_TERMINAL) and len(current) > 1 and ln.x0 > left + 0.8 * size and ln.x0 - left < 6 * size
