"""Tables in passage text, as the readers leave them: a row's cells as short blocks before its description
(a reference card read block by block), a value under its label, and pipe-table rows."""

from __future__ import annotations

import re

from rag.answer.values import asked_value
from rag.language import FIELD_LABEL, content_words

# A label of one to three words on its own line, and a short value under it that looks like a path or a setting.
_LABEL = re.compile(r"[A-Z][\w+#.\-]*(?: [\w+#.\-]+){0,2}")
_VALUE = re.compile(r"[/~\\%=]")
# The cells of a table row that come before its description ("CUPS at http:", "//hostname:631", then
# "Browser interface to printing system."): blocks too short to be sentences, one holding a value.
_CELL_VALUE = re.compile(r"[/~\\%=:]|[A-Za-z]\d|\d[A-Za-z]|\w-\w")

_ROW = re.compile(r"^\|.*\|[ \t]*$")


def is_labelled_value(sentence: str, before: str) -> bool:
    """Is the sentence a short value under its label ("Linux", then "~/.cache/pip", as tabs and definition
    lists render)?"""
    return len(sentence.split()) < 5 and bool(_VALUE.search(sentence)) and bool(_LABEL.fullmatch(before))


# A reference entry's field on a line of its own: a field label and its value ("Default: 8.", "Type: int").
_FIELD = re.compile(rf"({FIELD_LABEL}): +\S")


def is_field(sentence: str, asked: set[str]) -> bool:
    """Is the sentence a reference entry's field ("Default: severe (4).", as config and API references write
    them) whose label is one of the question's words (`asked`, stemmed content words)?"""
    m = _FIELD.match(sentence)
    return bool(m) and len(sentence.split()) < 8 and bool(set(content_words(m.group(1))) & asked)


# A list item that is a term and its short value on one line ("loose-objects: daily.", "Port: 3306").
_ITEM_VALUE = re.compile(r"([^:\n]{1,40}):\s+\S[^:\n]*")


def listed_value(question: str, text: str, spans: list[tuple[int, int]], k: int, asked: set[str]) -> str | None:
    """When the question asks for a value and sentence k is a short "term: value" item whose term the
    question names (`asked`: its stemmed content words), the lead-in of its list ("... the following
    schedule for each task:"), or its term when there is none; else None. Such items are too short to
    be sentences, and their meaning is in the lead-in: "How often does the loose-objects task run?"
    -> "loose-objects: daily."."""
    sent = text[slice(*spans[k])].strip()
    m = _ITEM_VALUE.fullmatch(sent.rstrip("."))
    if not m or len(sent.split()) >= 5 or not set(content_words(m.group(1))) & asked or not asked_value(question)[0]:
        return None
    for j in range(k - 1, -1, -1):  # back over the list's other items to its lead-in
        before = text[slice(*spans[j])].strip()
        if before.endswith(":") and not _ITEM_VALUE.fullmatch(before.rstrip(":")):
            return before
        if not _ITEM_VALUE.fullmatch(before.rstrip(".")) or len(before.split()) >= 5:
            break
    return m.group(1)


# A definition list's entry as the readers write it: its terms, a colon, the text ("-n, --dry-run: Don't ...").
_DEFINITION = re.compile(r"([^:\n]{1,60}?):\s+\S")
# What a reference defines: an option ("-n", "--dry-run") or a dotted or snake_case name ("gc.auto", "max_buffer").
_IDENTIFIER = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*|\b[A-Za-z]\w*(?:[._]\w+)+\b")


def defines(sentence: str, question: str) -> bool:
    """Is the sentence the definition of an option or a dotted name the question names, its terms
    before a colon: "--normalize: Normalize refname by ..." for "What does --normalize do?"? Plain
    words are no such name: slides' "Native packages: ..." lines are no definition of "native"."""
    m = _DEFINITION.match(sentence)
    if not m or len(m.group(1).split()) > 6:
        return False
    return bool(set(_IDENTIFIER.findall(m.group(1))) & set(_IDENTIFIER.findall(question)))


def table_rows(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """The row spans of text[a:b] when it is a pipe table of two rows or more (a chunk may hold only a
    table's last rows), else none. A few lines that are no rows may sit among them (a PDF row whose
    cells were set too close to be told apart)."""
    rows, pos, other = [], a, 0
    for line in text[a:b].split("\n"):
        if line.strip():
            if _ROW.match(line.strip()):
                start = pos + len(line) - len(line.lstrip())
                rows.append((start, start + len(line.strip())))
            else:
                other += 1
        pos += len(line) + 1
    return rows if len(rows) >= 2 and other * 3 <= len(rows) else []


def cells_before(text: str, spans: list[tuple[int, int]], k: int) -> int:
    """The index of the first table cell that leads sentence k (k itself when none does): up to two
    blocks just before it, each under five words and not ending a sentence, one of them a value."""
    j = k
    if len(text[slice(*spans[k])].split()) >= 15:  # a table's description cell is short
        return k
    while j > max(0, k - 2):
        cell = text[slice(*spans[j - 1])].strip()
        if len(cell.split()) >= 5 or cell[-1:] in ".!?" or "\n\n" not in text[spans[j - 1][1]:spans[j][0]]:
            break
        if j >= 2 and _VALUE.search(cell) and _LABEL.fullmatch(text[slice(*spans[j - 2])].strip()):
            break  # a value under its label ("Linux", "~/.cache/pip") ends its own row
        j -= 1
    while j < k and not any(_CELL_VALUE.search(text[slice(*spans[m])]) for m in range(j, k)):
        j += 1
    return j
