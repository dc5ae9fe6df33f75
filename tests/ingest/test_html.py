"""HTML pages: real Sphinx and DocBook output read as text with headings, code and tables."""

import re
import shutil
from pathlib import Path

import pytest

from rag.ingest.assemble import DocumentError
from rag.ingest.documents import read_document
from rag.ingest.html import parse_html
from rag.ingest.markdown import parse_markup
from rag.wiring import Pipeline

from tests.conftest import make_settings

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"
SPHINX = HTML / "python-sorting-howto.html"  # python3-doc 3.11: Sorting HOW TO
DOCBOOK = HTML / "debian-faq-pkg-basics.html"  # debian-faq 11.1: chapter 7
TEXINFO = HTML / "bash-texinfo.html"  # bash-doc 5.2 bashref.html (Texinfo 6.8), its first 410 lines
# debian-policy 4.6.2.0 policy.html/ch-binary.html (Sphinx): lines 1-68, 149-181 (3.3) and 381-511 (its notes)
POLICY = HTML / "debian-policy-binary.html"
PUBLICAN = HTML / "securing-debian-chroot.html"  # harden-doc 3.19 en-US/chroot.html (Publican DocBook), whole
# octave-doc 7.3.0 octave.html/Validating-the-number-of-Arguments.html (Texinfo 6.8 "def" lines), whole
TEXINFO_DEF = HTML / "octave-texinfo-def.html"
# debian-reference-en 2.100 ch04.en.html (DocBook XSL): lines 1-464 (4.1 and 4.2), closed
DOCBOOK_NOTES = HTML / "debian-reference-auth.html"
ASCIIDOC = HTML / "git-bisect-asciidoc.html"  # git-doc 2.39 git-bisect.html (AsciiDoc): lines 1-791 and its footer


def test_a_sphinx_page_keeps_its_text_headings_and_code_and_drops_the_page_furniture():
    raw = SPHINX.read_text(encoding="utf-8")
    doc = read_document(SPHINX)
    assert doc.title == "Sorting HOW TO" and doc.authors == ("Andrew Dalke", "Raymond Hettinger")
    assert [s.title for s in doc.sections][:3] == ["Sorting Basics", "Key Functions", "Operator Module Functions"]
    assert "It returns a new sorted list:\n\n>>> sorted([5, 2, 3, 1, 4])\n[1, 2, 3, 4, 5]" in doc.text
    for furniture in ("Previous topic", "Quick search", "Table of Contents", "Report a Bug", "\u00b6"):
        assert furniture in raw and furniture not in doc.text  # sidebar, search box, permalinks
    assert not re.search(r"</?(?:div|span|a|p|pre|code|h\d)\b", doc.text)  # no markup left


def test_a_docbook_chapter_without_a_main_element_drops_its_navigation_and_contents():
    doc = read_document(DOCBOOK)
    assert doc.title == "Chapter 7. Basics of the Debian package management system"
    assert [s.title for s in doc.sections][0] == "7.1. What is a Debian package?"
    assert doc.text.startswith("Chapter 7.") and "Navigation" not in doc.text
    assert "Prev" not in doc.text.split() and "Next" not in doc.text.split()
    assert doc.text.count("7.1. What is a Debian package?") == 1  # the chapter's contents list is gone


def test_a_faqs_list_of_its_questions_is_a_table_of_contents():
    """GNU gettext's FAQ (gettext-doc) opens with its questions as links to their answers: read as text, every
    question appeared twice, once without its answer, and a question outranked its own answer."""
    page = """<html><head><title>GNU gettext FAQ</title></head><body>
<h1 style="text-align: center;">Frequently Asked Questions<br>for GNU gettext</h1>
<h1 style="text-align: center;">Questions</h1>
<h3>General</h3>
<ul>
  <li><a href="#general_mailinglist">Where is the mailing list?</a></li>
  <li><a href="#general_source">Where is the newest gettext source?</a></li>
</ul>
<h3>Other</h3>
<ul>
  <li><a href="#integrating_abuse_gettextize">gettextize adds multiple references to <span
 style="font-family: monospace;">Makefile.am</span> and </a><span
 style="font-family: monospace;"><a href="#integrating_abuse_gettextize">configure.ac</a><br></span></li>
  <li><a href="#windows_woe32">What does Woe32 mean?</a></li>
</ul>
<h1 style="text-align: center;">Answers</h1>
<h3>General</h3>
<h4><a name="general_mailinglist"></a>Where is the mailing list?</h4>
<p>Three mailing lists are available:</p>
<ul><li><a href="https://lists.gnu.org/">bug-gettext</a> for bugs</li><li><a href="#general_source">the source</a>, below</li></ul>
<h4><a name="general_source"></a>Where is the newest gettext source?</h4>
<p>The newest gettext release is available on ftp.gnu.org.</p>
</body></html>"""
    text = "\n".join(i.text for i in parse_html(page).items)
    assert text.count("Where is the mailing list?") == 1 and "Woe32" not in text and "Makefile.am" not in text
    assert text.startswith("Frequently Asked Questions for GNU gettext\nAnswers\nGeneral\nWhere is the mailing list?")
    assert "Questions\n" not in text and "Other" not in text  # the headings the contents leave empty
    # a list with one link elsewhere or words beside its links is content
    assert "bug-gettext for bugs" in text and "the source, below" in text


def test_sqlites_hand_written_pages_keep_their_powers_titles_and_no_site_menu():
    """SQLite's documentation (sqlite3-doc): the site menu and tagline sit in a "nosearch" block, a power is a
    <sup> ("2<sup>31</sup>-1", which read as the number 231-1), and each limit's title is a bold paragraph."""
    page = """<html><head><title>Implementation Limits For SQLite</title></head><body>
<div class=nosearch><div class="tagline desktoponly">Small. Fast. Reliable.<br>Choose any three.</div>
<div class="menu mainmenu"><ul><li><a href="index.html">Home</a><li><a href='about.html'>About</a></ul></div></div>
<h1>Limits In SQLite</h1>
<ol>
<li><p><b>Maximum length of a string or BLOB</b></p>
<p>The current implementation will only support a string or BLOB length up to 2<sup>31</sup>-1 or 2147483647.</p>
<li><p><b>Maximum Depth Of An Expression Tree</b></p>
<p>The current implementation has a default value of 1000.</p>
</ol>
<p class="title"><b>Table 2.1. Basic cost components</b></p>
<p><b>Note</b> that a bold word opening a sentence is no title, see note<sup>2</sup>.</p>
</body></html>"""
    items = parse_html(page).items
    text = "\n".join(i.text for i in items)
    assert "Small. Fast." not in text and "Home" not in text
    assert "up to 2^31-1 or 2147483647." in text and "see note2." in text  # a footnote mark is no power
    headings = [i.text for i in items if i.kind == "heading"]
    assert headings == ["Limits In SQLite", "Maximum length of a string or BLOB", "Maximum Depth Of An Expression Tree"]
    assert [i.level for i in items if i.kind == "heading"] == [1, 2, 2]


def test_a_page_keeps_tables_as_rows_and_code_as_lines_without_scripts_or_styles():
    page = ("<html><head><title>Levels | Site</title><style>td{color:red}</style></head><body>"
            "<script>var x = 1;</script><h1>Levels</h1><p>The numeric values are in the table.</p>"
            "<table><tr><th>Level</th><th>Numeric value</th></tr><tr><td><code>ERROR</code></td><td>40</td></tr>"
            "<tr><td>a|b</td><td>\n 10 </td></tr></table><pre>x = 1\n  y = 2</pre></body></html>")
    markup = parse_html(page)
    assert markup.title == "Levels"
    assert [(i.kind, i.text) for i in markup.items] == [
        ("heading", "Levels"), ("para", "The numeric values are in the table."),
        ("code", "| Level | Numeric value |\n| ERROR | 40 |\n| a\\|b | 10 |"), ("code", "x = 1\n  y = 2"),
    ]


def test_html_blocks_in_markdown_are_read_as_text():
    md = ("# Logging\n\n<table>\n<tr><th>Task</th><th>Tool</th></tr>\n\n"
          "<tr><td>Report events</td><td><code>logging.info()</code></td></tr>\n</table>\n\n"
          "<div align=\"center\">\n<b>Centered</b> note\n</div>\n\nAfter.\n")
    items = [(i.kind, i.text) for i in parse_markup(md, markdown=True).items]
    assert items == [("heading", "Logging"), ("code", "| Task | Tool |\n| Report events | logging.info() |"),
                     ("para", "Centered note"), ("para", "After.")]


def test_a_page_in_another_charset_is_read_as_its_meta_says(tmp_path):
    page = tmp_path / "old.html"
    page.write_bytes('<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><p>Caf\xe9 cr\xe8me.</p></body></html>'
                     .encode("latin-1"))
    assert read_document(page).text == "Caf\u00e9 cr\u00e8me."
    bad = tmp_path / "bad.html"
    bad.write_bytes(b"<p>caf\xe9</p>")
    with pytest.raises(DocumentError, match="UTF-8"):
        read_document(bad)


@pytest.mark.slow
def test_an_html_page_is_ingested_and_answers_with_a_citation(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SPHINX, docs / SPHINX.name)
    pipe = Pipeline(make_settings(tmp_path / "data", docs))
    assert pipe.ingestor.ingest().added == [SPHINX.name]
    answer = pipe.answerer.ask("Which built-in function builds a new sorted list from an iterable?")
    assert not answer.abstained and "sorted()" in answer.answer
    assert answer.citations[0].source == SPHINX.name and answer.citations[0].title == "Sorting HOW TO"


def test_a_page_with_no_text_or_broken_markup_is_refused_or_read_without_crashing(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>alert(1)</script><nav>Home</nav></body></html>", encoding="utf-8")
    with pytest.raises(DocumentError, match="no text"):
        read_document(empty)
    broken = tmp_path / "broken.html"
    broken.write_text("<p>unclosed <b>bold <table><tr><td>x<td>y</table> <div><p>one<p>two</div>", encoding="utf-8")
    assert read_document(broken).text == "unclosed bold\n\n| x | y |\n\none\n\ntwo"


def test_an_html_man_pages_minus_entities_read_as_typed(tmp_path):
    page = tmp_path / "bash.html"  # groff -Thtml writes options with &minus;
    page.write_text("<html><head><title>BASH</title></head><body><h1>BASH</h1><p>Run bash &minus;&minus;login "
                    "to read &#732;/.profile first.</p></body></html>", encoding="utf-8")
    assert "Run bash --login to read ~/.profile first." in read_document(page).text


def test_a_texinfo_manual_drops_its_node_navigation_and_contents():
    doc = read_document(TEXINFO)
    assert doc.title == "Bash Reference Manual"
    assert [s.title for s in doc.sections] == ["Bash Features", "1 Introduction", "1.1 What is Bash?", "1.2 What is a shell?"]
    assert "Next:" not in doc.text and "[Contents][Index]" not in doc.text  # each node's "Next: ..., Up: ..." header
    assert "3.2.6 Coprocesses" not in doc.text  # the table of contents, and each section's list of its subsections
    assert "Bash is the shell, or command language interpreter, for the GNU operating system." in doc.text


def test_a_publican_page_drops_its_prev_next_bars():
    raw = PUBLICAN.read_text(encoding="utf-8")
    doc = read_document(PUBLICAN)
    assert doc.title == "5.10. General chroot and suid paranoia" and doc.text.startswith("5.10. General chroot")
    assert 'class="docnav' in raw and "Securing Debian Manual" in raw
    for furniture in ("Prev", "Next", "Up", "Home", "Securing Debian Manual"):
        assert furniture not in doc.text.split("\n\n")[0] and furniture not in doc.text.split("\n\n")[-1]
    assert "Prev" not in doc.text and "5.11. General cleartext password paranoia" not in doc.text
    # the Debian Administrator's Handbook (Publican too) opens every page with a banner
    handbook = parse_html('<body><div id="banner"><a href="http://debian-handbook.info/get/"><span class="text">'
                          'Download the ebook</span></a></div><h1>6.2. apt-get</h1><p>APT is a vast project.</p></body>')
    assert [i.text for i in handbook.items] == ["6.2. apt-get", "APT is a vast project."]


def test_footnote_marks_leave_the_text_and_each_note_opens_with_its_number():
    policy = read_document(POLICY).text
    # the reference mark "1" had split a sentence: "... agreed on by the project. 1 If one person ..."
    assert "commonly agreed on by the project. If one person or team maintains several packages" in policy
    assert "\n\nNote 5: Debconf or another tool that implements" in policy  # was "5" alone on a line
    assert re.search(r"(?m)^\d+$", policy) is None
    chroot = read_document(PUBLICAN).text  # DocBook's mark is "[42]" in a <sup class="footnote">
    assert "will not come, however, chrooted per default." in chroot
    assert "\n\nNote 42: It does try to run them under minimum priviledge" in chroot
    pandoc = parse_html('<p>Text<a href="#fn1" class="footnote-ref" id="fnref1" role="doc-noteref"><sup>1</sup></a>'
                        ' goes on.</p><section class="footnotes" role="doc-endnotes"><ol><li id="fn1"><p>The note.'
                        '<a href="#fnref1" class="footnote-back" role="doc-backlink">\u21a9\ufe0e</a></p></li></ol></section>')
    assert [i.text for i in pandoc.items] == ["Text goes on.", "The note."]
    mdbook = parse_html('<p>Text<sup class="footnote-reference"><a href="#n">1</a></sup> goes on.</p><div class='
                        '"footnote-definition" id="n"><sup class="footnote-definition-label">1</sup><p>The note.</p></div>')
    assert [i.text for i in mdbook.items] == ["Text goes on.", "Note 1: The note."]
    docutils = parse_html('<aside class="footnote brackets" id="f1" role="doc-footnote"><span class="label"><span class='
                          '"fn-bracket">[</span><a role="doc-backlink" href="#r1">1</a><span class="fn-bracket">]</span>'
                          '</span><p>The note.</p></aside><p>A <span class="label">badge</span> stays.</p>')
    assert [i.text for i in docutils.items] == ["Note 1: The note.", "A badge stays."]


def test_a_footnote_of_a_sphinx_page_answers_with_its_text(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(POLICY, docs / POLICY.name)
    pipe = Pipeline(make_settings(tmp_path / "data", docs))
    pipe.ingestor.ingest()
    answer = pipe.answerer.ask("Where can I find the detailed procedure for gracefully orphaning a package?")
    assert not answer.abstained and "Developer" in answer.answer and "Reference" in answer.answer
    assert "[2]" not in answer.answer  # the note's number is no citation


def test_an_asciidoc_page_keeps_the_name_line_its_header_holds():
    raw = ASCIIDOC.read_text(encoding="utf-8")
    doc = read_document(ASCIIDOC)
    assert '<div id="header">' in raw and doc.title == "git-bisect(1)"
    # the header holds the title and NAME; a site's banner header holds no <h1> and is still dropped
    assert "git-bisect - Use binary search to find the commit that introduced a bug" in doc.text
    assert [s.title for s in doc.sections][:3] == ["NAME", "SYNOPSIS", "DESCRIPTION"]
    assert "Last updated" in raw and "Last updated" not in doc.text  # the footer
    banner = parse_html('<div id="header"><a href="/">Site</a> <a href="/blog">Blog</a></div><h1>Page</h1><p>Text.</p>')
    assert [i.text for i in banner.items] == ["Page", "Text."]


def test_a_definition_opens_with_its_terms():
    # git-stash(1) (AsciiDoc): the option names are <dt>s, its effect the <dd>; read apart, an answer
    # quoted "all untracked files are also stashed" without saying which option does it
    page = parse_html('<dl><dt class="hdlist1">-u</dt><dt class="hdlist1">--include-untracked</dt><dd><p>When used '
                      'with the push and save commands, all untracked files are also stashed.</p><p>More.</p></dd>'
                      '<dt>--example</dt><dd><pre>git stash -u</pre></dd></dl><p>After.</p>')
    assert [i.text for i in page.items] == [
        "-u, --include-untracked: When used with the push and save commands, all untracked files are also stashed.",
        "More.", "--example", "git stash -u", "After."]
    faq = read_document(DOCBOOK).text  # debian-faq's maintainer scripts are a <dl> too
    assert "\n\npostinst: This script typically completes any required configuration of the package" in faq
    assert "\n\nRelease: 0.1\n\n" in read_document(SPHINX).text  # a field list: "Release:" then its value


def test_a_texinfo_definition_line_reads_as_its_signature():
    # <dt><span class="category">: </span>... narginchk (minargs, maxargs)<a class="copiable-anchor">¶</a></dt>
    doc = read_document(TEXINFO_DEF)
    assert "\n\nnarginchk (minargs, maxargs): Check for correct number of input arguments.\n\n" in doc.text
    assert "\u00b6" not in doc.text and "\n\n:" not in doc.text


def test_a_docbook_admonition_is_a_labelled_paragraph():
    # DocBook XSL sets each Note/Warning as a layout table (icon cell, "Note" header, the text), which was read
    # as a two-row table ("|  | Note |" / "| /etc/gshadow provides ... |"): code, not prose, and never a sentence
    doc = read_document(DOCBOOK_NOTES)
    assert ('\n\nNote: "/etc/gshadow" provides the similar function as "/etc/shadow" for "/etc/group" but is not '
            'really used.\n\n') in doc.text
    assert "\n\nWarning: Configuration errors of PAM may lock you out of your own system." in doc.text
    assert "| Note |" not in doc.text and "|  |" not in doc.text
    # a real table stays a table
    assert "| command | function |\n| getent passwd user_name | browse account information of" in doc.text
