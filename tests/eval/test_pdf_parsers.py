"""The PDF parser comparison (eval/pdf_parsers.py) reads pages through the product's own reader."""

from pathlib import Path

from eval.pdf_parsers import rag_pages

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def test_the_products_pages_are_its_blocks_page_by_page():
    pages = rag_pages(PDF / "bash-man.pdf")
    assert len(pages) == 2
    # the text layer as read, before cleaning: groff's minus signs are still there
    assert "\u2212\u2212dump\u2212po\u2212strings\n\nEquivalent to \u2212D" in pages[0]
