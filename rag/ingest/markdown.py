"""Markdown and reStructuredText structure: headings, code blocks and paragraphs of a text file.

Headings: ATX (`# Title`), setext (a title underlined with `===` or `---`), reStructuredText
underlines in any punctuation (`~~~`, `^^^`, `***` ...) and overlined titles; the underline is not
part of the title. Code: fenced blocks (``` and ~~~, a longer fence holding shorter ones), indented
blocks (four spaces past the enclosing list item) and reST literal blocks (after `::` or
`.. code-block::`); their lines are kept as they are. A MyST directive fence (```{note}) holds text,
not code. Everything else is paragraphs, one per list item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$")
_UNDERLINE = re.compile(r"^([=\-~`:'\"^_*+#<>.])\1{2,}[ \t]*$")
_MD_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_ITEM = re.compile(r"^( *)([-*+\u2022]|\d{1,3}[.)])( +|$)")
_RULE = re.compile(r"^ {0,3}([-*_])[ \t]*(\1[ \t]*){2,}$")
_TARGET = re.compile(r"^(\.\. _[^:]*:.*|\([\w.:-]+\)=|\.\. \|[^|]+\|.*|\.\. \[#?\w*\]\s*$)$")
# reST's anonymous hyperlink target ("__ https://...", "__ `stylesheet_path [latex writers]`_"): renders as nothing.
_ANONYMOUS_TARGET = re.compile(r"^__(?: +\S.*)?$")
# A reST footnote or citation with its text (".. [#] Depending on ...", ".. [1] ..."): the text stays, the mark goes.
_FOOTNOTE = re.compile(r"^\.\. \[#?[\w-]*\] +(?=\S)")
# What else an explicit markup start holds is a reST comment (not a directive, target or footnote).
_COMMENT = re.compile(r"^\.\.(?: |$)")
_DIRECTIVE = re.compile(r"^\.\. ([\w:-]+)::\s*(.*)$")
_MYST = re.compile(r"^\{([\w:-]+)\}\s*(.*)$")
_META = re.compile(r"^:?(authors?|by)\s*:\s*(.*)$", re.I)
_CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "literalinclude", "parsed-literal", "doctest", "testcode", "math"}
# CommonMark's HTML blocks that hold document text (a table, a figure, a details box), not inline tags.
# Markdown that renders as nothing: an HTML comment (Node.js's "<!-- YAML added: v0.1.90 -->" blocks) and
# a link reference definition ("[`util.promisify()`]: util.md#utilpromisifyoriginal").
_COMMENT_OPEN = re.compile(r"^ {0,3}<!--")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*\S+")
_QUOTE = re.compile(r"^ {0,3}> ?")
_HTML_BLOCK = re.compile(r"(?i)^<(table|div|p|details|section|article|blockquote|figure|center|dl|ul|ol|h[1-6]|pre)\b[^>]*>?")
_VERSIONS = {"versionadded": "New in version", "versionchanged": "Changed in version", "deprecated": "Deprecated since version"}


@dataclass
class Item:
    kind: str  # "para" | "heading" | "code"
    text: str
    level: int = 0


@dataclass
class Markup:
    items: list[Item]
    title: str = ""  # from YAML front matter
    author: str = ""  # from front matter or an "Author:" field
    headings: int = 0  # headings written in markup (not guessed)
    plain: bool = False  # the items are plain text already (HTML): no inline markup to strip
    rest: bool = False  # reStructuredText: "name_" and "`a phrase`__" are references


def parse_markup(raw: str, *, markdown: bool, rest: bool = False) -> Markup | None:
    """The file's items, or None for a text file with no reST/setext headings (it is cleaned as
    plain text, like PDF-to-text output). `markdown`: a .md file (indented code, ATX, fences);
    `rest`: a .rst file, read as reStructuredText whatever it holds."""
    lines = raw.split("\n")
    title = author = ""
    if markdown and lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, min(len(lines), 60)) if lines[i].strip() in ("---", "...")), None)
        if end:
            for ln in lines[1:end]:
                key, _, value = ln.partition(":")
                if key.strip().lower() == "title":
                    title = value.strip().strip("\"'")
                elif key.strip().lower() in ("author", "authors"):
                    author = value.strip().strip("\"'[]")
            lines = lines[end + 1 :]
    rest = rest or (not markdown and _looks_like_rest(lines))
    if not markdown and not rest:
        return None
    parser = _Parser(markdown=markdown)
    parser.run(lines)
    markup = Markup(items=parser.items, title=title, author=author, headings=sum(i.kind == "heading" for i in parser.items),
                    rest=rest)
    for item in markup.items[:15]:  # "Author: Andrew Dalke and Raymond Hettinger", ":Author: Michael Foord"
        m = _META.match(item.text) if item.kind == "para" else None
        if m and not markup.author and m.group(2).strip():
            markup.author = m.group(2).strip()
            item.text = ""
    markup.items = [i for i in markup.items if i.text.strip()]
    return markup


def _html_block_end(lines: list[str], i: int) -> int:
    """Where an HTML block starting at line i ends: at a blank line (CommonMark), but a table or a
    preformatted block runs to its closing tag."""
    closing = re.match(r"(?i)<(table|pre)\b", lines[i].strip())
    j = i
    while j < len(lines):
        if closing and re.search(rf"(?i)</{closing.group(1)}>", lines[j]):
            return j + 1
        if not closing and not lines[j].strip():
            return j
        j += 1
    return j


def _looks_like_rest(lines: list[str]) -> bool:
    """Two or more titles underlined (or overlined) with punctuation, or reST directives."""
    underlined = sum(
        1 for a, b in zip(lines, lines[1:])
        if a.strip() and not _UNDERLINE.match(a.strip()) and _UNDERLINE.match(b.strip()) and len(b.strip()) >= min(len(a.strip()), 3)
    )
    directives = sum(1 for ln in lines if _DIRECTIVE.match(ln))
    return underlined >= 2 or (underlined >= 1 and directives >= 1)


class _Parser:
    def __init__(self, markdown: bool):
        self.markdown = markdown
        self.items: list[Item] = []
        self.para: list[str] = []
        self.levels: dict[str, int] = {}  # reST: heading style -> level, in order of appearance

    def run(self, lines: list[str]) -> None:
        i, n = 0, len(lines)
        lists: list[int] = []  # content columns of the open list items
        while i < n:
            line = lines[i].rstrip()
            stripped = line.strip()
            indent = len(line) - len(line.lstrip(" ")) if line.strip() else 0
            if not stripped:
                self.flush()
                i += 1
                continue
            fence = _FENCE.match(line) if (not self.para or self.markdown) else None
            if fence and fence.group(2)[0] == "~" and self.para and len(self.para) == 1:
                fence = None  # "Title\n~~~~~" is an underline, not a fence
            if fence:
                i = self.fenced(lines, i, fence, len(fence.group(1)))
                continue
            if self.markdown and not self.para and (_COMMENT_OPEN.match(line) or _LINK_DEFINITION.match(line)):
                i = self.unrendered(lines, i)
                continue
            if self.markdown and _QUOTE.match(line):  # a block quote's text, without its "> " marks
                line = _QUOTE.sub("", line)
                stripped = line.strip()
            nxt = lines[i + 1].rstrip() if i + 1 < n else ""
            heading = self.heading(lines, i, line, nxt)
            if heading is not None:
                i = heading
                lists.clear()
                continue
            target = _TARGET.match(stripped) or (not self.markdown and _ANONYMOUS_TARGET.match(stripped))
            if target or (_RULE.match(line) and not self.para):
                self.flush()
                i += 1
                # a target's address may go on indented on the next lines (".. _TeX input path:\n   http://...")
                while target and indent == 0 and i < n and lines[i].strip() and lines[i][:1] in " \t":
                    i += 1
                continue
            if not self.markdown and _FOOTNOTE.match(stripped):
                self.flush()
                stripped = _FOOTNOTE.sub("", stripped)
            directive = _DIRECTIVE.match(stripped) if not self.markdown else None
            if directive:
                i = self.directive(lines, i, directive)
                continue
            if not self.markdown and _COMMENT.match(stripped):  # ".. NOTE TO MAINTAINERS: ..." renders as nothing
                self.flush()  # with its indented body, blank lines and all ("..": an empty comment, no body)
                j = i = i + 1
                while stripped != ".." and j < n and (not lines[j].strip() or lines[j][:1] in " \t"):
                    j += 1
                    i = j if lines[j - 1].strip() else i
                continue
            # Indented code: after a blank line, four columns past the enclosing list item's text.
            base = next((c for c in reversed(lists) if indent >= c), None)
            start_of_block = not self.para
            if start_of_block and self.markdown and indent >= (base if base is not None else 0) + 4:
                i = self.indented(lines, i, (base or 0) + 4)
                continue
            if start_of_block and not self.markdown and indent > 0 and self.items and self.items[-1].kind == "literal":
                i = self.indented(lines, i, indent)
                continue
            if start_of_block and self.markdown and stripped.startswith("|"):  # a pipe table: rows kept as lines
                j = i
                while j < n and lines[j].strip().startswith("|"):
                    j += 1
                self.items.append(Item("code", "\n".join(ln.strip() for ln in lines[i:j])))
                i = j
                continue
            if start_of_block and self.markdown and _HTML_BLOCK.match(stripped):  # raw HTML: its text, tables as rows
                j = _html_block_end(lines, i)
                from rag.ingest.html import html_items  # html builds this module's Items

                self.items += html_items("\n".join(lines[i:j]))
                i = j
                continue
            item = _ITEM.match(line)
            if item and not (item.group(2)[0].isdigit() and self.para and not self.markdown):
                self.flush()
                while lists and lists[-1] > indent:
                    lists.pop()
                lists.append(len(item.group(0)) if item.group(3) else indent + 2)
                body = line[item.end():].strip()
                fence = _FENCE.match(body) if self.markdown else None
                if fence:  # "- ```": a code block as the item's first line, closed at the item's indent
                    i = self.fenced(lines, i, fence, lists[-1])
                    continue
                marker = item.group(2)
                self.para.append(f"{marker} {body}" if marker[0].isdigit() else body)
                i += 1
                continue
            if start_of_block and lists and indent < lists[0]:
                lists.clear()
            self.para.append(stripped)
            i += 1
        self.flush()
        self.items = [it for it in self.items if it.kind != "literal"]

    # --- pieces --------------------------------------------------------------------

    def flush(self) -> None:
        if self.para:
            text = " ".join(self.para)
            if not self.markdown and text.endswith("::"):  # reST: "as follows::" opens a literal block
                body = text[:-2]
                text = body.rstrip() if body.endswith(" ") or not body else body + ":"  # "e.g. ::" -> "e.g."
                self.items.append(Item("para", text))
                self.items.append(Item("literal", ""))
            else:
                self.items.append(Item("para", text))
            self.para = []

    def unrendered(self, lines: list[str], i: int) -> int:
        """The index after the comment or the link definitions starting at line i."""
        if _COMMENT_OPEN.match(lines[i]):
            end = next((j for j in range(i, len(lines)) if "-->" in lines[j]), len(lines) - 1)
            return end + 1
        while i < len(lines) and _LINK_DEFINITION.match(lines[i]):
            i += 1
        return i

    def heading(self, lines: list[str], i: int, line: str, nxt: str) -> int | None:
        """The index after a heading that starts at line i, or None."""
        stripped = line.strip()
        if not self.markdown and _COMMENT.match(stripped):  # explicit markup (a commented-out title too) is no title
            return None
        if self.markdown:
            m = _ATX.match(line)
            if m:
                self.flush()
                self.items.append(Item("heading", (m.group(2) or "").strip(), len(m.group(1))))
                return i + 1
        # reST overline + title + underline
        if not self.para and _UNDERLINE.match(stripped) and i + 2 < len(lines):
            title, under = lines[i + 1].strip(), lines[i + 2].strip()
            if title and under == stripped and len(stripped) >= len(title):
                self.flush()
                self.items.append(Item("heading", title, self.level(stripped[0] * 2)))
                return i + 3
        # setext / reST underline below a one-line paragraph
        if not self.para and stripped and not _UNDERLINE.match(stripped):
            under = nxt.strip()
            ok = (_MD_UNDERLINE.match(nxt) is not None) if self.markdown else (_UNDERLINE.match(under) is not None)
            if self.markdown and not ok and _UNDERLINE.match(under) and under[0] in "~^*+":
                ok = True  # reST-style underline in a .md file
            item = _ITEM.match(line)
            # "1. Definitions" over a line of dashes as long is a numbered title (the MPL), not a list item.
            numbered_title = bool(item) and item.group(2)[0].isdigit() and len(under) >= len(stripped)
            if ok and len(under) >= max(2, min(len(stripped), 3)) and (not item or numbered_title):
                level = {"=": 1, "-": 2}.get(under[0], 3) if self.markdown else self.level(under[0])
                self.items.append(Item("heading", stripped, level))
                return i + 2
        return None

    def level(self, style: str) -> int:
        """reST: the first heading style seen is level 1, the next new one level 2, ..."""
        return self.levels.setdefault(style, len(self.levels) + 1)

    def fenced(self, lines: list[str], i: int, fence: re.Match, indent: int = 0) -> int:
        self.flush()
        mark, info = fence.group(2), fence.group(3).strip()
        close = re.compile(rf"^ {{0,{indent + 3}}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), len(lines))
        body = [ln[min(indent, len(ln) - len(ln.lstrip(" "))):] for ln in lines[i + 1 : end]]  # out of its list item
        myst = _MYST.match(info)
        if myst and myst.group(1) not in _CODE_DIRECTIVES:  # a MyST directive: its body is markdown
            name, arg = myst.group(1), myst.group(2).strip()
            body = [ln for ln in body if not re.match(r"^:\w[\w-]*:", ln)]  # directive options
            if arg:
                self.items.append(Item("para", f"{_VERSIONS[name]} {arg}." if name in _VERSIONS else arg))
            self.run_nested(body)
        else:
            code = "\n".join(body).strip("\n")
            if code.strip():
                self.items.append(Item("code", code))
        return end + 1

    def run_nested(self, body: list[str]) -> None:
        inner = _Parser(self.markdown)
        inner.levels = self.levels
        inner.run(body)
        self.items.extend(inner.items)

    def indented(self, lines: list[str], i: int, cut: int) -> int:
        """A code block: lines indented at least `cut` columns (blank lines inside it kept)."""
        if self.items and self.items[-1].kind == "literal":
            self.items.pop()
        body: list[str] = []
        j = i
        while j < len(lines):
            ln = lines[j].rstrip()
            if ln and len(ln) - len(ln.lstrip(" ")) < cut:
                break
            body.append(ln[cut:] if ln else "")
            j += 1
        while body and not body[-1]:
            body.pop()
            j -= 1
        self.items.append(Item("code", "\n".join(body)))
        return j

    def directive(self, lines: list[str], i: int, m: re.Match) -> int:
        """`.. name:: argument` and its indented body: code for code directives, text otherwise."""
        self.flush()
        name, arg = m.group(1), m.group(2).strip()
        j, body = i + 1, []
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
            body.append(lines[j])
            j += 1
        body = [ln for ln in body if not re.match(r"^\s+:[\w-]+:", ln)]  # directive options
        width = min((len(ln) - len(ln.lstrip()) for ln in body if ln.strip()), default=0)
        body = [ln[width:] for ln in body]
        if name in _CODE_DIRECTIVES:
            code = "\n".join(body).strip("\n")
            if code.strip():
                self.items.append(Item("code", code))
        else:
            if arg and name not in ("image", "figure", "toctree", "highlight", "index", "include"):
                self.items.append(Item("para", arg))
            if name not in ("toctree", "highlight", "index", "include", "image"):
                self.run_nested(body)
        return j
