"""Real PDFs (pages cut from eval/corpora/manuals/docs, see tests/fixtures/pdf/make_fixtures.py):
words spaced right, pages and heading paths on sections and chunks, contents pages, running headers
and slide footers gone, title and authors, scanned pages counted, encrypted files refused."""

import re
from pathlib import Path

import pytest

from rag.domain import Chunk
from rag.index.vectors import _metadata, _passage, _stored
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import DocumentError, read_document

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def debmake():
    return read_document(PDF / "debmake-nospace.pdf")


@pytest.fixture(scope="module")
def slides():
    return read_document(PDF / "slides.pdf")


def test_text_layer_without_spaces_comes_out_as_words(debmake):
    # pypdf gave "thedebian/copyrightfileis current" and "Thegenerationofafunctioningmulti-binarypackage"
    assert "the debian/copyright file is current" in debmake.text
    assert "The generation of a functioning multi-binary package always requires more manual work" in debmake.text
    assert "This technique is useful" in debmake.text  # hyphenated at a line end, joined
    assert not re.search(r"[a-z]{25,}", debmake.text)  # no words run together


def test_running_headers_and_page_numbers_are_dropped(debmake):
    assert "CHAPTER 6" not in debmake.text  # "CHAPTER 6. DEBMAKE OPTIONS 6.5. DEBMAKE -J" on every page
    assert not re.search(r"(?m)^\d{2,3}$", debmake.text)


def test_sections_know_their_pages_and_heading_path(debmake):
    by_title = {s.title: s for s in debmake.sections}
    assert by_title["6.2 Snapshot upstream tarball (-d, -t)"].page == 1
    assert by_title["6.5 debmake -j"].page == 2
    assert by_title["6.8 debmake -T"].page == 3
    assert by_title["6.4 debmake -k"].page_end == 2  # its text runs onto the next page
    for s in debmake.sections:
        assert debmake.text[s.start : s.start + len(s.title)] == s.title
        assert s.heading_path[-1] == s.title
    assert "Tip" not in by_title and "Note" not in by_title  # admonition labels are not sections
    assert debmake.page_count == 3 and debmake.page_at(0) == 1 and debmake.page_at(len(debmake.text) - 1) == 3


def test_title_and_authors_from_metadata(debmake, slides):
    assert (debmake.title, debmake.authors) == ("Guide for Debian Maintainers", ("Osamu Aoki",))
    # /Author is "Lucas Nussbaumpackaging-tutorial@packages.debian.org": the name is the title page's line
    assert (slides.title, slides.authors) == ("Debian Packaging Tutorial", ("Lucas Nussbaum",))


def test_title_and_authors_from_the_title_page_when_metadata_has_none():
    doc = read_document(PDF / "r-faq-head.pdf")  # R-FAQ.pdf has no /Title or /Author
    assert doc.title == "R FAQ"  # not run together with "Frequently Asked Questions on R Version 2022-09-08"
    assert doc.authors == ("Kurt Hornik", "R Core Team")
    assert "1 Introduction" in [s.title for s in doc.sections]


def test_table_of_contents_is_dropped():
    doc = read_document(PDF / "r-faq-head.pdf")
    assert "Table of Contents" not in doc.text
    assert ". . . ." not in doc.text
    assert not any(p == 2 for _, p in doc.page_starts)  # page 2 is the contents page: nothing of it is left
    assert "This document contains answers to some of the most frequently asked questions about R." in doc.text


def test_slide_footers_bullets_and_repeated_outline_are_dropped(slides):
    assert "/ 89" not in slides.text  # "Debian Packaging Tutorial 5 / 89" under each slide
    assert "\u25b6" not in slides.text  # the ▶ bullets, their text kept:
    assert "\nNon-commercial, built collaboratively by over 1,000 volunteers\n" in slides.text
    assert slides.text.count("Practical session 1: modifying the grep package") == 1  # outline slide shown twice
    paths = [s.heading_path for s in slides.sections]
    assert ("Introduction", "Debian packages") in paths  # the section from the bookmarks, the slide title under it
    assert {s.title: s.page for s in slides.sections}["Debian"] == 5


def test_two_columns_are_read_in_order_and_a_sentence_across_them_is_whole():
    doc = read_document(PDF / "two-columns.pdf")
    assert ("paragraph and list definitions, and the use of the \\vspace command to manually adjust the "
            "vertical spacing between elements of your work — is not allowed.") in doc.text
    titles = [s.title for s in doc.sections]
    assert titles.index("3 MODIFICATIONS") < titles.index("4 TYPEFACES") < titles.index("11 MATH EQUATIONS")
    assert [s.heading_path for s in doc.sections if s.title.startswith("11.1")] == [("11 MATH EQUATIONS", "11.1 Inline (In-text) Equations")]


def test_scanned_page_is_counted_and_noted():
    doc = read_document(PDF / "with-scanned-page.pdf")
    assert doc.page_count == 3 and doc.empty_pages == (3,)
    assert doc.notes and "1 of 3 pages" in doc.notes[0] and "OCR is not available" in doc.notes[0]
    assert "Feedback" in doc.text  # the text pages are read


def test_pdf_of_scans_only_is_a_clear_error():
    with pytest.raises(DocumentError, match=r"scanned-only\.pdf: the PDF has no extractable text.*OCR is not available"):
        read_document(PDF / "scanned-only.pdf")


def test_encrypted_pdf_is_a_clear_error():
    with pytest.raises(DocumentError, match=r"encrypted\.pdf: encrypted PDF \(needs a password\)"):
        read_document(PDF / "encrypted.pdf")


def test_truncated_pdf_is_a_clear_error(tmp_path):
    broken = tmp_path / "cut.pdf"
    broken.write_bytes((PDF / "slides.pdf").read_bytes()[:4000])
    with pytest.raises(DocumentError, match=r"cut\.pdf: corrupt PDF"):
        read_document(broken)


def test_words_are_spaced_where_the_glyphs_leave_a_gap():
    # PDFium generates no space in these gaps (0.2 em between a monospaced and a roman word);
    # pypdfium2's own text and the reader before had "arch.changesinstead", "scriptsin the".
    doc = read_document(PDF / "debmake-spacing.pdf")
    assert "sign package_version-revision_arch.changes instead of" in doc.text
    assert "3.9.1 Prompting in maintainer scripts in the “Debian Policy Manual”" in doc.text
    assert not re.search(r"[a-z]{8,}(instead|in the)\b", doc.text)


def test_a_compound_hyphenated_at_a_line_end_keeps_its_hyphen():
    doc = read_document(PDF / "two-columns.pdf")  # "camera-" | "ready" across two lines
    assert "camera-ready" in doc.text and "cameraready" not in doc.text
    assert "This technique is useful" in read_document(PDF / "debmake-nospace.pdf").text  # a soft one is joined


def test_progress_is_reported_page_by_page():
    seen = []
    doc = read_document(PDF / "slides.pdf", progress=lambda page, pages: seen.append((page, pages)))
    assert seen == [(n, 7) for n in range(1, 8)] and doc.page_count == 7

    def fail(page, pages):
        raise RuntimeError("display gone")

    with pytest.raises(RuntimeError, match="display gone"):  # the callback's error, not "corrupt PDF"
        read_document(PDF / "slides.pdf", progress=fail)


def test_a_broken_xref_table_is_repaired_and_a_missing_one_is_a_clear_error(tmp_path):
    from eval.big_pdf import write_pdf

    data = write_pdf(tmp_path / "ok.pdf", 3, fact_page=2).read_bytes()
    table = data.index(b"\nxref\n")
    wrong = tmp_path / "wrong-offsets.pdf"
    wrong.write_bytes(data[:table] + re.sub(rb"\d{10} 00000 n", b"0000000999 00000 n", data[table:]))
    assert "7,341 litres" in read_document(wrong).text  # PDFium rebuilds the table from the objects
    cut = tmp_path / "no-xref.pdf"
    cut.write_bytes(data[:table] + b"\n%%EOF\n")
    with pytest.raises(DocumentError, match=r"no-xref\.pdf: corrupt PDF \(damaged: no cross-reference table"):
        read_document(cut)
    no_pages = tmp_path / "no-pages.pdf"
    no_pages.write_bytes(data.replace(b"/Pages 2 0 R", b"/Pages 99 0 R"))
    with pytest.raises(DocumentError, match=r"encrypted\.pdf: encrypted"):
        read_document(PDF / "encrypted.pdf")
    # PDFium leaves its last error (the password one) when a page tree is missing: not taken for it.
    with pytest.raises(DocumentError, match=r"no-pages\.pdf: corrupt PDF \(damaged: .*page tree"):
        read_document(no_pages)


def test_code_stays_line_by_line(debmake):
    assert "$ cd /path/to/upstream-vcs\n$ debmake -d -i debuild" in debmake.text
    assert any(debmake.text[a:b].startswith("$ cd /path/to/upstream-vcs") for a, b in debmake.code_spans)


def count_tokens(text: str) -> int:
    return words(text)


def test_chunks_carry_pages_and_heading_path_through_the_store(debmake):
    chunks = chunk_document(debmake, count_tokens, max_tokens=60, overlap_tokens=0)
    by_section = {c.section: c for c in chunks}
    j = by_section["6.5 debmake -j"]
    assert (j.page, j.heading_path) == (2, ("6.5 debmake -j",))
    assert any(c.page == 1 and c.page_end == 2 for c in chunks)  # a chunk across a page break
    for c in chunks:
        assert c.page <= c.page_end
        assert debmake.page_at(c.start) == c.page
    meta = _metadata(j)
    assert meta["page"] == 2 and meta["page_end"] == 2 and meta["heading_path"] == "6.5 debmake -j"
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())  # Chroma's flat metadata
    p = _passage(j.id, j.text, meta, 0.5)
    assert (p.page, p.page_end, p.heading_path) == (2, 2, ("6.5 debmake -j",))
    assert _stored(j.id, j.text, meta).section == "6.5 debmake -j"


def test_unpaginated_chunks_store_no_page():
    chunk = Chunk(id="x", doc_id="d", source="a.md", title="T", section="S", text="t", start=0, end=1, index=0,
                  heading_path=("A", "B"))
    meta = _metadata(chunk)
    assert "page" not in meta and meta["heading_path"] == "A > B"
    p = _passage("x", "t", meta, 0.0)
    assert p.page is None and p.page_end is None and p.heading_path == ("A", "B")
    assert _passage("x", "t", {"source": "old.pdf"}, 0.0).heading_path == ()  # an index written before pages


def test_code_block_is_cut_only_at_line_ends(debmake):
    blocks = [debmake.text[a:b] for a, b in debmake.code_spans]
    longest_line = max(count_tokens(ln) for block in blocks for ln in block.split("\n"))
    limit = longest_line + 2
    assert any(count_tokens(block) > limit for block in blocks)  # some block must be split
    cut_blocks = 0
    for c in chunk_document(debmake, count_tokens, max_tokens=limit, overlap_tokens=0):
        for a, b in debmake.code_spans:
            if a < c.start < b:
                assert debmake.text[c.start - 1] == "\n"
                cut_blocks += 1
            if a < c.end < b:
                assert debmake.text[c.end] == "\n"
    assert cut_blocks


def test_code_block_that_fits_is_one_chunk(debmake):
    chunks = chunk_document(debmake, count_tokens, max_tokens=180, overlap_tokens=0)
    for a, b in debmake.code_spans:
        assert any(c.start <= a and b <= c.end for c in chunks)


def test_unreadable_pdfs_are_named_and_the_others_ingest(tmp_path):
    from eval.big_pdf import write_pdf
    from rag.wiring import Pipeline
    from tests.conftest import make_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "locked.pdf").write_bytes((PDF / "encrypted.pdf").read_bytes())
    data = write_pdf(tmp_path / "ok.pdf", 2).read_bytes()
    (docs / "no-xref.pdf").write_bytes(data[: data.index(b"\nxref\n")])
    (docs / "slides.pdf").write_bytes((PDF / "slides.pdf").read_bytes())
    steps = []
    report = Pipeline(make_settings(tmp_path / "data", docs)).ingestor.ingest(progress=steps.append)
    assert report.added == ["slides.pdf"]
    assert report.skipped["locked.pdf"].startswith("encrypted PDF (needs a password)")
    assert report.skipped["no-xref.pdf"].startswith("corrupt PDF (damaged")
    assert [(s.source, s.done) for s in steps if s.unit == "page"] == [("slides.pdf", n) for n in range(1, 8)]


def test_a_man_pages_minus_signs_and_tildes_read_as_typed(tmp_path):
    """groff typesets "--login" with minus signs (U+2212) and "~" as a small tilde (U+02DC): read as
    found, "--dump-po-strings" typed by a user matched nothing and the question was refused."""
    doc = read_document(PDF / "bash-man.pdf")  # Debian bash-doc's bash.pdf, pages 1-2
    assert "\u2212" not in doc.text and "\u02dc" not in doc.text
    assert "--dump-po-strings" in doc.text and "~/.bash_profile" in doc.text


@pytest.mark.slow
def test_an_option_typed_with_hyphens_finds_the_man_page_that_typesets_it(tmp_path):
    from rag.wiring import Pipeline

    from tests.conftest import make_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bash.pdf").write_bytes((PDF / "bash-man.pdf").read_bytes())
    pipe = Pipeline(make_settings(tmp_path / "data", docs))
    pipe.ingestor.ingest()
    answer = pipe.answerer.ask("What format does --dump-po-strings write?")
    assert not answer.abstained and "gettext" in answer.answer
    pasted = pipe.answerer.ask("What format does \u2212\u2212dump\u2212po\u2212strings write?")  # copied from a PDF viewer
    assert pasted.answer == answer.answer


def test_a_man_pages_tagged_list_is_an_item_per_term():
    """A term alone on its line with its description indented below it (OPTIONS, FILES): a term back
    at the margin was joined to the description before it ("Equivalent to -D. --help Display ...");
    in FILES, with no full stops, the whole list ran together ("/bin/bash The bash executable /etc/profile ...")."""
    doc = read_document(PDF / "bash-man.pdf")
    assert "\n\n--dump-po-strings\n\nEquivalent to -D, but the output is in the GNU gettext po" in doc.text
    assert "\n\n--dump-strings\n\nEquivalent to -D.\n\n" in doc.text


def test_a_latex_book_reads_its_accents_and_drops_its_contents_pages():
    # Debian gnuplot-doc's gnuplot.pdf, pages 1, 4 (contents) and 21: pdfTeX sets "\\"o" as two glyphs,
    # and the book class sets a section's contents entry without dot leaders ("Glossary   47")
    doc = read_document(PDF / "gnuplot-latex.pdf")
    assert "Hans-Bernhard Br\u00f6ker" in doc.text and "Timoth\u00e9e Lecomte" in doc.text and "Mikul\u00edk" in doc.text
    assert "\u00a8" not in doc.text and "\u00b4" not in doc.text
    assert "Glossary" not in doc.text and "Inline data and datablocks" not in doc.text and "Colorspec" not in doc.text
    assert "Gnuplot is a portable command-line driven graphing utility" in doc.text


def test_a_reference_cards_two_column_tables_are_read_row_by_row():
    """Octave's reference card (octave-doc refcard-a4.pdf, page 1): a key, a wide gap, what it does, with no
    full stops, ran together as one paragraph ("C-k kill to the end of the line C-y yank the most ..."); now
    each row is a pipe-table row, as HTML and Markdown tables are kept, and a wrapped description stays in its row."""
    doc = read_document(PDF / "octave-refcard.pdf")
    assert "| C-k | kill to the end of the line |\n| C-y | yank the most recently killed text |" in doc.text
    assert "| INTERRUPT | (e.g. C-c) terminate current command and return to top-level prompt |" in doc.text
    assert "| persistent var1 | Declare a variable as static to a function. |" in doc.text
    # prose beside the tables stays prose
    assert "Square brackets delimit literal matrices. Commas separate elements on the same row." in doc.text
    # a man page's options the same way; justified two-column prose has no table
    assert "| -i | If the -i option is present, the shell is interactive. |" in read_document(PDF / "bash-man.pdf").text
    assert "|" not in read_document(PDF / "two-columns.pdf").text


def test_a_word_hyphenated_across_a_page_is_joined_when_the_document_writes_it_whole():
    # lme4's JSS paper: "(al-" ends page 1, "though" opens page 2 under its running header; a suspended
    # hyphen ("fixed- and random-effects terms") stays
    doc = read_document(PDF / "lme4-paper.pdf")
    assert "generalized linear mixed models (although in this paper we restrict ourselves" in doc.text
    assert "al- though" not in doc.text
    assert "both fixed- and random-effects terms" in doc.text


def test_a_command_on_its_own_line_is_not_continued_by_a_footnote_or_the_next_page():
    # GLPK's MathProg manual: "glpsol --check ..." ends page 68, above the page's footnote (an address with
    # its mark "1" set apart) and page 69's first paragraph. They had run on as one paragraph.
    doc = read_document(PDF / "gmpl-glpsol.pdf")
    assert "\n\nglpsol --check --model foo.mod --wlp foo.lp\n\n" in doc.text
    assert "\n\nIf you need to write a numeric solution obtained by the solver to a file, you may use the following" \
           " command:\n\nglpsol --model foo.mod --output foo.sol\n\n" in doc.text
    assert "\n\n1\n\n" not in doc.text  # the footnote's mark, set apart from its note
