"""The answer-length grid: it reads dev questions only, and its leave-one-corpus-out choice."""

from eval import answer_grid
from eval import corpora as ec
from tests.eval.dev_only import assert_source_reads_only_dev, spy_on_questions


def test_the_grid_reads_dev_questions_only(monkeypatch):
    real = ec.Corpus.questions
    asked = spy_on_questions(monkeypatch)
    for corpus in ec.corpora().values():
        assert {q.id for q in answer_grid.dev_questions(corpus)} == set(corpus.split_ids()["dev"])
    assert set(asked) == {"dev"}
    assert_source_reads_only_dev(answer_grid)


def test_each_held_out_corpus_gets_the_cut_off_the_others_choose():
    scores = {"a": {0.85: 0.5, 0.6: 0.7, 0.0: 0.7},  # a tie: the larger cut-off, the shorter answer
              "b": {0.85: 0.6, 0.6: 0.8, 0.0: 0.8},
              "c": {0.85: 0.9, 0.6: 0.7, 0.0: 0.95}}
    assert answer_grid.choose(scores, ["a", "b"]) == 0.6
    loco = answer_grid.leave_one_corpus_out(scores)
    assert loco["c"] == (0.6, 0.7)  # a and b choose 0.6; c would have liked 0.0
    assert loco["a"] == (0.0, 0.7)  # b and c together do best at 0.0
    assert "| c | 0.900 | 0.700 | 0.950 | 0.6 | 0.700 |" in answer_grid.report(scores)
