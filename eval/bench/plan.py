"""What a benchmark run measures (BenchPlan) and the questions it asks: the defaults are the full
run behind benchmarks/results.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eval import ROOT as PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"


def answerable_questions(path: Path, limit: int | None = None) -> list[dict]:
    """The questions of an eval JSONL file that have gold evidence (the answerable ones), in order."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            if q.get("evidence"):
                rows.append(q)
    return rows[:limit] if limit else rows


# The question of the fresh-process measurements (`rag ask --json`): one about the shipped corpus.
COLD_QUESTION: str = answerable_questions(QUESTIONS, 1)[0]["question"]


@dataclass
class BenchPlan:
    """What to measure; the defaults are the full run behind benchmarks/results.md."""

    out_dir: Path = PROJECT_ROOT / "benchmarks"
    runs: int = 3  # repeats of each timed step; medians are reported
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)  # synthetic collection sizes (chunks)
    real_ingest_max: int = 10_000  # sizes up to this are ingested for real (embedding every chunk)
    backends: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
    questions: Path = QUESTIONS
    max_questions: int | None = None  # None = every answerable question
    cold_start: bool = True  # spawn fresh processes (`rag ask`, `rag status`, the web UI)
    memory: bool = True  # peak RSS of the server and of `rag ask`, extractive and llamacpp
    llm_gguf: Path | None = None  # SmolLM2 GGUF for the llamacpp memory figure; None = look for it
    seed: int = 7
    log: bool = True
