"""The retrieval benchmark runs end to end on a small corpus and writes its table."""

import json

from eval import retrieval_benchmark
from tests.conftest import ROOT, make_settings, one_paper_corpus


def test_benchmark_writes_table_with_every_row(tmp_path):
    name = "000_f583a770491e03be.txt"
    docs = one_paper_corpus(tmp_path / "docs", name)
    questions = [json.loads(ln) for ln in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    small = [q for q in questions if q["docs"] == [name] and q["evidence"]][:6]
    dataset = tmp_path / "q.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in small), encoding="utf-8")
    rows = retrieval_benchmark.run(make_settings(tmp_path / "data", docs), dataset, tmp_path / "out")
    names = [r["name"] for r in rows]
    assert any("starter" in n for n in names) and any("BM25" in n for n in names)
    assert any("dense alone" in n for n in names) and any("product default" in n for n in names)
    for r in rows:
        assert 0 <= r["hit@1"] <= r["hit@5"] <= 1 and r["p50_ms"] > 0
    product = next(r for r in rows if "product default" in r["name"])
    assert product["hit@5"] >= 0.5  # the evidence of these questions is in the one indexed paper
    md = (tmp_path / "out" / "retrieval.md").read_text(encoding="utf-8")
    assert "| product default (hybrid) |" in md and "MRR@10" in md
    assert json.loads((tmp_path / "out" / "retrieval.json").read_text())["meta"]["questions"] == len(small)
