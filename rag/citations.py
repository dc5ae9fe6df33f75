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


# Brackets quoted from a passage ("[0-9]", "sys.argv[10]", a footnote's "[42]") look like markers but are
# the passage's words: while an extractive answer is checked each stands in as one private-use character
# (no word, no number, so the checker reads the sentence's own words only).
_SHIELD_BASE, _SHIELD_MAX = 0xE000, 0x1000


def shield(text: str, kept: list[str], spans: set[tuple[int, int]] | None = None) -> str:
    """`text` with every marker-like bracket (or only those at `spans`, (start, end) in `text`: a
    quoted sentence's own) replaced by a placeholder; the brackets go to `kept`."""
    def hide(m: re.Match) -> str:
        if len(kept) >= _SHIELD_MAX or (spans is not None and m.span() not in spans):
            return m.group(0)
        kept.append(m.group(0))
        return chr(_SHIELD_BASE + len(kept) - 1)

    return MARKER.sub(hide, text)


def unshield(text: str, kept: list[str]) -> str:
    """The text with its placeholders turned back into the brackets they stand for."""
    if not kept:
        return text
    return re.sub(f"[{chr(_SHIELD_BASE)}-{chr(_SHIELD_BASE + len(kept) - 1)}]", lambda m: kept[ord(m.group(0)) - _SHIELD_BASE], text)


class Quotes:
    """Sentences quoted from passages while an answer is checked: each is the one claim it is. Its own
    brackets are no citations ("[0-9]", "argv[10]"), and its line breaks (code, a list item) do not make
    each line a claim, which the checker would cite inside the code ("strict = TRUE [2])"). A prose
    sentence's own reference mark that names no passage ("doubled between 2001 and 2009 [7] [12].", a
    paper's "[12]") is dropped, as the checker did: in an answer it would read as a citation."""

    LINE = "\uf8ff"  # a line break while checked (private use, outside the brackets' placeholders)
    SPACE = "\uf8fe"  # the space after a full stop inside the sentence ("... signal. Default: `'SIGTERM'`.")

    def __init__(self, passages: int) -> None:
        self.passages = passages
        self.kept: list[str] = []

    def hide(self, text: str) -> str:
        if "\n" not in text:
            text = SPACED_MARKER.sub(lambda m: "" if self._reference_mark(text, m) else m.group(0), text)
        return re.sub(r"(?<=[.!?]) ", self.SPACE, shield(text, self.kept)).replace("\n", self.LINE)

    def show(self, text: str) -> str:
        return unshield(text, self.kept).replace(self.LINE, "\n").replace(self.SPACE, " ")

    def _reference_mark(self, text: str, m: re.Match) -> bool:
        """A bracket in prose, not attached to a name ("argv[10]"), numbering no passage and no 0 ("[0-9]")."""
        numbers = marker_numbers(m.group(1))
        attached = m.group(0)[:1] == "[" and m.start() > 0 and re.match(r"[\w)\]]", text[m.start() - 1])
        return bool(numbers) and 0 not in numbers and not attached and all(n > self.passages for n in numbers)
