"""AsciiDoc: Git's manual pages (.txt) and .adoc files read as AsciiDoc, not as reStructuredText:
titles, listing blocks, definition lists, admonitions, tables and inline markup."""

import glob
from pathlib import Path

import pytest

from rag.ingest.asciidoc import inline, looks_like_asciidoc, parse_asciidoc
from rag.ingest.assemble import DocumentError
from rag.ingest.documents import read_document

ROOT = Path(__file__).resolve().parents[2]
# git-doc 1:2.39.5 (Debian bookworm), /usr/share/doc/git-doc: two manual pages as shipped (GPL-2.0)
GIT = ROOT / "tests" / "fixtures" / "asciidoc"


def paragraphs(doc) -> list[str]:
    return [p.strip() for p in doc.text.split("\n\n")]


def test_git_manual_pages_are_asciidoc_and_other_text_is_not():
    assert looks_like_asciidoc((GIT / "git-clean.txt").read_text())
    assert looks_like_asciidoc((GIT / "git-credential-store.txt").read_text())
    others = (glob.glob(str(ROOT / "eval" / "corpora" / "*" / "docs" / "*.txt")) + glob.glob(str(ROOT / "corpus" / "*.txt"))
              + glob.glob(str(ROOT / "tests" / "fixtures" / "markdown" / "*")))
    assert others
    # reST with docinfo fields and INI-style "[general]" lines, Markdown with rules, plain text: none is AsciiDoc
    assert [f for f in others if looks_like_asciidoc(Path(f).read_text(errors="replace"))] == []


def test_definition_lists_read_as_term_then_text():
    doc = read_document(GIT / "git-clean.txt")
    assert doc.title == "git-clean(1)"
    paras = paragraphs(doc)
    assert "-n, --dry-run: Don't actually remove anything, just show what would be done." in paras
    # a tab-indented definition is text, not code kept line by line
    assert any(p.startswith("-f, --force: If the Git configuration variable clean.requireForce is not set to false, git clean will")
               for p in paras)
    # a definition after a blank line ("clean::\n\n   Start cleaning ...") belongs to its term
    assert "clean: Start cleaning files and directories, and then quit." in paras
    assert "::" not in doc.text and "linkgit" not in doc.text and "gitignore(5)" in doc.text


def test_listing_blocks_are_code_not_titles():
    doc = read_document(GIT / "git-credential-store.txt")
    titles = [s.title for s in doc.sections]
    assert titles == ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "EXAMPLES", "STORAGE FORMAT", "GIT"]
    # the example's lines stay lines; the delimiters and the [[FILES]] anchor are gone
    assert "$ git config credential.helper store\n$ git push http://example.com/repo.git\nUsername:" in doc.text
    assert "-----" not in doc.text and "[[FILES]]" not in doc.text
    assert "Note: Using this helper will store your passwords unencrypted on disk" in doc.text
    assert "~/.git-credentials: User-specific credentials file." in paragraphs(doc)


def test_interactive_listing_keeps_its_columns():
    doc = read_document(GIT / "git-clean.txt")
    assert "1: clean                2: filter by pattern    3: select by numbers" in doc.text
    # the [verse] synopsis is one code block, not a paragraph
    assert "'git clean' [-d] [-f] [-i] [-n] [-q] [-e <pattern>] [-x | -X] [--] [<pathspec>...]" in doc.text


ADOC = """= Backup Guide
:author: Jane Doe
:toc:

// a comment line: no text
== Restoring

[source,shell]
----
restic restore latest --target /srv
----

NOTE: Restores overwrite files.

[TIP]
====
Test restores monthly.
====

.Retention
|===
|Policy |Kept

|daily |7
|weekly |4
|===

Terms:: described in <<glossary,the glossary>> and link:https://example.org/faq[the FAQ].
"""


def test_adoc_file(tmp_path):
    path = tmp_path / "guide.adoc"
    path.write_text(ADOC)
    doc = read_document(path)
    assert doc.title == "Backup Guide" and doc.authors == ("Jane Doe",)
    assert [s.title for s in doc.sections] == ["Restoring"]
    assert "restic restore latest --target /srv" in doc.text
    assert "Note: Restores overwrite files." in doc.text and "Tip: Test restores monthly." in doc.text
    assert "| Policy | Kept |\n| daily | 7 |\n| weekly | 4 |" in doc.text
    assert "Terms: described in the glossary and the FAQ." in doc.text
    assert ":toc:" not in doc.text and "comment line" not in doc.text and "----" not in doc.text


def test_unclosed_block_and_empty_file(tmp_path):
    markup = parse_asciidoc("= T\n\n----\nnever closed\n")
    assert [(i.kind, i.text) for i in markup.items] == [("heading", "T"), ("code", "never closed")]
    empty = tmp_path / "empty.adoc"
    empty.write_text("\n")
    with pytest.raises(DocumentError, match="empty"):
        read_document(empty)


@pytest.mark.parametrize("marked, plain", [
    ("see linkgit:git-gc[1] for more", "see git-gc(1) for more"),
    ("use `git add` and +--all+", "use git add and --all"),
    ("'emphasis' and *strong* and _em_ in a_snake_name", "emphasis and strong and em in a_snake_name"),
    (r"use srcref\'s value", "use srcref's value"),
    ("E.g. \"*.c *.h\" will exclude", "E.g. \"*.c *.h\" will exclude"),
    ("the ``previous checkout syntax''", "the \"previous checkout syntax\""),
    ("{litdd}all and {unknown}", "--all and {unknown}"),
])
def test_inline_markup(marked, plain):
    assert inline(marked) == plain


def test_asciidoctor_header_attributes_and_conditionals(tmp_path):
    # the shape of Asciidoctor's own README.adoc (Debian asciidoctor 2.0.18): author and revision lines,
    # attribute entries that build on each other, comments and conditionals inside the header and the text
    path = tmp_path / "README.adoc"
    path.write_text("= Asciidoctor\nDan Allen <dan@example.org>; Sarah White <sarah@example.org>\nv2.0.18, 2022-10-15\n"
                    "// settings:\n:url-org: https://github.com/asciidoctor\n:url-repo: {url-org}/asciidoctor\n"
                    "ifdef::env-github[]\n:status:\nendif::[]\n\n"
                    "{url-repo}[Asciidoctor^] is a text processor.\nifdef::env-github[]\nIt reads image:badge.svg[Latest Release,link=x].\n"
                    "endif::[]\n\n.Key documentation\n[.compact]\n* link:https://docs.example.org/[Documentation]\n"
                    "* **C**reate and [.path]_images_ and C{pp}\n")
    doc = read_document(path)
    assert doc.title == "Asciidoctor" and doc.authors == ("Dan Allen", "Sarah White")
    assert "Asciidoctor is a text processor. It reads Latest Release." in doc.text
    assert "Documentation" in paragraphs(doc) and "Create and images and C++" in paragraphs(doc)
    assert "ifdef" not in doc.text and "endif" not in doc.text and "url-org" not in doc.text and "v2.0.18" not in doc.text


def test_only_the_document_title_has_a_header():
    # a second "= Part" title's next line is text, not an author line
    markup = parse_asciidoc("= Book\nJane Doe\n\n= Part Two\nThe part opens here.\n")
    assert markup.author == "Jane Doe"
    assert [(i.kind, i.text) for i in markup.items] == [("heading", "Book"), ("heading", "Part Two"), ("para", "The part opens here.")]
