"""The extractive answerer over the real index: cited sentences, and abstention off-topic."""

import re

import pytest

from rag.answer import ABSTAIN_TEXT


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which theory do Aslam, Imran and Zahid use to explain US-Pakistan relations?", "dependency"),
        ("How much covert assistance did Pakistan channel to the Mujahideen with the CIA?", "3 billion"),
        ("Where was the US-Taliban agreement signed?", "Doha"),
    ],
)
def test_answers_quote_the_passages_they_cite(corpus_pipeline, question, expected):
    answer = corpus_pipeline.answerer.ask(question)
    assert not answer.abstained
    assert expected.lower() in answer.answer.lower()
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]", answer.answer):
        if "was written by" not in sentence:
            assert sentence.strip() in answer.citations[int(n) - 1].text


@pytest.mark.parametrize(
    "question",
    [
        "What is the best recipe for chocolate cake?",
        "How do I reset my router password?",
        "Who won the football world cup in 1998?",
    ],
)
def test_abstains_when_the_documents_do_not_answer(corpus_pipeline, question):
    answer = corpus_pipeline.answerer.ask(question)
    assert answer.abstained
    assert answer.answer == ABSTAIN_TEXT
    assert "[" not in answer.answer


def test_who_wrote_is_answered_from_the_byline(corpus_pipeline):
    answer = corpus_pipeline.answerer.ask("Who wrote the paper that applies dependency theory?")
    assert not answer.abstained
    assert "Muhammad Asad Aslam" in answer.answer and "Kashaf Imran" in answer.answer
    n = int(re.search(r"written by [^\[]+\[(\d+)\]", answer.answer).group(1))
    assert "Aslam" in answer.citations[n - 1].text  # the byline is in the cited passage
