"""Misspelt question words, corrected against the collection's vocabulary: the real speller over the
real corpus's keyword index and English word list, and the answer a typo no longer loses."""

from __future__ import annotations

import pytest

from rag.language import stem
from rag.retrieve.spelling import Speller, edits, english_words

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"


@pytest.fixture(scope="module")
def speller(corpus_pipeline) -> Speller:
    assert corpus_pipeline.answerer.speller is not None, "spelling correction is on by default"
    return corpus_pipeline.answerer.speller


def test_edits_are_one_keystroke_away():
    got = edits("pakcage")
    assert {"package", "pakcages", "pkcage", "pakcagx"} <= got  # a swap, an insert, a delete, a replace
    assert "pakcage" not in got and "packages" not in got  # two edits away


@pytest.mark.parametrize("typed, meant", [
    ("Which CIA contractor killed two pedestirans in Lahore?", DAVIS),  # two letters swapped
    ("Which CIA contractor killed two pedestrans in Lahore?", DAVIS),  # one dropped
    ("Which CIA contractor killed two pedestrianss in Lahore?", DAVIS),  # one doubled
    ("Was it the pedestrains' fault?", "Was it the pedestrians' fault?"),  # a possessive
    ("What did the post-withdrwal policy say?", "What did the post-withdrawal policy say?"),  # a hyphenated part
    ("What was the code name of the raid that kileld Osama bin Laden?",
     "What was the code name of the raid that killed Osama bin Laden?"),
])
def test_a_typo_becomes_the_collection_word(speller, typed, meant):
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("question", [
    DAVIS,  # nothing misspelt
    "What is the boiling point of liquid nitrogen at sea level?",  # real words the collection lacks stay
    "Is the colour of the flag initialised in the catalogue?",  # British spellings are English too
    "Was the programme non-commercial, or a callback for beginners?",  # hyphenated and inflected words
    "Did Raymond Daviss leave Lahore?",  # a name is not guessed at, even one letter off
    "Does na.locf or `urlib` or ~/.cache/pakistn matter?",  # code and paths stay
    "Why doesn't it matter, and isn't it a pedestrian's right?",  # contractions and possessives of real words
])
def test_words_that_are_no_typo_stay(speller, question):
    assert speller.correct(question) == question


def test_an_english_word_wins_over_a_rarer_spelling():
    # both are one edit away and written in the collection; the English word is the one meant
    idf = {stem("modifications"): 5.0, stem("modifiations"): 1.0}
    written = {"modifications", "modifiations"}
    speller = Speller(written.__contains__, idf.__contains__, idf.__getitem__, lambda: frozenset({"modifications"}))
    assert speller.word("modifiactions") == "modifications"


def test_the_most_frequent_collection_word_wins():
    idf = {stem("crate"): 1.0, stem("grate"): 5.0}
    speller = Speller({"crate", "grate"}.__contains__, idf.__contains__, idf.__getitem__, lambda: frozenset({"crate", "grate"}))
    assert speller.word("xrate") == "crate"


def test_another_form_of_a_collection_word_is_no_typo():
    # "licensors" where the collection writes only "licensor": the stem matches, nothing to correct
    speller = Speller({"licensor"}.__contains__, {stem("licensor")}.__contains__, lambda s: 1.0, lambda: frozenset())
    assert speller.word("licensors") is None


def test_a_typo_of_an_english_form_the_collection_does_not_write_is_corrected():
    # "debuging": the collection writes "debug", English writes "debugging"; "binaires": "binary" / "binaries"
    speller = Speller({"debug", "binary"}.__contains__, {stem("debug"), stem("binary")}.__contains__, lambda s: 1.0,
                      lambda: frozenset({"debugging", "debug", "binary", "binaries"}))
    assert speller.word("debuging") == "debugging"
    assert speller.word("binaires") == "binaries"


def test_a_typo_whose_stem_is_another_word_is_still_corrected():
    # "imposible" stems as "impose" does, which the collection has; it writes "impossible", not "imposible"
    assert stem("imposible") == stem("impose")
    written = {"impossible", "impose"}
    speller = Speller(written.__contains__, {stem(w) for w in written}.__contains__, lambda s: 1.0, lambda: frozenset(written))
    assert speller.word("imposible") == "impossible"


def test_english_is_loaded_only_for_a_word_the_collection_lacks():
    loads = []

    def english():
        loads.append(1)
        return frozenset()

    speller = Speller(lambda w: True, lambda s: True, lambda s: 1.0, english)
    assert speller.correct("every word known here") == "every word known here"
    assert loads == []


def test_the_english_word_list_is_broad():
    words = english_words()
    assert len(words) > 100_000
    assert {"callback", "beginner", "lenders", "quickest", "boiling"} <= words
    assert not {"pedestirans", "kileld", "imposisble"} & words


def test_the_answer_survives_the_typo_and_says_what_it_searched(corpus_pipeline):
    answerer = corpus_pipeline.answerer
    right = answerer.ask(DAVIS)
    typed = answerer.ask("Which CIA contractor killed two pedestirans in Lahore?")
    assert not typed.abstained and "Raymond Davis" in typed.answer
    assert typed.answer == right.answer
    assert typed.searched_for == DAVIS  # shown as "searched for" in the chat


def test_correction_can_be_switched_off(tmp_path, corpus_pipeline):
    from rag.wiring import Pipeline

    pipe = Pipeline(corpus_pipeline.settings.updated(correct_spelling=False))
    assert pipe.answerer.speller is None


def test_the_server_loads_the_word_list_before_the_first_question(corpus_pipeline):
    from rag.wiring import Pipeline

    pipe = Pipeline(corpus_pipeline.settings)  # a fresh answerer over the same index
    assert "english" not in vars(pipe.answerer.speller)
    pipe.warm()
    assert "english" in vars(pipe.answerer.speller)  # the first question does not wait 0.4 s for it


def test_a_pasted_blob_is_not_guessed_at(speller, monkeypatch):
    from rag.retrieve import spelling

    looked_up = []
    real = spelling.edits
    monkeypatch.setattr(spelling, "edits", lambda w: looked_up.append(w) or real(w))
    blob = "Why does x" + "y" * 1500 + " fail?"  # one token far longer than any word: no edits of it
    assert speller.correct(blob) == blob and looked_up == []
    logs = " ".join("zqx" + "".join("abcdefghij"[int(d)] for d in f"{i:03d}") + "word" for i in range(200))
    assert speller.correct(logs) == logs  # 200 unknown words: only the first MAX_GUESSES are looked up
    assert len(looked_up) == spelling.MAX_GUESSES
