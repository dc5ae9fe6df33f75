"""The per-corpus LLM report: 'with judge' is the same answers, abstaining wherever the judge said no."""

from eval.llm_corpora import figures, markdown


def row(id_, type_, verdict, correct, abstained=False):
    scored = {"id": id_, "type": type_, "abstained": abstained, "cited": [1], "correct": correct}
    on = dict(scored, abstained=True, correct=type_ == "unanswerable") if verdict is False else scored
    return {"corpus": "c", "id": id_, "type": type_, "question": "?", "verdict": verdict,
            "judge_s": None if verdict is None and abstained else 1.0,
            "off": {**scored, "fallback": None, "timings": {"ttft_ms": 1000.0, "total_ms": 2000.0}}, "on": on}


def test_the_judge_figures_are_the_answers_with_its_noes_abstaining():
    rows = [row("a", "fact", True, True), row("b", "fact", False, True), row("c", "fact", None, False, abstained=True),
            row("d", "unanswerable", False, False), row("e", "unanswerable", True, False)]
    f = figures(rows, judge_only=False)
    assert f["off"]["correct"] == round(2 / 3, 4) and f["on"]["correct"] == round(1 / 3, 4)
    assert f["off"]["abstains"] == 0.0 and f["on"]["abstains"] == 0.5
    assert f["judge_says_no_answerable"] == "1 of 2" and f["judge_says_no_unanswerable"] == "1 of 2"
    report = {"setup": {"split": "test", "every": 1, "judge_only": False, "model": "m.gguf", "machine": "x",
                        "when": "now", "minutes": 1}, "corpora": {"c": f}}
    lines = markdown(report).splitlines()
    header = next(ln for ln in lines if ln.startswith("| corpus | questions | correct"))
    assert all(ln.count("|") == header.count("|") for ln in lines[lines.index(header):lines.index(header) + 3])
