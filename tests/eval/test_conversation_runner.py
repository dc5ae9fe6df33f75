"""Conversations asked turn by turn: the history each turn gets, the standalone run beside it, the
figures computed from hand-made results, and one real run on the shipped corpus."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from eval import conversation_runner as cr
from eval.conversations import Conversation, Turn
from eval.corpora import get_corpus
from eval.runner import Question
from rag.domain import Citation

EVIDENCE = "Raymond Davis was allowed to leave after money was paid to the victims' families"


def q(qid: str, text: str, qtype: str = "fact", must=("davis",)) -> Question:
    answerable = qtype != "unanswerable"
    return Question(qid, text, qtype, "gold" if answerable else None, list(must) if answerable else [],
                    ["a.txt"] if answerable else [], [EVIDENCE] if answerable else [])


@dataclass
class FakeAnswer:
    text: str
    abstained: bool
    searched_for: str
    timings: dict

    @property
    def answer(self) -> str:
        return self.text

    @property
    def citations(self) -> list[Citation]:
        return [Citation(1, "a.txt", "a", "", EVIDENCE, 0.8, doc_id="doc-a")]

    def to_dict(self) -> dict:
        return {"answer": self.text, "abstained": self.abstained, "backend": "extractive", "searched_for": self.searched_for,
                "timings": self.timings, "citations": [{"n": 1, "source": "a.txt", "text": EVIDENCE, "score": 0.8}]}


@dataclass
class FakePassage:
    text: str


@dataclass
class FakePipeline:
    """Answers from a script keyed by (question, turns of history); records what each ask got."""

    script: dict
    asked: list = field(default_factory=list)
    searched: list = field(default_factory=list)
    preferred: list = field(default_factory=list)

    def __post_init__(self):
        self.answerer = self
        self.retriever = self

    def ask(self, question, k=None, backend=None, history=()):
        self.asked.append((question, tuple(history)))
        text, abstained, searched = self.script[(question, len(history))]
        timings = {"retrieve_ms": 1.0, **({"condense_ms": 2.0} if history else {})}
        return FakeAnswer(text, abstained, searched, timings)

    def retrieve_all(self, queries, k, prefer=frozenset()):
        self.searched.append(tuple(queries))
        self.preferred.append(prefer)
        hit = any("Davis" in x for x in queries)
        return type("R", (), {"passages": [FakePassage(EVIDENCE if hit else "something else")]})()


def test_each_turn_gets_the_earlier_exchanges_and_is_asked_alone_in_standalone_form():
    conv = Conversation("pc001", (
        Turn(q("pc001.1", "Who was the contractor?"), "first", "Who was the contractor?"),
        Turn(q("pc001.2", "How did he leave?"), "pronoun", "How did Raymond Davis leave Pakistan?"),
        Turn(q("pc001.3", "How much were they paid?", "unanswerable"), "absent", "How much were Davis's victims' families paid?"),
    ))
    pipe = FakePipeline({
        ("Who was the contractor?", 0): ("Raymond Davis. [1]", False, "Who was the contractor?"),
        ("How did he leave?", 1): ("Davis left after money was paid. [1]", False, "How did Raymond Davis leave?"),
        ("How did Raymond Davis leave Pakistan?", 0): ("Davis left after money was paid. [1]", False, "How did Raymond Davis leave Pakistan?"),
        ("How much were they paid?", 2): ("The documents don't answer this question.", True, "How much were they paid?"),
        ("How much were Davis's victims' families paid?", 0): ("The documents don't answer this question.", True, "x"),
    })
    rows, summary = cr.run_conversations(pipe, [conv])
    histories = [(text, [h.question for h in hist]) for text, hist in pipe.asked]
    assert histories == [("Who was the contractor?", []),
                         ("How did he leave?", ["Who was the contractor?"]),
                         ("How did Raymond Davis leave Pakistan?", []),
                         ("How much were they paid?", ["Who was the contractor?", "How did he leave?"]),
                         ("How much were Davis's victims' families paid?", [])]
    assert pipe.asked[1][1][0].answer == "Raymond Davis. [1]"  # the bot's own earlier answer is the history
    # The evidence ranking searches what the answerer searched: the resolved query beside the question as typed.
    assert pipe.searched[1] == ("How did Raymond Davis leave?", "How did he leave?")
    # ... preferring what the answerer preferred: the document the last answer cited (a resolved follow-up only)
    assert pipe.preferred[:3] == [frozenset(), frozenset({"doc-a"}), frozenset()]
    assert pipe.asked[1][1][0].documents == ("doc-a",)
    assert [r["kind"] for r in rows] == ["first", "pronoun", "absent"] and "alone" not in rows[0]
    assert rows[1]["correct"] and rows[1]["hit5"] == 1.0 and rows[1]["alone"]["correct"]
    assert rows[2]["correct"] and rows[2]["abstained"]
    assert summary["followup"] == {"turns": 1, "hit@5": 1.0, "mrr@10": 1.0, "correctness": 1.0, "resolved": 1.0,
                                   "by_kind": {"pronoun": 1.0}}
    assert summary["absent"] == {"turns": 1, "abstention": 1.0, "alone_abstention": 1.0}
    assert summary["latency_ms"]["condense_ms"] == {"p50": 2.0, "p95": 2.0}


def row(kind: str, correct: bool, hit5=None, alone=None, turn: int = 2, abstained: bool = False, qtype: str = "fact",
        searched: str = "q", conv: str = "c1", **timings) -> dict:
    r = {"conversation": conv, "turn": turn, "kind": kind, "type": qtype, "correct": correct, "abstained": abstained,
         "question": "q", "searched_for": searched, "timings": {"total_ms": 10.0, **timings}}
    if hit5 is not None:
        r.update(hit5=hit5, rr=hit5)
    if alone is not None:
        r["alone"] = alone
    return r


def test_the_figures_on_hand_made_results():
    rows = [
        row("first", True, 1.0, turn=1), row("first", False, 0.0, turn=1, conv="c2"),
        # follow-ups: 2 of 3 correct and 2 of 3 hits with the history; alone all three hit, 2 correct
        row("pronoun", True, 1.0, {"correct": True, "hit5": 1.0, "rr": 1.0}, searched="q (resolved)", condense_ms=4.0),
        row("ellipsis", False, 0.0, {"correct": False, "hit5": 1.0, "rr": 0.5}, condense_ms=6.0),
        row("what_about", True, 1.0, {"correct": True, "hit5": 1.0, "rr": 1.0}, turn=3, condense_ms=8.0),
        # topic changes: one scores as alone, one lost its hit (harmed), one gained correctness (not the same either)
        row("topic_change", True, 1.0, {"correct": True, "hit5": 1.0}),
        row("topic_change", True, 0.0, {"correct": True, "hit5": 1.0}, searched="dragged back"),
        row("topic_change", True, 1.0, {"correct": False, "hit5": 1.0}),
        # absent: one of two abstains with the history, both alone
        row("absent", True, abstained=True, qtype="unanswerable", alone={"correct": True, "abstained": True}),
        row("absent", False, abstained=False, qtype="unanswerable", alone={"correct": True, "abstained": True}),
        row("false_premise", False, 1.0, {"correct": True, "hit5": 1.0}, qtype="false_premise"),
    ]
    s = cr.summarize_conversations(rows)
    assert s["conversations"] == 2 and s["turns"] == len(rows)
    assert s["first"] == {"turns": 2, "hit@5": 0.5, "correctness": 0.5}
    f = s["followup"]
    assert (f["turns"], f["hit@5"], f["correctness"], f["resolved"]) == (3, 0.6667, 0.6667, 0.3333)
    assert f["by_kind"] == {"pronoun": 1.0, "ellipsis": 0.0, "what_about": 1.0}
    assert s["standalone"] == {"turns": 3, "hit@5": 1.0, "mrr@10": 0.8333, "correctness": 0.6667}
    assert s["gap"] == {"hit@5": -0.3333, "correctness": 0.0}
    assert s["topic_change"] == {"turns": 3, "robustness": 0.3333, "untouched": 0.6667, "correctness": 1.0, "alone_correctness": 0.6667}
    assert s["absent"] == {"turns": 2, "abstention": 0.5, "alone_abstention": 1.0}
    assert s["false_premise"] == {"turns": 1, "correctness": 0.0}
    assert s["latency_ms"]["condense_ms"] == {"p50": 6.0, "p95": 7.8}


def test_the_table_shows_each_corpus_and_the_worst():
    a = cr.summarize_conversations([row("first", True, 1.0, turn=1), row("pronoun", True, 1.0, {"correct": True, "hit5": 1.0}, condense_ms=3.0)])
    b = cr.summarize_conversations([row("first", True, 1.0, turn=1), row("pronoun", False, 0.0, {"correct": True, "hit5": 1.0})])
    text = cr.table({"a": {"conversations": a}, "b": {"conversations": b}, "c": {}})
    lines = text.splitlines()
    assert lines[2].startswith("| a | 1 | 1.000") and "| 3.0 |" in lines[2]
    assert lines[3].startswith("| b | 1 |") and lines[-1].startswith("| **worst** |") and "**0.000**" in lines[-1]
    assert len(lines) == 5 and cr.table({"c": {}}) == ""


def test_a_real_conversation_on_the_shipped_corpus(corpus_pipeline):
    """The Raymond Davis conversation of issue #16 and a change of topic, through the real answerer."""
    convs = [c for c in get_corpus("papers").conversations() if c.id in ("pc001", "pc011")]
    rows, summary = cr.run_conversations(corpus_pipeline, convs)
    assert [r["id"] for r in rows] == [t.question.id for c in convs for t in c.turns]
    assert rows[0]["correct"] and rows[0]["hit5"] == 1.0  # "Who was the CIA contractor ...?" asked with no history
    for r in rows:
        assert r["searched_for"] and r["timings"]["total_ms"] > 0
        assert ("alone" in r) == (r["turn"] > 1)
        if r["type"] != "unanswerable":
            assert r["hit5"] in (0.0, 1.0)  # ranked for what the answerer searched
    assert all("condense_ms" in r["timings"] for r in rows if r["turn"] > 1)
    assert summary["followup"]["turns"] == 3 and summary["topic_change"]["turns"] == 1 and summary["absent"]["turns"] == 1
    assert 0.0 <= summary["followup"]["hit@5"] <= 1.0 and summary["standalone"]["hit@5"] is not None
