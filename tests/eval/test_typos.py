"""The typo probe: it reads dev questions only, misspells the word it says, and reports what it counted."""

from eval import corpora as ec
from eval import typos
from tests.eval.dev_only import assert_source_reads_only_dev, spy_on_questions


def test_the_probe_reads_dev_questions_only(monkeypatch):
    asked = spy_on_questions(monkeypatch)
    for corpus in ec.corpora().values():
        assert {q.id for q in typos.dev_questions(corpus)} == set(corpus.split_ids()["dev"])
    assert set(asked) == {"dev"}
    assert_source_reads_only_dev(typos)


def test_one_typo_in_the_longest_lowercase_word():
    q = "Which CIA contractor killed two pedestrians in Lahore?"
    assert typos.misspell(q, "swap") == "Which CIA contractor killed two pedesrtians in Lahore?"
    assert typos.misspell(q, "drop") == "Which CIA contractor killed two pedesrians in Lahore?"
    assert typos.misspell("Who is Raymond Davis?", "swap") is None  # no lowercase word of six letters


def test_the_report_counts_each_corpus_and_all():
    row = {"questions": 10, "written": 8, "swap on": 8, "swap off": 5, "drop on": 7, "drop off": 4,
           "swap abstained on": 1, "swap abstained off": 4, "drop abstained on": 1, "drop abstained off": 5}
    text = typos.report({"a": row, "b": row})
    assert "| a | 10 | 8 | 8 (1) | 5 (4) | 7 (1) | 4 (5) |" in text
    assert "| **all** | 20 | 16 | 16 (2) | 10 (8) | 14 (2) | 8 (10) |" in text
