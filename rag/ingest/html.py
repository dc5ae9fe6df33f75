"""HTML documents (and HTML blocks inside Markdown) as headings, paragraphs, code and table rows.

Documentation is most often HTML: Sphinx, DocBook and mdBook output, saved web pages. Only the page's
text counts: the main content when the page marks it (`<main>`, `role="main"`, `<article>`), and never
scripts, styles, navigation, sidebars, tables of contents or permalink marks. `<pre>` stays as code
line by line, and a table as the lines of a pipe table.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from rag.ingest.assemble import pipe_row
from rag.ingest.markdown import _META, Item, Markup

_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "aside", "button", "form", "select", "head"}
# Class or id names that mark navigation and page furniture in Sphinx, DocBook, mdBook, Texinfo ("Next: ...,
# Up: ..." headers, the contents and each section's list of its subsections), SQLite's site menu and tagline
# ("nosearch": what the site keeps out of its own search) and common themes.
_SKIP_CLASS = re.compile(r"^(?:(?:doc|top|side|sub|page)?nav\w*|(?:\w+[-_])?banner|\w*sidebar\w*|related|breadcrumbs?|toc|\w+-toc|headerlink|copiable-(?:anchor|link)|skip-?links?|header|footer|"
                         r"(?:short)?contents|contents_element|element-contents|menu-bar|sidebar-scrollbox|mobile-nav-chapters|"
                         r"(?:main|sub)?menu|tagline|nosearch)$", re.I)
# Footnote reference marks in the running text (Sphinx "footnote-reference", Pandoc "footnote-ref", DocBook
# a/sup "footnote"), and a note's link back: marks, not words ("the project. 1 If one person ...").
_NOTE_MARK = re.compile(r"^(?:footnote-ref(?:erence)?|footnote-back(?:ref)?|fn-backref)$", re.I)
_NOTE_ROLES = {"doc-noteref", "doc-backlink"}
# A footnote's own label (Sphinx <dt class="label">, docutils <span class="label">, mdBook's
# "footnote-definition-label", or a note's opening <sup>, as DocBook's): written "Note 5:" before the
# note's text rather than alone on a line.
_NOTE_LABEL = re.compile(r"^(?:label|footnote-definition-label)$", re.I)
_BLOCK = {"p", "div", "li", "dt", "dd", "blockquote", "section", "article", "main", "figure", "figcaption",
          "header", "footer", "ul", "ol", "dl", "br", "hr", "tr", "details", "summary", "caption", "body", "center"}
# DocBook XSL sets an admonition with its icon as a layout table (summary="Note"): a labelled paragraph, not a table.
_ADMONITIONS = {"note", "tip", "warning", "caution", "important"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source", "track", "embed", "param"}
# A "header" that opens with the page's <h1> is the document's own (AsciiDoc's title and NAME line:
# "git-bisect - Use binary search to find the commit that introduced a bug"), not a site banner.
_DOC_HEADER = re.compile(r"""(?i)<(?:div|header)\b[^>]*\b(?:id|class)=["']header["'][^>]*>\s*<h1\b""")
_MAIN = re.compile(r"(?i)<main\b|role=[\"']main[\"']|<article\b")


class _Reader(HTMLParser):
    """Walks the tags, keeping the text of block elements as items in document order."""

    def __init__(self, main_only: bool, doc_header: bool = False):
        super().__init__(convert_charrefs=True)
        self.doc_header = doc_header
        self.items: list[Item] = []
        self.text: list[str] = []
        self.title, self.author = "", ""
        self.stack: list[tuple[str, bool, bool, bool]] = []  # open elements: (tag, skipped, main content, a footnote)
        self.label: int | None = None  # the depth of the footnote label being read
        self.labelled = False  # a footnote's "Note 5: " is waiting for the note's text
        self.term: int | None = None  # the depth of the <dt> being read
        self.terms: list[str] = []  # a definition list's terms, waiting for their definition
        self.main_only = main_only
        self.in_title = self.pre = 0
        self.table: list[list[str]] | None = None  # rows of cells while inside a table
        self.heading: int | None = None
        self.admonition: int | None = None  # the depth of a DocBook admonition's layout table
        self.bold = 0  # open <b>/<strong> elements; the pieces of self.text read inside them
        self.bold_pieces: set[int] = set()
        self.level = 1  # the last heading's level

    @property
    def skipping(self) -> bool:
        return any(skip for _, skip, _, _ in self.stack) or (self.main_only and not any(m for _, _, m, _ in self.stack))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name", "").lower() == "author" and not self.author:
            self.author = a.get("content", "").strip()
        if tag == "title":
            self.in_title += 1
        if tag in _VOID:
            if tag in ("br", "hr") and not self.skipping:
                self.text.append("\n" if self.pre else " ")
            return
        names = (a.get("class", "") + " " + a.get("id", "")).split()
        note = any("footnote" in n.lower() for n in names) or a.get("role", "").startswith("doc-footnote")
        # docutils 0.18+ puts each footnote in an <aside>, which elsewhere is a sidebar
        skip = (tag in _SKIP_TAGS and not (tag == "aside" and note)) or a.get("role") == "navigation" or any(
            _SKIP_CLASS.match(n) and not (self.doc_header and n.lower() == "header") for n in names)
        if self.label is None and (any(_NOTE_MARK.match(n) for n in names) or a.get("role") in _NOTE_ROLES
                                   or (tag in ("a", "sup") and "footnote" in names)):
            skip = True
        skip = skip or (tag == "th" and self.admonition is not None)  # its label, said once before the text
        self.stack.append((tag, skip, tag in ("main", "article") or a.get("role") == "main", note))
        if self.skipping:
            return
        if self.label is None and any(f for *_, f in self.stack) and (
                any(_NOTE_LABEL.match(n) for n in names) or (tag == "sup" and not "".join(self.text).strip())):
            self.flush()
            self.label = len(self.stack)
            return
        if tag in ("b", "strong"):
            self.bold += 1
        if tag == "dt" and self.table is None:
            self.flush()
            self.term = len(self.stack)
        elif tag == "pre":
            self.flush()
            self.terms_alone()
            self.pre += 1
        elif tag == "table" and self.table is None and a.get("summary", "").lower() in _ADMONITIONS and self.admonition is None:
            self.flush()
            self.terms_alone()
            self.admonition = len(self.stack)
            self.text, self.labelled = [a["summary"].strip().capitalize() + ": "], True  # "Note: ..."
        elif tag == "table" and self.table is None:
            self.flush()
            self.terms_alone()
            self.table = []
        elif self.table is not None and tag == "tr":
            self.table.append([])
        elif self.table is not None and tag in ("td", "th") and self.table:
            self.table[-1].append("")
        elif re.fullmatch(r"h[1-6]", tag):
            self.flush()
            self.terms_alone()
            self.heading = int(tag[1])
        elif tag in _BLOCK and self.table is None:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = max(0, self.in_title - 1)
        if tag in _VOID or not any(t == tag for t, *_ in self.stack):
            return
        skipping = self.skipping
        while self.stack and self.stack.pop()[0] != tag:
            pass
        if skipping:
            return
        if tag in ("b", "strong"):
            self.bold = max(0, self.bold - 1)
        if self.admonition is not None and len(self.stack) < self.admonition:
            self.flush()
            self.admonition, self.labelled = None, False
        if self.term is not None and len(self.stack) < self.term:
            # Texinfo's definition line opens with its category, ": " when the category is empty
            term, self.text, self.term = _squash("".join(self.text)).lstrip(": "), [], None
            self.terms += [term] if term else []
            return
        if self.label is not None and len(self.stack) < self.label:
            number = _squash("".join(self.text)).strip("[]() ")
            # "Note 5:", not "[5]", which would read as a citation of passage 5 in a quoted answer
            self.text = [f"Note {number}: "] if number else []
            self.label, self.labelled = None, bool(number)
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
            code = "".join(self.text).strip("\n")
            self.text = []
            if code.strip():
                self.items.append(Item("code", code))
        elif tag == "table" and self.table is not None:
            # Rows as pipe-table lines, as Markdown tables are kept: on the dev questions a sentence per
            # row ("Level: ERROR; Numeric value: 40.") answered fewer follow-ups (docs/evaluation.md).
            rows = [pipe_row([_squash(c) for c in r]) for r in self.table if any(c.strip() for c in r)]
            if rows:
                self.items.append(Item("code", "\n".join(rows)))
            self.table = None
        elif re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            text = _squash("".join(self.text).replace("\u00b6", ""))
            self.text = []
            if text:
                self.items.append(Item("heading", text, self.heading))
                self.level = self.heading
            self.heading = None
        elif tag in _BLOCK and self.table is None:
            self.flush()

    @property
    def in_cell(self) -> bool:
        """Is the text being read a table cell's (a <pre> inside a table is read as code lines)?"""
        return self.table is not None and bool(self.table) and bool(self.table[-1]) and not self.pre

    def _after_digit(self) -> bool:
        """Does the text read so far (the current table cell's, else the paragraph's) end with a digit?"""
        if self.in_cell:
            return self.table[-1][-1][-1:].isdigit()
        last = next((t for t in reversed(self.text) if t), "")
        return last[-1:].isdigit()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skipping:
            return
        if self.stack and self.stack[-1][0] == "sup" and re.match(r"[\d\-\u2212]", data) and self._after_digit():
            data = "^" + data  # a power: "2<sup>31</sup>-1" is 2^31-1, not the number 231-1
        if self.in_cell:
            self.table[-1][-1] += data
        elif self.table is None or self.pre:
            if self.bold and not self.pre:
                self.bold_pieces.add(len(self.text))
            self.text.append(data)

    def flush(self) -> None:
        if self.pre or self.heading is not None or self.label is not None or self.term is not None:
            return
        if self.labelled and not "".join(self.text[1:]).strip():
            return  # the label's note starts in the next block (<dd>, <p>)
        self.labelled = False
        text = _squash("".join(self.text))
        # A short paragraph all in bold, not a sentence, titles what follows (SQLite's "<p><b>Maximum
        # Depth Of An Expression Tree</b></p>" opening each list item): a heading below the last one.
        titled = (text and not self.terms and len(text.split()) <= 10 and text[-1] not in ".:;,!?" and not _CAPTION.match(text)
                  and all(i in self.bold_pieces for i, t in enumerate(self.text) if t.strip()))
        # bold does not run on past its paragraph: an unclosed <b> must not make the page's rest titles
        self.text, self.bold_pieces, self.bold = [], set(), 0
        if titled:
            self.items.append(Item("heading", text, min(6, self.level + 1)))
        elif text:
            # a definition's first paragraph opens with its terms: "-u, --include-untracked: When used with ..."
            terms = ", ".join(self.terms)
            self.items.append(Item("para", f"{terms}{'' if terms.endswith(':') else ':'} {text}" if terms else text))
            self.terms = []

    def terms_alone(self) -> None:
        """Terms whose definition opens with code or a heading stand as their own paragraph."""
        if self.terms:
            self.items.append(Item("para", ", ".join(self.terms)))
            self.terms = []


def _squash(text: str) -> str:
    return " ".join(text.split())


# A table's, figure's or example's caption (DocBook sets it in bold): the text after the table is no part of it.
_CAPTION = re.compile(r"(?:Table|Figure|Example|Listing)\s+[\dA-Z]")
# A list (without a list inside it) and its items; a link to a place on the same page.
_LIST = re.compile(r"(?is)<(ul|ol)\b[^>]*>((?:(?!<(?:ul|ol)\b).)*?)</\1\s*>")
_LIST_ITEM = re.compile(r"(?is)<li\b[^>]*>(.*?)(?=<li\b|$)")
_PAGE_LINK = re.compile(r"""(?is)<a\b[^>]*\bhref=["']#[^"']*["'][^>]*>.*?</a\s*>""")
_TAG = re.compile(r"(?s)<[^>]*>")


def drop_page_contents(raw: str) -> str:
    """The page without its hand-made table of contents: a list of two or more items that are each only
    links to places on the page (a FAQ's list of its questions, which otherwise reads as the questions
    again without answers). Nested contents go from the inside out."""
    def contents(m: re.Match) -> str:
        items = _LIST_ITEM.findall(m.group(2))
        only_links = len(items) >= 2 and all(
            _PAGE_LINK.search(i) and not _TAG.sub("", _PAGE_LINK.sub("", i)).strip() for i in items)
        return "" if only_links else m.group(0)

    for _ in range(3):
        raw, before = _LIST.sub(contents, raw), raw
        if raw == before:
            break
    return raw


def parse_html(raw: str) -> Markup:
    """An HTML page's items, title (`<title>`, else its first heading) and author (`<meta name=author>`)."""
    raw = drop_page_contents(raw)
    reader = _Reader(main_only=bool(_MAIN.search(raw)), doc_header=bool(_DOC_HEADER.search(raw)))
    reader.feed(raw)
    reader.close()
    reader.flush()
    reader.terms_alone()
    # "<title>Logging HOWTO — Python 3.11 documentation": the page's own name, not the site's.
    title = _squash(reader.title)
    h1 = next((i.text for i in reader.items if i.kind == "heading" and i.level == 1), "")
    title = h1 if h1 and title.startswith(h1) else title.split(" \u2014 ")[0].split(" | ")[0].strip()
    author = reader.author
    for k, item in enumerate(reader.items[:15]):  # a field list: "Author:", then the name (Sphinx, DocBook)
        m = _META.match(item.text) if item.kind == "para" else None
        if m and not author:
            named = [item] if m.group(2).strip() else reader.items[k : k + 2]
            author = named[-1].text if len(named) == 2 else m.group(2)  # split_names drops a "<e-mail>"
            for it in named:
                it.text = ""
    reader.items = _without_empty_sections([i for i in reader.items if i.text.strip()])
    return Markup(items=reader.items, title=title, author=author,
                  headings=sum(i.kind == "heading" for i in reader.items), plain=True)


def _without_empty_sections(items: list[Item]) -> list[Item]:
    """Headings with nothing under them before the next heading of the same or a higher level (what a
    dropped table of contents leaves: "Questions", "General", ...) are no section; the first stays."""
    kept: list[Item] = []
    for k in range(len(items) - 1, -1, -1):  # the page's first heading is its title, kept whatever follows
        item, nxt = items[k], kept[-1] if kept else None
        if k and item.kind == "heading" and (nxt is None or (nxt.kind == "heading" and nxt.level <= item.level)):
            continue
        kept.append(item)
    return kept[::-1]


def html_items(fragment: str) -> list[Item]:
    """The items of an HTML fragment (a block inside a Markdown file)."""
    reader = _Reader(main_only=False)
    reader.feed(fragment)
    reader.close()
    reader.flush()
    reader.terms_alone()
    return reader.items
