"""The evidence-recall probe: it reads the prompt at the model's place and counts an answer held only in quoted passages."""

from __future__ import annotations

from eval import evidence_recall
from rag.answer.prompt import build_prompt, format_passage
from rag.domain import Passage


def _passage(text: str) -> Passage:
    return Passage(id="d#0", text=text, source="d.txt", title="Doc", section="", index=0, score=1.0)


def test_the_stand_in_keeps_the_prompt_and_costs_no_generation():
    class Model:
        name = "llamacpp"

        def count_tokens(self, text):
            return len(text.split())

    shown = evidence_recall.Shown(Model())
    prompt = build_prompt("When?", [_passage("It was signed in 1999.")], 4096, 256, shown.count_tokens)
    assert list(shown.stream(prompt.messages)) == ["."]
    quoted = evidence_recall._PASSAGE.findall(shown.messages[-1]["content"])
    assert quoted == ["It was signed in 1999."]  # the question and the instructions are not evidence
    assert format_passage(1, _passage("x")).count("<passage>") == 1


def test_summary_is_the_share_holding_the_answer_and_the_median_tokens(monkeypatch):
    monkeypatch.setattr(evidence_recall, "WAYS", {"a": {}, "b": {}})
    rows = [{"a": {"holds": True, "tokens": 10}, "b": {"holds": False, "tokens": 4}},
            {"a": {"holds": True, "tokens": 30}, "b": {"holds": True, "tokens": 6}}]
    assert evidence_recall.summary(rows) == {"a": {"holds": 1.0, "user_tokens_p50": 20.0},
                                             "b": {"holds": 0.5, "user_tokens_p50": 5.0}}
    assert evidence_recall.summary([]) == {}
    assert evidence_recall._normal("The  O\u2019Neill\nrule") == "the o'neill rule"
