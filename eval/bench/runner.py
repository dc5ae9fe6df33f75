"""One benchmark run (Bench): a scratch folder, the settings it derives, each measurement in turn
and the results; run_bench runs it and writes the result files."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from eval.bench import cold, measure, scale
from eval.bench.measure import median
from eval.bench.plan import BenchPlan, answerable_questions
from eval.bench.probes import loadavg, machine_info
from eval.bench.report import write_results
from eval.metrics import percentile
from rag import offline
from rag.config import Settings


@dataclass
class Bench:
    """One benchmark run: a scratch folder, the settings it derives, and the results so far."""

    settings: Settings
    plan: BenchPlan
    results: dict = field(default_factory=dict)

    def __post_init__(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="rag-bench-"))
        # The ONNX export is cached where the user's own index keeps it, so it happens once.
        self.cache_dir = self.settings.embedding.cache_dir or self.settings.store.data_dir / "models"
        self.questions = answerable_questions(self.plan.questions, self.plan.max_questions)
        self.ingested: Settings | None = None  # the corpus index of the ingest measurement, reused after it

    def say(self, msg: str) -> None:
        if self.plan.log:
            print(f"bench: {msg}", file=sys.stderr, flush=True)

    def settings_for(self, name: str, **overrides) -> Settings:
        """Settings for a fresh index under the scratch folder."""
        return self.settings.updated(**{
            "data_dir": self.scratch / name, "embed_cache_dir": Path(self.cache_dir), "chroma_url": None, **overrides,
        })

    def env(self, s: Settings, **extra) -> dict:
        """The environment of a fresh `rag` process on the index of `s`: offline, none of this
        process's own RAG_* settings, then `extra`."""
        env = {k: v for k, v in offline.env().items() if not k.startswith("RAG_")}
        env.update({
            "RAG_DATA_DIR": str(s.store.data_dir), "RAG_CORPUS_DIR": str(s.store.corpus_dir), "RAG_EMBED_BACKEND": s.embedding.backend,
            "RAG_EMBED_CACHE_DIR": str(self.cache_dir), "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self) -> dict:
        """Every measurement, in order; the scratch folder is removed at the end."""
        t0 = time.perf_counter()
        self.results["machine"] = machine_info()
        self.results["plan"] = {"runs": self.plan.runs, "sizes": list(self.plan.sizes), "questions": len(self.questions),
                                "default_backend": self.settings.embedding.backend, "batch_size": self.settings.embedding.batch_size}
        try:
            self.results["backends"] = measure.backends(self)
            self.results["ingest"] = measure.ingest(self)
            self.results["query"] = measure.queries(self)
            self.results["cold_start"] = cold.cold_start(self) if self.plan.cold_start else {"skipped": True}
            self.results["memory"] = cold.memory(self) if self.plan.memory else {"skipped": True}
            self.results["scale"] = scale.measure_scale(self)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.results["machine"]["load_after"] = loadavg()
        self.results["seconds"] = round(time.perf_counter() - t0, 1)
        return self.results

    def latencies(self, fn, questions: list[str]) -> dict:
        """p50/p95 in ms over every question, per pass; the median pass is reported."""
        for q in questions[:3]:
            fn(q)  # warm caches
        p50s, p95s = [], []
        for _ in range(self.plan.runs):
            ms = []
            for q in questions:
                t = time.perf_counter()
                fn(q)
                ms.append((time.perf_counter() - t) * 1000)
            p50s.append(percentile(ms, 0.5))
            p95s.append(percentile(ms, 0.95))
        return {"p50": median(p50s), "p95": median(p95s), "passes_p50": p50s, "passes_p95": p95s}


def run_bench(settings: Settings, plan: BenchPlan | None = None) -> tuple[dict, list[Path]]:
    """Run every measurement and write the result files; returns the results and the files written."""
    plan = plan or BenchPlan()
    results = Bench(settings, plan).run()
    return results, write_results(results, plan.out_dir)


__all__ = ["Bench", "BenchPlan", "run_bench"]
