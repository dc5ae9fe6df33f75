"""The in-process measurements of a benchmark run: the embedding backends (speed and retrieval
quality), corpus ingest against the raw model, and warm queries beside the llama-index starter."""

from __future__ import annotations

import statistics
import sys
import time
from typing import TYPE_CHECKING

from eval.bench.probes import time_process
from eval.bench.starter import StarterPipeline
from eval.bench.synthetic import RecordingEmbedder
from eval.metrics import first_hit_rank
from rag.config import Settings

if TYPE_CHECKING:
    from eval.bench.runner import Bench


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def hit(passages, evidence: list[str], k: int) -> int:
    """1 when one of the first k passages (texts, or objects with .text) holds the evidence."""
    texts = [p if isinstance(p, str) else p.text for p in passages][:k]
    rank = first_hit_rank(texts, evidence)
    return int(rank is not None and rank <= k)


def backends(bench: Bench) -> dict:
    """Each backend: raw encode throughput on the corpus chunks and retrieval quality on the eval set.

    The backends take turns run by run, so a burst of load from elsewhere on the shared cores
    hits all of them rather than skewing one."""
    from rag.index.embedding import Embedder

    plan = bench.plan
    texts = corpus_chunk_texts(bench)
    out: dict = {"chunks": len(texts)}
    embedders, times, vecs = {}, {}, {}
    for name in plan.backends:
        bench.say(f"backend {name}: load")
        emb = Embedder(bench.settings_for(f"backend-{name}", embed_backend=name))
        t = time.perf_counter()
        emb.embed(["warm up"])
        embedders[name], times[name] = emb, []
        out[name] = {"model_id": emb.model_id, "load_s": time.perf_counter() - t}
    for r in range(plan.runs):
        for name, emb in embedders.items():
            bench.say(f"backend {name}: encode {len(texts)} chunks, run {r + 1}/{plan.runs}")
            t = time.perf_counter()
            vecs[name] = emb.embed(texts)
            times[name].append(time.perf_counter() - t)
    first = plan.backends[0]
    for name in embedders:
        cos = (vecs[name] * vecs[first]).sum(axis=1)
        out[name].update({
            "encode_s": median(times[name]), "encode_runs_s": times[name], "chunks_per_s": len(texts) / median(times[name]),
            "min_cosine_vs_first": float(cos.min()), "mean_cosine_vs_first": float(cos.mean()),
        })
        bench.say(f"backend {name}: eval retrieval")
        out[name].update(retrieval_quality(bench, bench.settings_for(f"backend-{name}", embed_backend=name)))
    for name in plan.backends:
        out[name]["speedup_vs_" + first] = out[first]["encode_s"] / out[name]["encode_s"]
        out[name]["hit5_delta_vs_" + first] = out[name]["hit@5"] - out[first]["hit@5"]
        out[name]["dense_hit5_delta_vs_" + first] = out[name]["dense_hit@5"] - out[first]["dense_hit@5"]
    return out


def corpus_chunk_texts(bench: Bench) -> list[str]:
    """The corpus chunks' texts (with their context) as ingest makes them."""
    from rag.index.embedding import Embedder
    from rag.ingest.chunking import chunk_document
    from rag.ingest.documents import find_files, read_document

    count = Embedder(bench.settings_for("tokens")).count_tokens
    s = bench.settings
    files, _ = find_files([s.store.corpus_dir])
    return [c.context for f in files for c in chunk_document(read_document(f), count, s.chunking.tokens, s.chunking.overlap_tokens)]


def retrieval_quality(bench: Bench, s: Settings) -> dict:
    """hit@5 of hybrid and dense retrieval over the answerable eval questions (index built with `s`)."""
    from rag.wiring import Pipeline

    pipe = Pipeline(s)
    pipe.ingestor.progress = False
    pipe.ingestor.ingest()
    dense = Pipeline(s, retrieval_mode="dense")
    hybrid_hits = dense_hits = 0
    for q in bench.questions:
        hybrid_hits += hit(pipe.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5)
        dense_hits += hit(dense.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5)
    n = max(1, len(bench.questions))
    return {"hit@5": hybrid_hits / n, "dense_hit@5": dense_hits / n}


def ingest(bench: Bench) -> dict:
    """Corpus ingest with the default backend (model loaded first) vs raw encode of the same texts."""
    from rag.wiring import Pipeline

    plan = bench.plan
    runs = []
    for r in range(plan.runs):
        bench.say(f"ingest run {r + 1}/{plan.runs}")
        s = bench.settings_for(f"ingest-{r}")
        pipe = Pipeline(s)
        pipe.embedder.embed(["warm up"])  # model load is reported separately, not as ingest
        ingestor = pipe.ingestor
        ingestor.progress = False
        ingestor.embedder = recorder = RecordingEmbedder(pipe.embedder)
        t = time.perf_counter()
        report = ingestor.ingest()
        ingest_s = time.perf_counter() - t
        # The model alone on exactly what ingest embedded (chunks and whatever else it embeds).
        t = time.perf_counter()
        pipe.embedder.encoder.encode(recorder.texts, s.embedding.batch_size)
        raw_s = time.perf_counter() - t
        again = []
        for _ in range(plan.runs):
            fresh = Pipeline(s)  # a new process would also start with cold caches of the index
            fresh.ingestor.progress = False
            t = time.perf_counter()
            fresh.ingestor.ingest()
            again.append(time.perf_counter() - t)
        runs.append({"chunks": report.chunks_total, "texts_embedded": len(recorder.texts), "ingest_s": ingest_s, "raw_encode_s": raw_s,
                     "reingest_unchanged_s": median(again)})
        bench.ingested = s  # kept for the query and cold-start measurements
    chunks = runs[-1]["chunks"]
    ingest_s = median([r["ingest_s"] for r in runs])
    raw_s = median([r["raw_encode_s"] for r in runs])
    out = {
        "backend": bench.settings.embedding.backend, "chunks": chunks, "texts_embedded": runs[-1]["texts_embedded"],
        "ingest_s": ingest_s, "chunks_per_s": chunks / ingest_s,
        "raw_encode_s": raw_s, "raw_chunks_per_s": chunks / raw_s, "raw_texts_per_s": runs[-1]["texts_embedded"] / raw_s,
        "ratio": raw_s / ingest_s,
        "reingest_unchanged_s": median([r["reingest_unchanged_s"] for r in runs]), "runs": runs,
    }
    if plan.cold_start:
        env = bench.env(bench.ingested)
        out["reingest_unchanged_cli_s"] = median(
            [time_process([sys.executable, "-m", "rag", "ingest"], env)[0] for _ in range(plan.runs)]
        )
    return out


def queries(bench: Bench) -> dict:
    """Retrieval and extractive answers, warm, over the eval questions; beside the llama-index starter."""
    from rag.wiring import Pipeline

    pipe = Pipeline(bench.ingested)
    pipe.warm()
    questions = [q["question"] for q in bench.questions]
    retrieve = bench.latencies(lambda q: pipe.retriever.retrieve(q), questions)
    answer = bench.latencies(lambda q: pipe.answerer.ask(q), questions)
    bench.say("llama-index starter pipeline (1024-token chunks, top-2)")
    starter = StarterPipeline(pipe.embedder, bench.settings.store.corpus_dir)
    t = time.perf_counter()
    starter.build()
    starter_build_s = time.perf_counter() - t
    starter_lat = bench.latencies(starter.retrieve, questions)
    hits = {
        "ours_hit@5": sum(hit(pipe.retriever.retrieve(q["question"], 5).passages, q["evidence"], 5) for q in bench.questions),
        "ours_hit@2": sum(hit(pipe.retriever.retrieve(q["question"], 2).passages, q["evidence"], 2) for q in bench.questions),
        "starter_hit@2": sum(hit(starter.retrieve(q["question"]), q["evidence"], 2) for q in bench.questions),
    }
    n = max(1, len(bench.questions))
    return {
        "questions": len(questions), "retrieve_ms": retrieve, "answer_ms": answer, "starter_retrieve_ms": starter_lat,
        "starter": {"chunks": starter.chunks, "build_s": starter_build_s},
        "ratio_p50": retrieve["p50"] / max(starter_lat["p50"], 1e-9),
        **{k: v / n for k, v in hits.items()},
    }
