"""Comparing two eval runs: changed answers counted per corpus and in all, with a sign test that
says when a difference is within chance; test questions shown by id only."""

import json

import pytest

from eval.comparison import changes, compare, sign_test


def test_the_sign_test_is_exact_and_two_sided():
    assert sign_test(0, 0) == 1.0
    assert sign_test(6, 3) == pytest.approx(0.5078, abs=1e-4)  # 2 * P(X <= 3), X ~ Binomial(9, 1/2)
    assert sign_test(3, 6) == sign_test(6, 3)
    assert sign_test(10, 0) == pytest.approx(2 / 1024)
    assert sign_test(5, 5) == 1.0


def test_changes_match_rows_by_id():
    a = [{"id": "q1", "correct": True}, {"id": "q2", "correct": False}, {"id": "q3", "correct": True}]
    b = [{"id": "q3", "correct": False}, {"id": "q2", "correct": True}, {"id": "q1", "correct": True}, {"id": "new", "correct": True}]
    c = changes(a, b)
    assert (c.gained, c.lost, c.same) == (["q2"], ["q3"], 1)


def _run(folder, split, right: dict, turns: dict | None = None):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"meta": {"split": split}, "answers": {"correct": sum(right.values()) / len(right)}}))
    rows = [{"id": i, "question": f"text of {i}", "correct": ok} for i, ok in right.items()]
    (folder / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    if turns:
        (folder / "conversations.jsonl").write_text("\n".join(json.dumps({"id": i, "question": f"text of {i}", "correct": ok})
                                                             for i, ok in turns.items()) + "\n")


def test_compare_reads_a_corpora_folder_and_hides_test_questions(tmp_path):
    _run(tmp_path / "a" / "one", "dev", {"d1": False, "d2": True}, {"d1.2": False})
    _run(tmp_path / "b" / "one", "dev", {"d1": True, "d2": True}, {"d1.2": True})
    _run(tmp_path / "a" / "two", "test", {"t1": True, "t2": False})
    _run(tmp_path / "b" / "two", "test", {"t1": False, "t2": False})
    report = compare(tmp_path / "a", tmp_path / "b")
    assert "== one" in report and "== two" in report
    assert "d1: text of d1" in report and "  t1" in report and "text of t1" not in report
    assert "answers.correct: 0.5 -> 1.0 (+0.500)" in report
    assert "questions: 1 gained, 1 lost of 4 (net +0; sign test p = 1.00" in report.split("== all corpora")[1]
    assert "conversation turns: 1 gained, 0 lost of 1" in report


def test_compare_refuses_folders_with_no_run_in_common(tmp_path):
    _run(tmp_path / "a", "dev", {"q": True})
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match="no eval run in common"):
        compare(tmp_path / "a", tmp_path / "b")
