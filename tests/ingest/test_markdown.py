"""Markdown and reStructuredText: ATX, setext and reST headings (underlines not in the titles),
heading paths, fenced / indented / literal code kept whole and never taken for headings."""

from pathlib import Path

from rag.ingest.chunking import chunk_document
from rag.ingest.documents import parse_document, read_document
from rag.ingest.markdown import parse_markup

WEBDOCS = Path(__file__).resolve().parents[2] / "eval" / "corpora" / "webdocs" / "docs"
# Node.js 18 doc/api/child_process.md (Debian nodejs): lines 1-28, 168-240 (exec) and 2340-2371 (link definitions)
NODE = Path(__file__).resolve().parents[1] / "fixtures" / "markdown" / "node-child-process.md"


def titles(doc) -> list[str]:
    return [s.title for s in doc.sections]


def count_tokens(text: str) -> int:
    return len(text.split())


def test_setext_headings_in_markdown():
    doc = read_document(WEBDOCS / "openssl-engines.md")
    assert doc.title == "Engines"
    assert "Deprecation Note" in titles(doc) and "How does \"dynamic\" work?" in titles(doc)
    assert not any("---" in t or "===" in t for t in titles(doc))
    assert "-----" not in doc.text and "=====" not in doc.text
    dynamic = next(s for s in doc.sections if s.title == "How does \"dynamic\" work?")
    assert dynamic.heading_path == ("DYNAMIC ENGINES", "How does \"dynamic\" work?")
    assert dynamic.page is None and doc.page_count == 0


def test_setext_mixed_with_atx():
    doc = read_document(WEBDOCS / "postgresql-multicluster.md")
    assert doc.title == "Multi-Version/Multi-Cluster PostgreSQL architecture"
    paths = [s.heading_path for s in doc.sections]
    assert ("Detailed structure", "Configuration hierarchy") in paths  # ### under a --- heading


def test_restructuredtext_underlines_and_overlined_title():
    doc = read_document(WEBDOCS / "urllib2-howto.txt")
    assert doc.title == "HOWTO Fetch Internet Resources Using The urllib Package"
    assert doc.authors == ("Michael Foord",)
    assert {"Introduction", "Data", "Error Codes", "Number 1", "Footnotes"} <= set(titles(doc))
    assert not any("~~~" in t or "===" in t or "---" in t for t in titles(doc))
    error_codes = next(s for s in doc.sections if s.title == "Error Codes")
    assert error_codes.heading_path == ("Handling Exceptions", "HTTPError", "Error Codes")  # = then - then ~
    # A "::" literal block is code, and its comment lines are not headings.
    assert "# create a password manager" not in titles(doc)
    assert not any(t.startswith(("#", "create ", "import ")) for t in titles(doc))
    assert any("urllib.request.urlopen" in doc.text[a:b] for a, b in doc.code_spans)


def test_indented_code_is_code_not_headings():
    doc = read_document(WEBDOCS / "logging-howto.md")
    assert not any(t.startswith(("create ", "add ", "'application'", "INFO:", "DEBUG:", "myapp.py", "mylib.py")) for t in titles(doc))
    assert doc.authors == ("Vinay Sajip",)
    code = [doc.text[a:b] for a, b in doc.code_spans]
    assert any("logger.addHandler(ch)" in c and "\n" in c for c in code)  # lines kept


def test_code_inside_list_items_and_authors_field():
    doc = read_document(WEBDOCS / "sorting-howto.md")
    assert doc.authors == ("Andrew Dalke", "Raymond Hettinger")
    assert titles(doc)[0] == "Sorting Basics"
    code = [doc.text[a:b] for a, b in doc.code_spans]
    assert any(c.startswith(">>> sorted([5, 2, 3, 1, 4])\n[1, 2, 3, 4, 5]") for c in code)


def test_fences_nested_in_a_four_backtick_fence_and_myst_directives():
    doc = read_document(WEBDOCS / "pip-caching.md")
    assert "```" not in doc.text and "{tab}" not in doc.text
    assert "New in version 6.0." in doc.text
    code = [doc.text[a:b] for a, b in doc.code_spans]
    assert "~/.cache/pip" in code and "~/Library/Caches/pip" in code
    assert "pip will also respect `XDG_CACHE_HOME`." in doc.text  # text inside the {tab} fence is text


def test_front_matter_title_and_fenced_code(tmp_path):
    doc = read_document(WEBDOCS / "systemd-uids-gids.md")
    assert doc.title == "Users, Groups, UIDs and GIDs on systemd Systems"
    assert "SPDX-License-Identifier" not in doc.text and "layout: default" not in doc.text


SAMPLE = """Performing Matches
~~~~~~~~~~~~~~~~~~

Intro text that explains matching.

````markdown
Here is how to write a fence:

```python
# not a heading
x = 1
```
````

Second Heading
==============

    # an indented comment, not a heading
    print("hello")  # still code

- item one
- item two

  continuation of item two, not code

      code inside the item

Third
-----

Closing text. Second sentence here.
"""


def test_sample_markdown(tmp_path):
    f = tmp_path / "sample.md"
    f.write_text(SAMPLE, encoding="utf-8")
    doc = read_document(f)
    assert doc.title == "Performing Matches"
    assert "~~~" not in doc.text and "====" not in doc.text
    assert "Second Heading" in titles(doc) and "Third" in titles(doc)
    assert not any("heading" in t and t.startswith("#") for t in titles(doc))
    code = [doc.text[a:b] for a, b in doc.code_spans]
    assert "Here is how to write a fence:\n\n```python\n# not a heading\nx = 1\n```" in code
    assert '# an indented comment, not a heading\nprint("hello")  # still code' in code
    assert "code inside the item" in code
    assert "continuation of item two, not code" in doc.text
    assert not any("continuation" in c for c in code)
    for s in doc.sections:
        assert doc.text[s.start : s.start + len(s.title)] == s.title


def test_a_long_code_block_is_split_at_line_ends_only(tmp_path):
    lines = [f"    value_{i} = compute({i}) + other_value_{i} * 2  # step {i}" for i in range(80)]
    f = tmp_path / "long.md"
    f.write_text("# Long\n\nSome text before the code.\n\n" + "\n".join(lines) + "\n\nText after.\n", encoding="utf-8")
    doc = read_document(f)
    (a, b), = doc.code_spans
    chunks = chunk_document(doc, count_tokens, max_tokens=60, overlap_tokens=10)
    inside = [c for c in chunks if c.start < b and c.end > a]
    assert len(inside) > 1
    for c in inside:
        assert not a < c.start < b or doc.text[c.start - 1] == "\n"
        assert not a < c.end < b or doc.text[c.end] == "\n"
        assert all(ln.startswith("value_") for ln in doc.text[max(a, c.start) : min(b, c.end)].split("\n"))


def test_plain_text_without_markup_keeps_the_old_cleaning():
    body = "First paragraph that is long enough to be body text, " * 5 + "and goes on for a while"
    doc = parse_document(f"Title of a Paper\n\n{body}\n\n12\n\ncontinues here after the page number.", path=Path("x.txt"))
    assert "goes on for a while continues here after the page number." in doc.text
    assert doc.code_spans == () and doc.page_starts == ()


def test_a_code_block_opening_a_list_item_is_code_and_the_fences_after_it_still_pair():
    # pip's configuration page: "- ```" inside a list; reading it as text paired every later fence
    # wrongly, so a note became code and the next heading was lost inside it.
    md = ("# Env\n\n- `PIP_TIMEOUT=60` is the same as `--timeout=60`\n- ```\n  PIP_FIND_LINKS=\"a b\"\n  ```\n\n"
          "  is the same as\n\n  ```\n  --find-links=a --find-links=b\n  ```\n\n"
          "```{note}\nEmpty values are **not** false.\n```\n\n## Precedence\n\nCommand line options win.\n")
    items = [(i.kind, i.text) for i in parse_markup(md, markdown=True).items]
    assert items == [("heading", "Env"), ("para", "`PIP_TIMEOUT=60` is the same as `--timeout=60`"),
                     ("code", 'PIP_FIND_LINKS="a b"'), ("para", "is the same as"), ("code", "--find-links=a --find-links=b"),
                     ("para", "Empty values are **not** false."), ("heading", "Precedence"), ("para", "Command line options win.")]


def test_numbered_titles_and_boxed_text_of_a_plain_text_license(tmp_path):
    # The MPL 2.0 as Mozilla ships it: "1. Definitions" underlined with dashes, and its disclaimers
    # drawn in boxes of asterisks; read as list items and "*" bullets, no section and no whole sentence.
    text = ("Mozilla Public License Version 2.0\n==================================\n\n1. Definitions\n--------------\n\n"
            "1.1. \"Contributor\"\n    means each individual.\n\n" + "*" * 40 + "\n*" + " " * 38 + "*\n"
            "*  6. Disclaimer of Warranty            *\n*  -------------------------           *\n*" + " " * 38 + "*\n"
            "*  Covered Software is provided \"as is\" *\n*  basis, without warranty.            *\n" + "*" * 40 + "\n\n"
            "- 1. not a title\n- two\n")
    path = tmp_path / "mpl-2.0.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert [s.title for s in doc.sections] == ["1. Definitions", "6. Disclaimer of Warranty"]
    assert 'Covered Software is provided "as is" basis, without warranty.' in doc.text
    assert "*" not in doc.text and "---" not in doc.text


def test_markdown_that_renders_as_nothing_is_not_text():
    raw = NODE.read_text(encoding="utf-8")
    text = read_document(NODE).text
    # HTML comments: a page's metadata and Node's YAML history blocks
    assert "<!-- YAML" in raw and "<!--" not in text and "pr-url" not in text and "added: v0.1.90" not in text
    # link reference definitions, and the reference links' brackets
    assert "[`child_process.exec()`]: #" in raw and "]: #" not in text
    assert "[Shell requirements][] and [Default Windows shell][]" in raw.replace("\n    ", " ")
    assert "See Shell requirements and Default Windows shell." in text
    assert "`child_process.exec(command[, options][, callback])`" in text  # a code span keeps its brackets
    assert "primarily provided by the `child_process.spawn()` function:" in text
    assert "\nStability: 2 - Stable\n" in text  # a block quote's text without its "> "
    assert "`maxBuffer` {number} Largest amount of data in bytes allowed on stdout or stderr." in text
    # a code span keeps its brackets: a regex is no reference link
    assert "`.[.][^b].$`" in read_document(WEBDOCS / "regex-howto.md").text


def test_a_rst_file_is_read_as_restructuredtext_even_with_one_title(tmp_path):
    page = tmp_path / "README.rst"  # one title, so as .txt it would be guessed as plain text
    page.write_text("Frobnicator\n===========\n\nThe frobnicator turns widgets. Install it with::\n\n"
                    "    pip install frobnicator\n\nThat is all.\n", encoding="utf-8")
    doc = read_document(page)
    assert doc.title == "Frobnicator" and "Install it with:\n\npip install frobnicator\n\nThat is all." in doc.text
    assert "===" not in doc.text


# Docutils' own reST sources, named .txt as the Docutils FAQ recommends (Debian docutils-doc, excerpts).
DOCUTILS_CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "markdown" / "docutils-config-excerpt.txt"
DOCUTILS_FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "markdown" / "docutils-faq-excerpt.txt"


def test_rest_link_targets_comments_and_reference_marks_render_as_nothing():
    text = read_document(DOCUTILS_CONFIG).text
    # anonymous targets ("__ `stylesheet_path [latex writers]`_", a bare "__") and a named target's address
    assert "__" not in text and "texfaq2html" not in text
    # references by name keep their words: "See also report_level_.", "stylesheet_path__", "`embed_stylesheet`__"
    assert "See also report_level." in text
    assert "Overrides also stylesheet_path." in text and "If embed_stylesheet is False (default)" in text
    assert "`" not in text
    # a comment, even one that comments out a titled section, and its indented body
    assert "python reader" not in text and "Not implemented" not in text and ".." not in text.replace("...", "")
    # a footnote keeps its text, not its ".. [#]" mark
    assert "\n\nDepending on the writer-specific footnote_references setting. The footnote space is trimmed" in text
    assert "Default: severe (4). Options: --halt, --strict.\n\n" in text
    faq = read_document(DOCUTILS_FAQ)
    assert faq.text.startswith("Docutils FAQ (Frequently Asked Questions)")  # the editor's comments are gone
    assert "NOTE TO MAINTAINERS" not in faq.text and "wikipedia" not in faq.text
    assert "Also see What's the official MIME type for reStructuredText data?" in faq.text
    assert "What's the standard filename extension for a reStructuredText file?" in titles(faq)


def test_markdown_keeps_words_ending_in_underscores():
    """Only reST reads "name_" as a reference: Markdown's "`_`" and snake_case_ stay as written."""
    doc = parse_document("# Env\n\nDashes (`-`) have to be replaced with underscores (`_`).\n\nSet max_\n",
                         path=Path("a.md"))
    assert "underscores (`_`)" in doc.text and "max_" in doc.text
