"""How much Chroma's approximate (HNSW) search misses: the ids it returns for each eval question
against an exact brute-force search over the same stored vectors, for the chunk search and the
sentence search at the depths the retriever asks for; a low figure would cost retrieval quality.

    .venv/bin/python -m eval.hnsw_recall [--dataset eval/questions.jsonl] [--out eval/reports]

Uses the index in the configured data dir (ingesting the corpus first if it is out of date).
Writes hnsw_recall.md into --out.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval import ROOT
from rag.config import Settings


def recall(collection, vectors: np.ndarray, ids: np.ndarray, queries: list[np.ndarray], k: int) -> tuple[float, float]:
    """Mean and worst share of the exact k nearest ids that Chroma's search returns."""
    shares = []
    for v in queries:
        exact = set(ids[np.argsort(-(vectors @ v))[:k]])
        found = collection.query(query_embeddings=[v.tolist()], n_results=k, include=[])["ids"][0]
        shares.append(len(exact & set(found)) / k)
    return float(np.mean(shares)), float(np.min(shares))


def run(settings: Settings, dataset: Path) -> list[dict]:
    from rag.wiring import Pipeline

    pipe = Pipeline(settings)
    pipe.ingestor.ingest()
    questions = [json.loads(ln)["question"] for ln in dataset.read_text(encoding="utf-8").splitlines() if ln.strip()]
    queries = [pipe.embedder.embed_query(q) for q in questions]
    rows = []
    for name, collection, k in (("chunks", pipe.store.collection, settings.retrieval.candidates),
                                ("sentences", pipe.sentences.collection, settings.retrieval.candidates * 4)):
        got = collection.get(include=["embeddings"])
        vectors, ids = np.asarray(got["embeddings"], dtype=np.float32), np.asarray(got["ids"])
        mean, worst = recall(collection, vectors, ids, queries, min(k, len(ids)))
        rows.append({"collection": name, "vectors": len(ids), "k": min(k, len(ids)), "questions": len(queries),
                     "mean_recall": mean, "worst_recall": worst})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.hnsw_recall", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = p.parse_args(argv)
    rows = run(Settings(), args.dataset)
    lines = ["# HNSW recall against exact search", "",
             "Share of the exact k nearest ids (brute force over the stored vectors) that Chroma's search returns, "
             "per eval question.", "",
             "| collection | vectors | k | questions | mean recall | worst question |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['collection']} | {r['vectors']} | {r['k']} | {r['questions']} | {r['mean_recall']:.3f} | {r['worst_recall']:.3f} |"
              for r in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hnsw_recall.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
