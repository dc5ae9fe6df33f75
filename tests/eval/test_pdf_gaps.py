"""The gap measurement behind CELL_GAP: prose lines stay under it, a reference card's rows go over it."""

from pathlib import Path

from eval.pdf_gaps import report, widest_gaps
from rag.ingest.pdf import CELL_GAP

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def test_a_cards_rows_are_wider_than_the_cut_and_justified_prose_is_not():
    card = widest_gaps(PDF / "octave-refcard.pdf")
    prose = widest_gaps(PDF / "debmake-spacing.pdf")
    assert sum(g >= CELL_GAP for g in card) > len(card) / 2
    assert sum(g >= CELL_GAP for g in prose) <= 0.05 * len(prose)
    table = report([PDF / "octave-refcard.pdf", PDF / "encrypted.pdf"])
    assert "| octave-refcard.pdf | 155 |" in table and "| encrypted.pdf | 0 |" in table
