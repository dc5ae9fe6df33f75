"""The as-typed probe: it reads dev questions only, types each variant as it says, and counts per corpus and in all."""

from eval import corpora as ec
from eval import typed
from tests.eval.dev_only import assert_source_reads_only_dev, spy_on_questions

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"


def test_the_probe_reads_dev_questions_only(monkeypatch):
    asked = spy_on_questions(monkeypatch)
    for corpus in ec.corpora().values():
        assert {q.id for q in typed.dev_questions(corpus)} == set(corpus.split_ids()["dev"])
        assert {c.id for c in typed.dev_conversations(corpus)} == set(corpus.conversation_split_ids()["dev"])
    assert set(asked) == {"dev"}
    assert_source_reads_only_dev(typed)


def test_each_variant_is_typed_as_described():
    assert typed.variant(DAVIS, "swap", 0) == "Which CIA contractor killed two pedesrtians in Lahore?"
    assert typed.variant(DAVIS, "drop", 0) == "Which CIA contractor killed two pedesrians in Lahore?"
    assert typed.variant(DAVIS, "lower", 0) == DAVIS.lower()
    assert typed.variant(DAVIS, "chat", 0) == "Hi, quick question: which CIA contractor killed two pedestrians in Lahore? Thanks!"
    assert typed.variant("GPLv3 or not?", "chat", 4) == "Sorry if this is obvious, but GPLv3 or not?"
    assert typed.variant("Is Pakistan's 'Green Alliance' real?", "quotes", 0) == "Is Pakistan\u2019s \u2018Green Alliance\u2019 real?"
    assert typed.variant('What is the "White Book"?', "quotes", 0) == "What is the \u201cWhite Book\u201d?"
    assert typed.variant("Who is Raymond Davis?", "swap", 0) is None  # no lowercase word of six letters


def test_each_follow_up_opens_with_an_acknowledgement_in_turn():
    conv = ec.get_corpus("licenses").conversations("dev")[0]
    acked = typed.acknowledged(conv, start=1)
    assert acked.turns[0] == conv.turns[0]  # the first turn is no follow-up
    assert acked.turns[1].question.question.startswith("Ok, thanks. ")
    assert acked.turns[1].question.id == conv.turns[1].question.id and acked.turns[1].kind == conv.turns[1].kind


def test_the_report_counts_each_corpus_and_all():
    row = {f"{k} {part}": [1, 2] for k in typed.VARIANTS for part in ("right", "abstains")}
    row |= {"follow-ups written": [3, 5], "follow-ups acknowledged": [2, 5]}
    text = typed.report({"a": row, "b": row})
    assert "| a | " + " | ".join(["1/2"] * 12) + " |" in text
    assert "| **all** | " + " | ".join(["2/4"] * 12) + " |" in text
    assert "| **all** | 6/10 | 4/10 |" in text
