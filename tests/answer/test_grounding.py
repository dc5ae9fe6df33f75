"""The citation checker on crafted answers: dates, numbers, names, re-attachment, out-of-range markers."""

from __future__ import annotations

from rag.citations import cited_numbers
from rag.answer.grounding import check, is_meta, restates, support_text

SOURCES = [
    "President Biden announced an unconditional withdrawal of United States (US) forces from Afghanistan "
    "in April 2021, after two decades of war following the September 11 attacks in 2001.",
    "The US and the Taliban signed the Doha agreement in February 2020, which set the terms and timeline "
    "of the American withdrawal.",
    "China donated millions of vaccine doses to Pakistan, and Pakistan began co-producing the CanSino vaccine.",
]


def test_supported_sentence_keeps_its_citation():
    g = check("Biden announced an unconditional withdrawal from Afghanistan in April 2021 [1].", SOURCES)
    assert [(s.citations, s.supported) for s in g.sentences] == [((1,), True)]
    assert g.supported_fraction == 1.0
    assert g.text == "Biden announced an unconditional withdrawal from Afghanistan in April 2021 [1]."


def test_a_quoted_sentence_with_curly_apostrophes_and_quotes_is_supported():
    for sentence in (
        "The most complete book on regular expressions is almost certainly Jeffrey Friedl\u2019s Mastering Regular Expressions, published by O\u2019Reilly.",
        "If logging.raiseExceptions is True, a message \u2018No handlers could be found for logger X.Y.Z\u2019 is printed once.",
        "The name is partly a play on the name of the Bell Labs language \u2018S\u2019 (see Section 3.1).",
    ):
        g = check(sentence + " [1]", [sentence])
        assert g.sentences[0].supported, sentence
    # the parts of a name still have to be there
    assert not check("It was published by O\u2019Reilly. [1]", ["It was published by O\u2019Brien."]).sentences[0].supported


def test_date_absent_from_the_cited_passage_is_unsupported():
    # The month and year are right, the day is invented: the failure seen with a 1.5B model.
    g = check("The Doha agreement was signed on 29 February 2020 [2].", SOURCES)
    (s,) = g.sentences
    assert not s.supported and s.citations == (2,)
    assert 0 < s.score < 1
    assert g.supported_fraction == 0.0


def test_wrong_year_month_and_number_are_unsupported():
    for wrong in (
        "The Doha agreement was signed in February 2019 [2].",
        "The Doha agreement was signed in March 2020 [2].",
        "China donated 40 vaccine doses to Pakistan [3].",
    ):
        (s,) = check(wrong, SOURCES).sentences
        assert not s.supported, wrong


def test_invented_name_is_unsupported():
    (s,) = check("The Doha agreement was signed by Trump and the Taliban in February 2020 [2].", SOURCES).sentences
    assert not s.supported


def test_correct_sentence_citing_the_wrong_passage_is_reattached():
    g = check("China donated millions of vaccine doses to Pakistan [1].", SOURCES)
    (s,) = g.sentences
    assert s.supported and s.citations == (3,)
    assert g.reattached == 1
    assert g.text == "China donated millions of vaccine doses to Pakistan [3]."


def test_out_of_range_citation_is_removed():
    g = check("The Doha agreement was signed in February 2020 [2][7]. It set a timeline [2, 9].", SOURCES)
    assert sorted(g.removed) == [7, 9]
    assert "[7]" not in g.text and "9" not in g.text
    assert g.text.startswith("The Doha agreement was signed in February 2020 [2].")
    assert cited_numbers(g.text) == [2]


def test_out_of_range_only_citation_is_removed_then_reattached():
    g = check("Pakistan began co-producing the CanSino vaccine [7].", SOURCES)
    assert g.removed == [7]
    assert [(s.citations, s.supported) for s in g.sentences] == [((3,), True)]
    assert g.text == "Pakistan began co-producing the CanSino vaccine [3]."


def test_marker_after_the_full_stop_belongs_to_the_sentence_before():
    g = check("China donated vaccine doses to Pakistan. [3] The Doha agreement was signed in February 2020. [2]", SOURCES)
    assert [(s.citations, s.supported) for s in g.sentences] == [((3,), True), ((2,), True)]


def test_citation_forms_are_parsed():
    assert cited_numbers("a [1] b [2, 3] c [4-6] d [Passage 7] e [1]") == [1, 2, 3, 4, 5, 6, 7]
    assert cited_numbers("no markers, just [brackets] and 2021") == []


def test_uncited_claim_is_attached_or_marked_unsupported():
    g = check("China donated millions of vaccine doses to Pakistan. Pakistan bought forty F-16 jets from France.", SOURCES)
    first, second = g.sentences
    assert first.supported and first.citations == (3,)
    assert not second.supported and second.citations == ()


def test_strict_drops_unsupported_sentences():
    answer = "The Doha agreement was signed in February 2020 [2]. It was signed on 29 February 2020 in Qatar [2]."
    loose = check(answer, SOURCES)
    strict = check(answer, SOURCES, strict=True)
    assert loose.text == answer and [s.supported for s in loose.sentences] == [True, False]
    assert strict.text == "The Doha agreement was signed in February 2020 [2]."
    assert strict.dropped == 1 and not strict.abstain
    assert [s.supported for s in strict.sentences] == [True]


def test_strict_abstains_when_nothing_supported_remains():
    g = check("The Doha agreement was signed on 29 February 2020 [2]. India hosted it [1].", SOURCES, strict=True)
    assert g.abstain and g.sentences == []


def test_fillers_and_statements_about_the_passages_are_not_judged():
    g = check("In short: China donated vaccine doses to Pakistan [3]. The passages do not say how many.", SOURCES)
    assert [s.citations for s in g.sentences] == [(3,)]
    assert is_meta("The provided passages do not mention the ambassador.")
    assert not is_meta("The US withdrew its forces in 2021.")


def test_list_answers_are_checked_line_by_line():
    g = check("- Biden announced the withdrawal in April 2021 [1]\n- China donated vaccine doses [3].", SOURCES)
    assert [(s.sentence, s.citations, s.supported) for s in g.sentences] == [
        ("Biden announced the withdrawal in April 2021", (1,), True),
        ("China donated vaccine doses.", (3,), True),
    ]


def test_acronyms_names_and_title_support():
    source = support_text("Pakistan and the United States", "Introduction", "Relations between the two states soured.", ("Ravale Mohyidin",))
    g = check("Ravale Mohyidin wrote about how relations between Pakistan and the US soured [1].", [source])
    assert g.sentences[0].supported


def test_empty_and_unmarked_text():
    assert check("", SOURCES).sentences == []
    assert check("", SOURCES).supported_fraction is None
    assert check("Hello there.", []).sentences == []


def test_words_repeated_from_the_question_are_framing_not_claims():
    source = ["The Islamic State of Khurasan Province (ISKP) claimed the attack on the mosque in Peshawar."]
    question = "Which militant group claimed the March 2022 bombing of a Shia mosque in Peshawar?"
    answer = "The militant group that claimed the March 2022 bombing of a Shia mosque in Peshawar is the ISKP [1]."
    assert not check(answer, source).sentences[0].supported  # on its own, 2022 and Shia are not in the passage
    assert check(answer, source, question=question).sentences[0].supported
    # What the answer adds must still be in the passage ...
    wrong = answer.replace("ISKP", "TTP")
    assert not check(wrong, source, question=question).sentences[0].supported
    # ... and a passage that only shares the added word is about something else.
    unrelated = ["The ISKP is an affiliate of the Islamic State based in Afghanistan."]
    assert not check(answer, unrelated, question=question).sentences[0].supported


def test_an_answer_adding_one_word_the_passages_hold_is_not_a_restatement():
    q = "Which Pakistani port does the economic corridor link to China's industrial zones?"
    passages = ["This economic corridor connects China's industrial zones with Gwadar, a port."]
    assert not restates(q, "The economic corridor links China's industrial zones to the port of Gwadar [1].", passages)
    # The question turned into a statement, with nothing from the passages added, still is one.
    assert restates(q, "The economic corridor links a Pakistani port to China's industrial zones [1].", passages)
    assert restates(q, "Indeed the economic corridor links a Pakistani port to China's industrial zones [1].", passages)
    # Two words of its own are an answer of some kind (the citation checker judges it), not an echo.
    assert not restates(q, "The economic corridor links Karachi harbour to China's industrial zones [1].", passages)


def test_a_versioned_name_from_the_question_is_framing_as_the_tokens_read_it():
    # The question's "GPLv3" is read as "gpl": the answer repeating it claims nothing new ...
    source = ["If you cease all violation of this License, your license is reinstated permanently if the copyright "
              "holder fails to notify you of the violation prior to 60 days after the cessation."]
    question = "After I stop violating the GPLv3, how long does the copyright holder have to notify me?"
    answer = "The copyright holder has 60 days to notify you after you cease all violation of the GPLv3 [1]."
    assert check(answer, source, question=question).sentences[0].supported
    # ... while a version-named licence the passage and the question do not name is still a claim to check.
    other = answer.replace("GPLv3", "MPLv2")
    assert not check(other, source, question=question).sentences[0].supported
