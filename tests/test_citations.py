"""The one [n] grammar: the checker, the renderer and the eval read the same numbers from a marker."""

from __future__ import annotations

import re

import pytest

from eval.runner import Question, score_question
from rag.answer.grounding import check
from rag.app.render import link_markers
from rag.citations import Quotes, cited_numbers, marker_numbers, shield, strip_markers, unshield

SOURCES = [
    "The treaty was signed in 1954 by both governments.",
    "The treaty was signed in 1954 in Manila.",
    "The treaty was signed in 1954 after long talks.",
]
CASES = [
    ("The treaty was signed in 1954 [1, 2].", [1, 2]),
    ("The treaty was signed in 1954 [1-3].", [1, 2, 3]),
    ("The treaty was signed in 1954 [Passage 2].", [2]),
    ("The treaty was signed in 1954 [2; 3].", [2, 3]),
    ("The treaty was signed in 1954 [1][3].", [1, 3]),
]


@pytest.mark.parametrize("answer,numbers", CASES)
def test_checker_renderer_and_eval_read_the_same_numbers(answer, numbers):
    assert cited_numbers(answer) == numbers
    grounding = check(answer, SOURCES)
    assert list(grounding.sentences[0].citations) == numbers
    html = link_markers(answer, "k", known={1, 2, 3})
    assert [int(n) for n in re.findall(r'href="#k-c(\d+)"', html)] == numbers
    q = Question(id="t1", question="When was the treaty signed?", type="fact", answer="1954",
                 must_contain=["1954"], docs=[], evidence=[])
    result = {"answer": answer, "abstained": False,
              "citations": [{"n": n, "source": "s.txt", "text": t} for n, t in enumerate(SOURCES, 1)]}
    assert score_question(q, result, SOURCES)["cited"] == numbers


def test_ranges_are_capped_and_text_brackets_are_not_citations():
    assert len(marker_numbers("1-999")) == 21
    assert cited_numbers("see [brackets] and [2021a]") == []
    assert strip_markers("Signed in 1954 [1, 2]. Ratified [3].") == "Signed in 1954. Ratified."


def test_shielded_brackets_are_no_markers_and_come_back_as_they_were():
    kept: list[str] = []
    text = shield("Use [0-9] or sys.argv[10]; see note [2].", kept)
    assert cited_numbers(text) == [] and kept == ["[0-9]", "[10]", "[2]"]
    assert unshield(text + " [1]", kept) == "Use [0-9] or sys.argv[10]; see note [2]. [1]"


def test_a_quoted_sentence_is_one_claim_to_the_checker_and_comes_back_as_it_was():
    quotes = Quotes(2)
    sentence = "The signal used on timeout. Default: `'SIGTERM'`.\nR> x[1]"
    hidden = quotes.hide(sentence)
    assert ". " not in hidden and "\n" not in hidden and cited_numbers(hidden) == []
    assert quotes.show(hidden + " [1]") == sentence + " [1]"


def test_a_quoted_reference_mark_naming_no_passage_is_dropped_and_code_kept():
    quotes = Quotes(2)  # two passages
    prose = quotes.hide("Cargo traffic doubled between 2001 and 2009 [7] [12].")
    assert quotes.show(prose) == "Cargo traffic doubled between 2001 and 2009."  # a document's fake citations
    for kept in ("The class [0-9] matches any digit.", "Read sys.argv[10] for the tenth.", "As shown in [2], it holds."):
        assert quotes.show(quotes.hide(kept)) == kept
