"""The benchmark on a tiny corpus and tiny scale sizes: it runs end to end and writes its tables;
and its fresh-process probes see what the `rag` commands import (no timing is asserted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from eval.bench.plan import COLD_QUESTION
from eval.bench.probes import heavy_imports, time_process
from eval.bench.probes import main as probe
from eval.bench.report import render_markdown
from eval.bench.runner import BenchPlan, run_bench
from rag.app.cli import main
from tests.conftest import CORPUS, ROOT, make_settings


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """The opening of two corpus papers, and three eval questions answered there."""
    base = tmp_path_factory.mktemp("tiny")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in ("000_f583a770491e03be.txt", "003_de33c5a8e2338868.txt"):
        text = (CORPUS / name).read_text(encoding="utf-8")
        (corpus / name).write_text(text[: text.index("\n\n", 4000)] + "\n", encoding="utf-8")
    wanted = {"q001", "q002", "q065"}
    rows = [ln for ln in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if ln.strip() and json.loads(ln)["id"] in wanted]
    questions = base / "questions.jsonl"
    questions.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return corpus, questions


def test_bench_writes_its_tables(tiny, tmp_path):
    corpus, questions = tiny
    out = tmp_path / "benchmarks"
    plan = BenchPlan(out_dir=out, runs=1, sizes=(20, 60), real_ingest_max=20, backends=("onnx", "onnx-int8"),
                     questions=questions, cold_start=False, memory=False, log=False)
    results, paths = run_bench(make_settings(tmp_path / "data", corpus), plan)

    assert sorted(p.name for p in paths) == ["results.json", "results.md", "scale.png"]
    assert (out / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((out / "results.json").read_text())
    assert saved["plan"]["questions"] == 3 and saved["machine"]["cpus"] >= 1

    ing = saved["ingest"]
    assert ing["chunks"] > 0 and ing["ingest_s"] > 0 and ing["raw_encode_s"] > 0
    assert ing["ratio"] == pytest.approx(ing["raw_encode_s"] / ing["ingest_s"])
    b = saved["backends"]
    assert b["onnx-int8"]["model_id"].endswith("+int8") and b["onnx"]["min_cosine_vs_first"] > 0.999
    assert 0 <= b["onnx-int8"]["hit@5"] <= 1
    q = saved["query"]
    assert q["questions"] == 3 and q["retrieve_ms"]["p95"] >= q["retrieve_ms"]["p50"] > 0
    assert q["starter"]["chunks"] > 0 and q["starter_retrieve_ms"]["p50"] > 0
    assert ing["texts_embedded"] >= ing["chunks"]  # the raw encode ran on everything ingest embedded
    rows = saved["scale"]["rows"]
    assert [r["embedding"] for r in rows] == ["real", "precomputed"]
    assert 0 < rows[0]["chunks"] < rows[1]["chunks"] and 30 <= rows[1]["chunks"] <= 120
    assert all(r["texts_embedded"] >= r["chunks"] for r in rows)

    md = (out / "results.md").read_text()
    for heading in ("## Ingest", "## Embedding backends", "## Warm queries", "## Scale", "![scale](scale.png)"):
        assert heading in md
    assert f"| chunks | {ing['chunks']} |" in md
    assert "Cold start" not in md  # skipped sections leave no empty tables


def test_process_probes_see_what_commands_import(tiny, tmp_path, onnx_cache):
    corpus, _ = tiny
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_CORPUS_DIR": str(corpus), "RAG_EMBED_CACHE_DIR": str(onnx_cache),
           "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    seconds, rss_mb = time_process([sys.executable, "-m", "rag", "ingest"], env)
    assert seconds > 0 and rss_mb > 10
    # `rag status` touches no model, store or UI library ...
    assert heavy_imports([sys.executable, "-X", "importtime", "-m", "rag", "status"], env) == []
    # ... an unchanged re-ingest searches nothing, so it leaves llama-index alone ...
    assert "llama_index" not in heavy_imports([sys.executable, "-X", "importtime", "-m", "rag", "ingest"], env)
    # ... and a question with the default (ONNX) backend searches Chroma through llama-index, without torch
    ask = heavy_imports([sys.executable, "-X", "importtime", "-m", "rag", "ask", "--json", "Who is Ravale Mohyidin?"], env)
    assert {"chromadb", "llama_index"} <= set(ask)
    assert not {"torch", "transformers", "sentence_transformers", "gradio"} & set(ask)


def test_bench_rejects_bad_sizes(capsys):
    assert main(["bench", "--sizes", "1k,10k"]) == 2
    assert "--sizes takes whole numbers" in capsys.readouterr().err


def test_report_template_renders_the_committed_results():
    """benchmarks/results.md is the template rendered over benchmarks/results.json, byte for byte."""
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    assert render_markdown(results, "scale.png") == (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    # Optional lines (a value of None) are left out, and a section without results leaves nothing.
    results["memory"]["extractive"].update(server_peak_rss_mb=None, server_note="no server")
    del results["ingest"]["reingest_unchanged_cli_s"], results["query"]
    md = render_markdown(results, None)
    assert "| extractive | 266 MB | no server |" in md and "`rag ingest`, fresh process" not in md
    assert "## Warm queries" not in md and "![scale]" not in md and "${" not in md and "\n\n\n\n" not in md


def test_measure_probe_reports_time_peak_memory_and_exit_code(capsys):
    assert probe(["measure", sys.executable, "-c", "x = bytearray(80_000_000); x[::4096] = b'1' * len(x[::4096])"]) == 0
    seconds, rss_kb = capsys.readouterr().out.split()
    assert float(seconds) > 0 and int(rss_kb) > 80_000
    assert probe(["measure", sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_cold_question_is_the_first_answerable_eval_question():
    rows = [json.loads(ln) for ln in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert COLD_QUESTION == next(q["question"] for q in rows if q["type"] != "unanswerable")
