"""The conversation a client sends back: the documents each earlier answer cited travel with it."""

import pytest

from rag.answer.questions import QuestionError
from rag.config import Settings
from rag.domain import Answer, Citation, Exchange
from rag.app.transcript import exchanges, record


def citation(n: int, doc_id: str) -> Citation:
    return Citation(n=n, source=f"{doc_id}.pdf", title=doc_id, section="", text="text", score=0.5, doc_id=doc_id)


def answer(text: str, abstained: bool = False) -> Answer:
    return Answer("q?", text, abstained, "extractive", [citation(1, "a"), citation(2, "b"), citation(3, "a")], {})


def test_an_exchange_keeps_the_documents_its_answer_cites_not_those_only_shown():
    assert Exchange.of("q?", answer("One. [3] Two. [1]")).documents == ("a",)
    assert Exchange.of("q?", answer("One. [2] Two. [1]")).documents == ("b", "a")  # in the order cited
    assert Exchange.of("q?", answer("The documents don't say.", abstained=True)).documents == ()


def test_history_sent_back_with_its_citations_carries_the_cited_documents():
    sent = answer("One. [2]").to_dict()
    turns = exchanges([{"question": "q?", "answer": sent["answer"], "citations": sent["citations"]}], Settings())
    assert turns == [Exchange("q?", "One. [2]", ("b",))]
    # the browser's record of a turn holds the same
    kept = record(answer("One. [2]"))
    assert exchanges([kept], Settings())[0].documents == ("b",)
    # without citations (an older client): the words only
    assert exchanges([{"question": "q?", "answer": "One. [2]"}], Settings())[0].documents == ()


@pytest.mark.parametrize("citations", ["b", [{"n": 1, "doc_id": "a"}] * 51])
def test_malformed_citations_are_refused_saying_why(citations):
    with pytest.raises(QuestionError, match="citations must be a list"):
        exchanges([{"question": "q?", "answer": "One. [1]", "citations": citations}], Settings())


def test_odd_citation_entries_are_ignored_not_trusted():
    odd = [{"n": 1, "doc_id": 7}, "x", {"n": 1, "doc_id": "y" * 500}, {"n": 1}, {"n": [1], "doc_id": "no"},
           {"n": 1, "doc_id": "ok"}]
    assert exchanges([{"question": "q?", "answer": "One. [1]", "citations": odd}], Settings())[0].documents == ("ok",)
