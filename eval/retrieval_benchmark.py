"""Retrieval benchmark: the product's retrieval against the usual baselines, side by side.

    .venv/bin/python -m eval.retrieval_benchmark [--dataset eval/questions.jsonl] [--out eval/reports]

Rows: the llama-index starter pipeline (1024-token chunks, top-2 dense; and the same index at
top-10), BM25 alone, dense alone at the product's chunking, the product's default (hybrid), and the
product with the cross-encoder reranker when RAG_RERANKER_PATH is set. Same questions, same corpus,
same embedding model, one run. A hit is a returned passage holding a gold evidence quote.
Writes retrieval.md and retrieval.json into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from eval import ROOT
from eval.metrics import first_hit_rank, hit_at, ndcg_at, percentile, reciprocal_rank
from rag.config import Settings


def evaluate(name: str, retrieve, questions: list[dict]) -> dict:
    """Rank metrics and warm latency of one retrieval function (question -> passage texts)."""
    retrieve(questions[0]["question"])  # warm-up: models and indexes loaded before timing
    h1 = h5 = mrr = ndcg = 0.0
    times = []
    for q in questions:
        t = time.perf_counter()
        texts = retrieve(q["question"])
        times.append((time.perf_counter() - t) * 1000)
        rank = first_hit_rank(texts[:10], q["evidence"])
        h1 += hit_at(rank, 1)
        h5 += hit_at(rank, 5)
        mrr += reciprocal_rank(rank, 10)
        ndcg += ndcg_at(texts, q["evidence"], 10)
    n = len(questions)
    return {"name": name, "hit@1": h1 / n, "hit@5": h5 / n, "mrr@10": mrr / n, "ndcg@10": ndcg / n,
            "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95)}


def run(settings: Settings, dataset: Path, out: Path) -> list[dict]:
    from eval.bench.starter import StarterPipeline
    from rag.wiring import Pipeline
    from rag.retrieve.retriever import Retriever

    questions = [json.loads(ln) for ln in dataset.read_text(encoding="utf-8").splitlines() if ln.strip()]
    questions = [q for q in questions if q.get("evidence")]
    pipe = Pipeline(settings)
    pipe.ingestor.ingest()

    def product(mode: str, reranker=None):
        r = Retriever(settings, pipe.embedder, pipe.store, pipe.keyword, reranker, mode=mode, sentences=pipe.sentences,
                      authors=lambda: {d.doc_id: tuple(d.authors) for d in pipe.ingestor.manifest.documents.values()})
        return lambda q: [p.text for p in r.retrieve(q, 10).passages]

    starter = StarterPipeline(pipe.embedder, settings.store.corpus_dir)
    starter.build()
    top10 = starter.index.as_retriever(similarity_top_k=10)
    rows = [
        evaluate("llama-index starter (1024-token chunks, top-2 dense)", starter.retrieve, questions),
        evaluate("llama-index starter chunks, top-10 dense", lambda q: [n.node.get_content() for n in top10.retrieve(q)], questions),
        evaluate("BM25 alone (product chunks + context)", product("keyword"), questions),
        evaluate("dense alone (product chunks)", product("dense"), questions),
        evaluate("product default (hybrid)", product("hybrid"), questions),
    ]
    if settings.retrieval.reranker_path:
        from rag.retrieve.rerank import CrossEncoderReranker

        rows.append(evaluate("product + cross-encoder reranker", product("hybrid", CrossEncoderReranker(settings.retrieval.reranker_path)), questions))
    meta = {"questions": len(questions), "dataset": str(dataset), "chunks": pipe.store.count(),
            "starter_chunks": starter.chunks, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "when": time.strftime("%Y-%m-%d %H:%M"), "embedding": pipe.embedder.model_id}
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2), encoding="utf-8")
    (out / "retrieval.md").write_text(table(rows, meta), encoding="utf-8")
    return rows


def table(rows: list[dict], meta: dict) -> str:
    lines = [
        f"# Retrieval benchmark ({meta['questions']} questions with evidence, {meta['when']}, {meta['machine']})", "",
        f"Product index: {meta['chunks']} chunks; starter index: {meta['starter_chunks']} chunks; embedding {meta['embedding']}.", "",
        "| configuration | hit@1 | hit@5 | MRR@10 | nDCG@10 | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['mrr@10']:.3f} | {r['ndcg@10']:.3f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.retrieval_benchmark", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = p.parse_args(argv)
    rows = run(Settings(), args.dataset, args.out)
    print(table(rows, json.loads((args.out / "retrieval.json").read_text())["meta"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
