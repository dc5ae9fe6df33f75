"""AsciiDoc structure: headings, delimited blocks, definition lists and inline markup of a text file.

AsciiDoc is how Git, many Asciidoctor sites and much project documentation is written, in `.adoc`
files and in `.txt` ones (Git's manual pages). Read as reStructuredText, its `-f::` terms opened
literal blocks, the tab-indented definitions became code, and a `----` listing after a one-line
title was taken for that title's underline. Here:

- headings: `= Title`, `== Section` ... and two-line titles underlined with `=-~^+` about as long as
  the title; `[[anchor]]`, `[source,sh]` and other attribute lines above a block are not text;
- delimited blocks: `----` listing and `....` literal blocks and `[verse]`/`[listing]` paragraphs
  are code; `====` example, `****` sidebar, `____` quote and `--` open blocks hold text; `////`
  comments and `++++` passthroughs are dropped; `|===` tables become pipe rows;
- definition lists (`term::`, `term;;`, stacked terms `-f::` `--force::`) read "-f, --force: text";
- `NOTE:` / `[NOTE]` admonitions read "Note: ..."; an indented paragraph is a literal (code);
- the header under `= Title`: its author line is the author, its revision line and attribute entries
  are no text, and an entry's value stands wherever it is referred to (`{url-repo}[Asciidoctor]`);
  comments and `ifdef::`/`endif::` lines are no text wherever they stand;
- inline: `linkgit:git-gc[1]` -> "git-gc(1)", `link:url[text]` -> "text", `<<id,text>>` -> "text",
  backquotes, `'emphasis'`, `*strong*`, `_em_` and `+literal+` marks, `{litdd}`-style attributes.
"""

from __future__ import annotations

import re

from rag.ingest.assemble import pipe_row
from rag.ingest.markdown import Item, Markup

_ONE_LINE_TITLE = re.compile(r"^(={1,6})\s+(\S.*?)(?:\s+=+)?\s*$")
_UNDERLINE = re.compile(r"^([=\-~^+])\1+\s*$")
_UNDERLINE_LEVEL = {"=": 1, "-": 2, "~": 3, "^": 4, "+": 5}
_DELIMITER = re.compile(r"^(-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,}|/{4,}|--|\|={3,}|`{3,}.*)\s*$")
_ATTRIBUTES = re.compile(r"^\[(?:\[[^\]]*\]|[^\[\]]*)\]\s*$")  # [[anchor]], [verse], [source,sh], [NOTE], [#id]
_ENTRY = re.compile(r"^:(!?[\w][\w-]*!?):(?:\s+(.*))?$")  # ":toc:", ":author: Jane Doe"
_MACRO_LINE = re.compile(r"^(?:include|toc)::\S*\[.*\]\s*$")
_CONDITIONAL = re.compile(r"^(?:ifdef|ifndef|ifeval|endif)::\S*\[.*\]\s*$")
_IMAGE = re.compile(r"^image::(\S+?)\[(.*)\]\s*$")
_BLOCK_TITLE = re.compile(r"^\.([^.\s].*)$")
_TERM = re.compile(r"^(?P<term>\S.*?)(?::{2,4}|;;)(?:\s+(?P<text>\S.*))?$")
_ITEM = re.compile(r"^\s*(?:\*{1,5}|-|\.{1,5}|\d+\.|[a-z]\.)\s+(\S.*)$")
_ADMONITION_STYLES = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")
_ADMONITION = re.compile(rf"^({'|'.join(_ADMONITION_STYLES)}):\s+")
_CODE_STYLES = re.compile(r"^\[(?:verse|listing|literal|source)\b", re.I)


# AsciiDoc's built-in character attributes ("{litdd}" is Git's "--")
_BUILTIN = {"litdd": "--", "apos": "'", "nbsp": " ", "plus": "+", "empty": "", "amp": "&", "lt": "<", "gt": ">",
            "startsb": "[", "endsb": "]", "vbar": "|", "caret": "^", "asterisk": "*", "tilde": "~", "backslash": "\\",
            "pp": "++", "cpp": "C++"}


def looks_like_asciidoc(raw: str) -> bool:
    """Does a .txt file show two or more kinds of AsciiDoc markup (anchors and block attributes,
    definition terms, delimited listing blocks, `include::` lines, `= Title` headings, attribute
    entries)? One kind alone can be chance: a reST file has `::` too, a Markdown one `----` rules;
    a file with a reST directive is reST."""
    lines = [ln.rstrip() for ln in raw.split("\n")]
    if any(re.match(r"^\.\. [\w:-]+::", ln) for ln in lines):
        return False  # a reST directive
    kinds = set()
    for i, ln in enumerate(lines):
        if _ATTRIBUTES.match(ln) and not ln.startswith("[]"):
            kinds.add("attributes")
        elif _MACRO_LINE.match(ln) or _CONDITIONAL.match(ln) or _IMAGE.match(ln):
            kinds.add("macro")
        elif _ONE_LINE_TITLE.match(ln) and i == 0:
            kinds.add("title")
        elif _ENTRY.match(ln) and ln[1:2].islower() and i < 40:  # reST's docinfo fields are capitalised
            kinds.add("entry")
        elif re.match(r"^\S.{0,60}::$", ln) and i + 1 < len(lines) and lines[i + 1][:1] in ("\t", " ") and lines[i + 1].strip():
            kinds.add("term")  # reST puts a blank line between "text::" and its literal block
        elif re.match(r"^(-{4,}|\.{4,})$", ln) and (i == 0 or not lines[i - 1].strip() or _ATTRIBUTES.match(lines[i - 1])):
            close = next((j for j in range(i + 1, len(lines)) if lines[j] == ln), None)
            if close is not None and close - i > 2:  # not a reST overline, its title and its underline
                kinds.add("block")
    return len(kinds) >= 2


def parse_asciidoc(raw: str) -> Markup:
    """The file's items (headings, paragraphs, code) and its title and author."""
    lines = [ln.rstrip() for ln in raw.replace("\t", "        ").split("\n")]
    attributes = dict(_BUILTIN)
    parser = _Parser(attributes)
    parser.run(lines)
    items = [Item(it.kind, it.text if it.kind == "code" else inline(it.text, attributes), it.level) for it in parser.items]
    items = [it for it in items if it.text.strip()]
    title = next((it.text for it in items[:3] if it.kind == "heading"), "")
    return Markup(items=items, title=title, author=attributes.get("author", ""),
                  headings=sum(it.kind == "heading" for it in items), plain=True)


class _Parser:
    def __init__(self, attributes: dict[str, str]):
        self.attributes = attributes
        self.items: list[Item] = []
        self.para: list[str] = []
        self.terms: list[str] = []  # definition terms waiting for their text
        self.style = ""  # the block attribute line above the next block ("verse", "NOTE", ...)

    def run(self, lines: list[str]) -> None:
        i, n = 0, len(lines)
        while i < n:
            line = lines[i]
            stripped = line.strip()
            nxt = lines[i + 1].strip() if i + 1 < n else ""
            if not stripped or stripped == "+":  # "+" joins the next block to a list item: a new paragraph
                self.flush()
                i += 1
                continue
            # comments and conditionals are lines of their own, even inside a paragraph
            if (line.startswith("//") and not line.startswith("////")) or _CONDITIONAL.match(stripped):
                i += 1
                continue
            if not self.para and (m := _ONE_LINE_TITLE.match(line)):
                self.heading(m.group(2), len(m.group(1)))
                # only the document's title has a header below it (author, revision, attribute entries)
                i = self.header(lines, i + 1) if len(m.group(1)) == 1 and len(self.items) == 1 else i + 1
                continue
            if (not self.para and not _DELIMITER.match(stripped) and not _ATTRIBUTES.match(stripped) and _UNDERLINE.match(nxt)
                    and abs(len(nxt) - len(stripped)) <= 2 and len(stripped) >= 2):
                self.heading(stripped, _UNDERLINE_LEVEL[nxt[0]])
                i += 2
                continue
            if _DELIMITER.match(stripped) and (not self.para or stripped != "--"):
                i = self.block(lines, i, stripped)
                continue
            if not self.para:
                if _ATTRIBUTES.match(stripped):
                    self.flush()
                    inner = stripped[1:-1]
                    if not inner.startswith("["):
                        self.style = inner
                    i += 1
                    continue
                if m := _ENTRY.match(stripped):
                    self.entry(m)
                    i += 1
                    continue
                if _MACRO_LINE.match(stripped):
                    i += 1
                    continue
                if m := _IMAGE.match(stripped):
                    self.items.append(Item("para", m.group(2).split(",")[0].strip('" ')))
                    i += 1
                    continue
                if (m := _BLOCK_TITLE.match(stripped)) and nxt:
                    self.items.append(Item("para", m.group(1).strip()))
                    i += 1
                    continue
            if ((m := _TERM.match(stripped)) and not stripped.startswith(("http:", "https:")) and line[:1] != " "
                    and (not self.para or not m.group("text"))):
                self.flush()
                self.terms.append(m.group("term").strip())
                if m.group("text"):
                    self.para.append(m.group("text"))
                i += 1
                continue
            if (m := _ITEM.match(line)) and not _CODE_STYLES.match(f"[{self.style}]"):
                self.flush()
                self.para.append(m.group(1))
                i += 1
                continue
            if not self.para and not self.terms and (line[:1] == " " or _CODE_STYLES.match(f"[{self.style}]")):
                i = self.literal(lines, i)  # an indented paragraph, or a [verse] one: kept line by line
                continue
            self.para.append(stripped)
            i += 1
        self.flush()

    def header(self, lines: list[str], i: int) -> int:
        """The index after a document header's lines below its title: an author line ("Jane Doe
        <jd@example.org>; ..."), a revision line ("v2.0.18, 2022-10-15"), attribute entries, comments."""
        first = True
        while i < len(lines) and lines[i].strip():
            line = lines[i].strip()
            if m := _ENTRY.match(line):
                self.entry(m)
            elif first and not line.startswith(("//", ":")) and not _CONDITIONAL.match(line) and not _DELIMITER.match(line):
                authors = [re.sub(r"\s*<[^>]*>", "", a).strip() for a in line.split(";")]
                self.attributes.setdefault("author", ", ".join(a for a in authors if a))
                first = False
            i += 1
        return i

    def entry(self, m: re.Match) -> None:
        """An attribute entry, its value's own references resolved (":url-repo: {url-org}/asciidoctor")."""
        self.attributes[m.group(1)] = _resolve((m.group(2) or "").strip(), self.attributes)

    def flush(self) -> None:
        if not self.para:
            return
        text = re.sub(r"\s+\+$", "", " ".join(re.sub(r"\s+\+$", "", p) for p in self.para))  # " +": a hard break
        if self.terms:
            text = f"{', '.join(self.terms)}: {text}"
            self.terms = []
        label = self.style.upper() if self.style.upper() in _ADMONITION_STYLES else None
        m = _ADMONITION.match(text)
        if m or label:
            word = (m.group(1) if m else label).capitalize()
            text = f"{word}: {text[m.end():] if m else text}"
        self.items.append(Item("para", text))
        self.para, self.style = [], ""

    def heading(self, title: str, level: int) -> None:
        self.flush()
        self.terms, self.style = [], ""
        self.items.append(Item("heading", title.strip(), level))

    def literal(self, lines: list[str], i: int) -> int:
        """Lines up to the next blank line, as code."""
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        self.code(lines[i:j])
        self.style = ""
        return j

    def code(self, body: list[str]) -> None:
        width = min((len(ln) - len(ln.lstrip()) for ln in body if ln.strip()), default=0)
        text = "\n".join(ln[width:] for ln in body).strip("\n")
        if text.strip():
            if self.terms:  # a term whose definition is a listing: the term stays, as a lead-in
                self.items.append(Item("para", ", ".join(self.terms)))
                self.terms = []
            self.items.append(Item("code", text))

    def block(self, lines: list[str], i: int, mark: str) -> int:
        """The index after the delimited block opening at line i (unclosed: it runs to the end)."""
        self.flush()
        fence = mark.startswith("```")
        close = next((j for j in range(i + 1, len(lines)) if (lines[j].strip() == "```" if fence else lines[j].strip() == mark)),
                     len(lines))
        body = lines[i + 1 : close]
        kind, style = mark[0], self.style
        self.style = ""
        if kind in "-.`" and mark != "--" or _CODE_STYLES.match(f"[{style}]"):
            self.code(body)
        elif kind == "|":
            self.table(body)
        elif kind not in "/+":  # example, sidebar, quote and open blocks hold text
            inner = _Parser(self.attributes)
            inner.terms = self.terms
            self.terms = []
            inner.run(body)
            if style.upper() in _ADMONITION_STYLES and inner.items and inner.items[0].kind == "para":
                inner.items[0].text = f"{style.capitalize()}: {inner.items[0].text}"
            self.items.extend(inner.items)
        return close + 1

    def table(self, body: list[str]) -> None:
        """`|===` rows: cells start with "|"; a row's cells may stand on one line or one per line."""
        cells = [c.strip() for ln in body if ln.strip() for c in re.split(r"(?<!\\)\|", ln)[1:]]
        first = next((ln for ln in body if ln.strip()), "")
        width = max(1, len(re.split(r"(?<!\\)\|", first)) - 1)
        rows = [cells[k : k + width] for k in range(0, len(cells), width)]
        if rows:
            self.items.append(Item("code", "\n".join(pipe_row([inline(c, self.attributes) for c in row]) for row in rows)))


_LINKGIT = re.compile(r"\blinkgit:([\w.-]+)\[(\d)\]")
_XREF = re.compile(r"<<([^,>]+)(?:,\s*([^>]+))?>>")


def _resolve(text: str, attributes: dict[str, str]) -> str:
    """`text` with each "{name}" it refers to replaced by the attribute's value (unknown names stay)."""
    return re.sub(r"\{([\w-]+)\}", lambda m: attributes.get(m.group(1), m.group(0)), text)


def inline(text: str, attributes: dict[str, str] | None = None) -> str:
    """AsciiDoc inline markup to plain text."""
    attributes = attributes or _BUILTIN
    # A backslash keeps a mark literal ("srcref\\'s"): hidden from the rules below, then put back bare.
    text = re.sub(r"\\([*_+#'`])", lambda m: chr(0xE000 + ord(m.group(1))), text)
    text = _resolve(text, attributes)  # before the macros an attribute may spell
    text = _LINKGIT.sub(r"\1(\2)", text)
    text = re.sub(r"\bimage:([^\s\[]*)\[([^\]]*)\]", lambda m: m.group(2).split(",")[0].strip(), text)
    text = re.sub(r"\b(?:link|xref|mailto|pass|kbd|footnote|footnoteref|indexterm2?):([^\s\[]*)\[([^\]]*)\]",
                  lambda m: m.group(2).rstrip("^") or m.group(1), text)  # "text^": opens in a new window
    text = re.sub(r"\b(https?://[^\s\[]+)\[([^\]]*)\]", lambda m: m.group(2).rstrip("^") or m.group(1), text)
    text = _XREF.sub(lambda m: (m.group(2) or m.group(1)).strip(), text)
    text = re.sub(r"\bicon:[^\s\[]*\[[^\]]*\]", "", text)
    text = re.sub(r"\[[.#%][\w.#%-]*\](?=[#*_`])", "", text)  # a role on a phrase: "[.path]_images_"
    text = re.sub(r"``(.+?)''", r'"\1"', text)  # old-style double quotes
    text = re.sub(r"(\*\*|__|##|``)(.+?)\1", r"\2", text)  # unconstrained marks: "**C**reate"
    text = re.sub(r"`\+?([^`]+?)\+?`", r"\1", text)
    for mark in (r"\*", "_", r"\+", "'", "#"):  # constrained marks: not inside a word, no space inside the mark
        text = re.sub(rf"(?<![\w{mark}]){mark}(?=\S)([^\n]*?\S){mark}(?![\w{mark}])", r"\1", text)
    text = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group(0)) - 0xE000), text)
    return re.sub(r"\s{2,}", " ", text).strip()
