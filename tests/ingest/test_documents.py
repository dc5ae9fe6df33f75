"""Reading and cleaning: headers gone, page-broken sentences whole, markdown stripped, metadata found."""

from pathlib import Path

import pytest

from rag.ingest.documents import DocumentError, find_files, parse_document, read_document, strip_markdown

from tests.conftest import CORPUS


def test_repeated_journal_header_is_removed_and_broken_sentence_rejoined():
    doc = read_document(CORPUS / "002_3454f72279cbd2c9.txt")
    raw = (CORPUS / "002_3454f72279cbd2c9.txt").read_text(encoding="utf-8")
    assert raw.count("Qualitative Research Review Letter") > 10
    assert "Qualitative Research Review Letter" not in doc.text
    # In the raw file this sentence is split by the page header between "relationship," and "with".
    assert "had an asymmetrical relationship, with Pakistan often being treated as peripheral" in doc.text


def test_running_header_with_ellipsis_removed_and_sentence_across_page_rejoined():
    doc = read_document(CORPUS / "001_288a791be964b63c.txt")
    assert "US Withdrawal from Afghanistan ..." not in doc.text
    assert "during the Islamabad Security Dialogue and gave his geo-economic vision" in doc.text


def test_footnotes_inside_a_broken_paragraph_do_not_split_it():
    doc = read_document(CORPUS / "003_de33c5a8e2338868.txt")
    assert "occupied territory of Jammu and Kashmir (IIOJK)" in doc.text


def test_markdown_debris_is_stripped():
    doc = read_document(CORPUS / "000_f583a770491e03be.txt")
    assert "](#)" not in doc.text
    assert "important symbolic value" in doc.text or "symbolic value" in doc.text
    assert strip_markdown("see [the deal](#) and **bold** and *it* <https://x.org/a>") == "see the deal and bold and it https://x.org/a"


@pytest.mark.parametrize(
    "name, title, authors",
    [
        ("000_f583a770491e03be.txt", "US-Pakistan Relations Post-US Withdrawal from Afghanistan: A Shift in Dynamics?", ["Ravale Mohyidin"]),
        ("001_288a791be964b63c.txt", "US Withdrawal from Afghanistan: Implications for US-Pakistan Relations", ["Nasreen Akhtar", "Kenneth Holland"]),
        ("002_3454f72279cbd2c9.txt", "PAK-US RELATIONS AND AFGHANISTAN: A CRITICAL ANALYSIS", ["Ux Fatima", "Ghulam Mustafa", "Bilal Bin Liaqat"]),
        ("003_de33c5a8e2338868.txt", "Assessing the Dynamics of US-Pakistan Relations in the Evolving Geopolitical Landscape of South Asia", ["Taimur Shamil"]),
        ("004_29f2909e5ffeaef2.txt", "The Dynamics of Pakistan-US Relations after US Withdrawal from Afghanistan: Challenges and Opportunities", ["Muhammad Asad Aslam", "Kashaf Imran", "Muhammad Umar Zahid"]),
    ],
)
def test_title_and_authors(name, title, authors):
    doc = read_document(CORPUS / name)
    assert doc.title == title
    assert list(doc.authors) == authors
    assert doc.source == name


def test_a_license_head_gives_its_name_and_version_as_title_and_no_authors():
    apache = (
        "                                 Apache License\n                           Version 2.0, January 2004\n"
        "                        http://www.apache.org/licenses/\n\n"
        "   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n\n   1. Definitions.\n\n"
        '      "License" shall mean the terms and conditions for use, reproduction,\n      and distribution.\n'
    )
    doc = parse_document(apache, path=Path("apache-2.0.txt"))
    assert doc.title == "Apache License Version 2.0, January 2004"
    assert doc.authors == ()
    gfdl = "\n                GNU Free Documentation License\n                 Version 1.3, 3 November 2008\n\n\n Everyone is permitted to copy and distribute verbatim copies of this license document.\n"
    assert parse_document(gfdl, path=Path("gfdl.txt")).title == "GNU Free Documentation License Version 1.3, 3 November 2008"


def test_headings_become_sections():
    doc = read_document(CORPUS / "004_29f2909e5ffeaef2.txt")
    titles = [s.title for s in doc.sections]
    assert "8.1.3. Counterterrorism" in titles
    assert "11. Conclusion" in titles
    for s in doc.sections:  # offsets point at the heading in the cleaned text
        assert doc.text[s.start : s.start + len(s.title)] == s.title
    # front matter (author names, affiliations) is not a section
    assert "Kashaf Imran" not in titles


def test_page_numbers_dropped():
    body = "First paragraph that is long enough to be body text, " * 5 + "and goes on for a while"
    doc = parse_document(f"Title of a Paper\n\n{body}\n\n12\n\ncontinues here after the page number.", path=Path("x.txt"))
    assert "\n12\n" not in doc.text
    assert "goes on for a while continues here after the page number." in doc.text


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x00\x01\x02binary\x00data", "binary"),
        (b"caf\xe9 au lait \xff\xfe", "UTF-8"),
    ],
)
def test_bad_text_files_get_clear_errors(tmp_path, content, problem):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DocumentError, match=problem) as e:
        read_document(f)
    assert "bad.txt" in str(e.value)


def test_corrupt_pdf_and_fake_pdf(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"MZ\x90\x00 this is an executable, not a pdf")
    with pytest.raises(DocumentError, match="not a PDF"):
        read_document(fake)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage garbage\n%%EOF")
    with pytest.raises(DocumentError, match="broken.pdf"):
        read_document(broken)


def test_real_pdf_is_read(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from pypdf.generic import NameObject

    # Build a one-page PDF with text using pypdf's own writer (no external tools).
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = writer._add_object(pypdf.generic.DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }))
    page[NameObject("/Resources")] = pypdf.generic.DictionaryObject({
        NameObject("/Font"): pypdf.generic.DictionaryObject({NameObject("/F1"): font})
    })
    stream = pypdf.generic.DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (The treaty was signed in Karachi in 1954.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = tmp_path / "treaty.pdf"
    with open(out, "wb") as f:
        writer.write(f)
    doc = read_document(out)
    assert "signed in Karachi in 1954" in doc.text


def test_unsupported_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "a.txt").write_text("hello world", encoding="utf-8")
    (tmp_path / "b.docx").write_bytes(b"PK\x03\x04")
    found, skipped = find_files([tmp_path, tmp_path / "missing.md"])
    assert [f.name for f in found] == ["a.txt"]
    assert any("b.docx" in k and "unsupported" in v for k, v in skipped.items())
    assert any("missing.md" in k for k in skipped)
