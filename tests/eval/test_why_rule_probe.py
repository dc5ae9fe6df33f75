"""The why-rule probe changes the system prompt by one rule only, and only while it runs."""

from __future__ import annotations

import rag.answer.prompt as prompt
from eval import why_rule_probe


def test_the_probe_adds_one_rule_before_the_example_and_nothing_else():
    v = why_rule_probe.variants()
    assert v["A"] == prompt.template("system")
    assert v["B"].replace(why_rule_probe.RULE, "", 1) == v["A"]
    assert v["B"].index(why_rule_probe.RULE) < v["B"].index("Example:")


def test_the_shipped_prompt_is_back_after_a_failed_run(monkeypatch):
    shipped = prompt.template

    def broken():
        raise RuntimeError("no corpora")

    monkeypatch.setattr(why_rule_probe, "corpora", broken)
    try:
        why_rule_probe.run("model.gguf")
    except RuntimeError:
        pass
    assert prompt.template is shipped
