"""The scale measurement of a benchmark run: ingest throughput and warm query latency of synthetic
collections of recombined corpus sentences, by size."""

from __future__ import annotations

import random
import shutil
import time
from typing import TYPE_CHECKING

from eval.bench.synthetic import PrecomputedEmbedder, RecordingEmbedder, corpus_sentences, write_synthetic_docs

if TYPE_CHECKING:
    from eval.bench.runner import Bench


def measure_scale(bench: Bench) -> dict:
    """Synthetic collections of recombined corpus sentences: ingest throughput and query latency by size.

    Every size goes through the real ingest (files -> chunks -> vectors -> Chroma, BM25). Sizes up
    to `real_ingest_max` run the model; larger ones get the real vectors of the last real size,
    perturbed, in place of the model's output, since embedding 100k chunks takes hours on 2
    cores: their time is everything but the model, and the model would add texts / its throughput."""
    from rag.wiring import Pipeline

    plan = bench.plan
    rng = random.Random(plan.seed)
    sentences = corpus_sentences(bench.settings.store.corpus_dir)
    rows, pool = [], None
    for size in plan.sizes:
        s = bench.settings_for(f"scale-{size}")
        real = size <= plan.real_ingest_max or pool is None
        bench.say(f"scale {size} chunks ({'real ingest' if real else 'precomputed vectors'})")
        pipe = Pipeline(s)
        folder = bench.scratch / f"scale-docs-{size}"
        write_synthetic_docs(folder, sentences, size, rng, pipe.embedder.count_tokens, s)
        pipe.embedder.embed(["warm up"])
        ingestor = pipe.ingestor
        ingestor.progress = False
        embedder = RecordingEmbedder(pipe.embedder, keep=20_000) if real else PrecomputedEmbedder(pipe.embedder, pool, rng)
        ingestor.embedder = embedder
        t = time.perf_counter()
        report = ingestor.ingest([folder])
        seconds = time.perf_counter() - t
        if real:
            pool = embedder.pool()
        shutil.rmtree(folder, ignore_errors=True)
        pipe.warm()
        questions = [q["question"] for q in bench.questions]
        lat = bench.latencies(pipe.retriever.retrieve, questions)
        ans = bench.latencies(pipe.answerer.ask, questions[: max(10, len(questions) // 4)])
        disk = sum(f.stat().st_size for f in s.store.data_dir.rglob("*") if f.is_file() and "models" not in f.parts)
        rows.append({
            "target": size, "chunks": report.chunks_total, "texts_embedded": embedder.count,
            "embedding": "real" if real else "precomputed", "ingest_s": seconds,
            "chunks_per_s": report.chunks_total / seconds, "retrieve_ms": lat, "answer_ms": ans, "disk_mb": disk / 2**20,
        })
        del pipe, ingestor, embedder
        shutil.rmtree(s.store.data_dir, ignore_errors=True)
    return {"rows": rows}
