"""The pages of PDF passages, checked against pages found independently with poppler's pdftotext
(eval/page_accuracy.py; its saved output in eval/pdftotext/ where poppler is not installed), and
the check itself: it finds a passage's pages, and it catches wrong pages, contents lines, slide
footers and run-together words."""

from __future__ import annotations

import random
from dataclasses import replace

import pypdfium2 as pdfium
import pytest

from eval.page_accuracy import (
    DEFAULT_INPUTS, Passage, Reference, chunk_passages, check, FileResult, measure_chunks, pdf_files,
    reference_pages, run_together, saved_reference, slide_footers, toc_lines, totals,
)
from tests.conftest import make_settings

FIXTURES = DEFAULT_INPUTS[1]


def made_up_pages(n: int = 5, words: int = 200, seed: int = 3) -> list[list[str]]:
    rnd = random.Random(seed)
    vocabulary = ["".join(rnd.choice("bcdfgklmnprstvz") + rnd.choice("aeiou") for _ in range(3)) for _ in range(3000)]
    return [[rnd.choice(vocabulary) for _ in range(words)] for _ in range(n)]


def test_a_passage_is_found_on_the_pages_it_starts_and_ends_on():
    pages = made_up_pages()
    ref = Reference([" ".join(p) for p in pages])
    flat = [w for p in pages for w in p]
    assert ref.locate(" ".join(flat[150:230])) == [(1, 2)]  # across the break from page 1 to 2
    assert ref.locate(" ".join(flat[420:480])) == [(3, 3)]
    # A running header between the pages, dropped from the passage, does not matter.
    with_header = Reference([" ".join(p + ["Manual", "of", "Things", str(i)]) for i, p in enumerate(pages)])
    assert with_header.locate(" ".join(flat[170:240])) == [(1, 2)]
    # Nor do the passage's few first words at the foot of the page before (too few to vote).
    assert with_header.locate(" ".join(flat[197:260])) == [(1, 2)]
    assert ref.locate("words that are printed nowhere in these pages at all") == []


def test_a_paragraph_continued_past_its_pages_footnote_starts_where_its_first_words_are():
    # Printed: page 1 ends with the paragraph's start (a) and a footnote (c); page 2 goes on (b, d).
    # The cleaned text joins the paragraph first: a b c d.
    w = [w for p in made_up_pages(2, 300) for w in p]
    a, c, b, d = w[200:240], w[240:280], w[300:340], w[340:380]  # c and b as long: a and d line up
    ref = Reference([" ".join(w[:200] + a + c), " ".join(b + d + w[380:])])
    assert ref.locate(" ".join(a + b + c + d)) == [(1, 2)]


def test_text_printed_twice_is_right_at_either_place():
    pages = made_up_pages()
    pages[3][50:110] = pages[1][50:110]  # the same 60 words on pages 2 and 4
    ref = Reference([" ".join(p) for p in pages])
    passage = " ".join(pages[1][55:105])
    assert sorted(ref.locate(passage)) == [(2, 2), (4, 4)]
    result = check([Passage("a.pdf", passage, 4, 4), Passage("a.pdf", passage, 2, 2), Passage("a.pdf", passage, 3, 3)],
                   ref, "T", FileResult("a.pdf", 5))
    assert (result.located, result.page_right, result.repeated) == (3, 2, 3)


def test_furniture_and_run_together_words_are_found():
    ref = Reference(["the debian policy manual and its update alternatives"])
    assert run_together("see thedebian policy and updatealternatives here", ref) == ["thedebian", "updatealternatives"]
    assert run_together("the debian policy manual", ref) == []
    assert toc_lines("53 A.2 Managing debian/package.symbols . . . . . . . 53") != []
    assert toc_lines("The call costs 3.50 and ends.") == []
    assert slide_footers("a clean build. Debian Packaging Tutorial 6 / 89", "Debian Packaging Tutorial", 7) != []
    assert slide_footers("slide text 12 / 89", "Other", 89) != []
    assert slide_footers("fonts go in /usr/share/fonts/X11/100dpi/ and 1 / 2 of it", "T", 193) == []


def test_the_check_catches_wrong_pages_and_furniture():
    settings = make_settings(FIXTURES)  # the data folder is not touched

    def count(text: str) -> int:
        return len(text.split())

    pdf = FIXTURES / "debmake-nospace.pdf"
    title, passages = chunk_passages(pdf, settings, count)
    ref = Reference(reference_pages(pdf))
    right = check(passages, ref, title, FileResult(pdf.name, 3))
    assert right.page_right == right.located >= 0.9 * len(passages)
    shifted = check([replace(p, page=p.page + 1, page_end=p.page_end + 1) for p in passages], ref, title, FileResult(pdf.name, 3))
    assert shifted.located == right.located and shifted.page_right == 0 and len(shifted.wrong) == shifted.located
    spoiled = [replace(passages[0], text=passages[0].text + " 6.5 debmake -j . . . . . . . 74 Guide for Debian Maintainers 2 / 3"),
               replace(passages[1], text=passages[1].text.replace("the debian/copyright", "thedebian/copyright", 1)
                       if "the debian/copyright" in passages[1].text else passages[1].text + " thecommand")]
    found = check(spoiled, ref, title, FileResult(pdf.name, 3))
    assert (len(found.toc), len(found.footers), len(found.joined)) == (1, 1, 1)


def test_every_pdf_checked_has_a_saved_reference_with_its_pages():
    # So the check runs without poppler (CI installs only the venv): `--save-reference` writes them.
    for f in pdf_files(list(DEFAULT_INPUTS)):
        if f.name == "encrypted.pdf":
            continue
        assert saved_reference(f).is_file(), f"run: python -m eval.page_accuracy --save-reference ({f.name})"
        pdf = pdfium.PdfDocument(f)
        try:
            assert len(reference_pages(f)) == len(pdf), f.name
        finally:
            pdf.close()


@pytest.mark.slow  # reads and chunks 335 pages with the embedding model's tokenizer
def test_pdf_passages_are_on_their_pages_and_free_of_furniture(tmp_path):
    results = measure_chunks(pdf_files(list(DEFAULT_INPUTS)), make_settings(tmp_path / "data"))
    t = totals(results)
    assert t["located"] >= 0.95 * t["passages"]
    assert t["page_right"] >= 0.95 * t["located"], [w for r in results for w in r.wrong]
    assert t["end_right"] >= 0.95 * t["located"]
    for r in results:
        assert r.refused or r.page_right >= 0.9 * r.located, (r.name, r.wrong)
    assert (t["toc"], t["footers"], t["joined"]) == (0, 0, 0), [x for r in results for x in r.toc + r.footers + r.joined]
    assert {r.name for r in results if r.refused} == {"encrypted.pdf", "scanned-only.pdf"}
