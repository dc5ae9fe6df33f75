"""Probe scoring: an unanswerable question is right when the bot abstained, another when every
must_contain string is in the answer; the committed answers score as the docs report."""

import json
from pathlib import Path

from eval.probe_score import is_right, main, score

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule():
    q = {"id": "q", "question": "How?", "type": "factual", "must_contain": ["Second -f", "nested"]}
    assert is_right(q, {"answer": "Git refuses nested repositories unless a second -f is given.", "abstained": False})
    assert not is_right(q, {"answer": "Git refuses nested repositories.", "abstained": False})
    assert not is_right(q, {"answer": "a second -f, nested", "abstained": True})
    u = {"id": "u", "question": "Who?", "type": "unanswerable", "must_contain": []}
    assert is_right(u, {"answer": "The documents don't answer this question.", "abstained": True})
    assert not is_right(u, {"answer": "Someone.", "abstained": False})


def test_missing_answers_and_stray_lines_count_wrong(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps({"id": i, "question": f"Q{i}?", "type": "factual", "must_contain": ["x"]})
                                   for i in ("a", "b")) + "\n")
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"question": "Qa?", "answer": "x", "abstained": False}) + "\n}\n")
    assert score(questions, answers) == (["a"], ["b"])


def test_committed_ninth_probe_answers_score_as_reported(capsys):
    right, wrong = score(ROOT / "eval" / "probes" / "git_txt.jsonl", ROOT / "eval" / "reports" / "probes" / "git_txt.jsonl")
    assert (len(right), len(right) + len(wrong)) == (30, 36)
    assert main([str(ROOT / "eval" / "probes" / "git_txt_chat.jsonl"), str(ROOT / "eval" / "reports" / "probes" / "git_txt_chat.jsonl")]) == 0
    assert capsys.readouterr().out.strip() == "4 of 10 right"
