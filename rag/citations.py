"""The one `[n]` citation grammar: how an answer cites its numbered passages.

Answerers (and small LLMs) write `[1]`, `[2, 3]`, `[2; 3]`, `[1-3]`, `[1 and 2]` or `[Passage 2]`;
the checker, the renderer and the eval all read them through this module, so a citation counts
the same everywhere.
"""

from __future__ import annotations

import re

# [1]  [1, 2]  [1-3]  [1][2]  [Passage 2]: group 1 is the inside of one marker.
MARKER = re.compile(
    r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*(?:,|;|-|\u2013|and)\s*(?:passages?\s*)?\d{1,3})*)\s*\]", re.I
)
# A marker with the spaces before it, for removing it from a sentence.
SPACED_MARKER = re.compile(r"[ \t]*" + MARKER.pattern, re.I)
LEADING_MARKERS = re.compile(rf"^(?:{SPACED_MARKER.pattern})+", re.I)
MAX_RANGE = 20  # "[1-999]" is not a thousand citations


def marker_numbers(inner: str) -> list[int]:
    """The numbers inside one marker, each once: "1, 2" -> [1, 2]; "1-3" -> [1, 2, 3]."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", re.sub(r"(?i)passages?", "", inner)):
        m = re.fullmatch(r"\s*(\d+)\s*(?:[-\u2013]\s*(\d+))?\s*", part)
        if m:
            a = int(m.group(1))
            b = int(m.group(2) or a)
            out.extend(n for n in range(a, min(max(a, b), a + MAX_RANGE) + 1) if n not in out)
    return out


def cited_numbers(text: str) -> list[int]:
    """The citation numbers in `text`, each once, in order of first appearance."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        seen.extend(n for n in marker_numbers(m.group(1)) if n not in seen)
    return seen


def strip_markers(text: str) -> str:
    """`text` without its citation markers (and without the space they left before punctuation)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", SPACED_MARKER.sub("", text)).strip()


def format_marker(numbers: list[int]) -> str:
    """The canonical marker(s) for these passage numbers: [1][3]."""
    return "".join(f"[{n}]" for n in dict.fromkeys(numbers))
