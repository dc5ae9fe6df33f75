"""The HNSW recall check compares Chroma's search with an exact one on a real index."""

import json

import numpy as np

from eval import hnsw_recall
from tests.conftest import make_settings, one_paper_corpus


def test_recall_of_a_small_index_is_exact_and_a_wrong_answer_is_caught(tmp_path):
    docs = one_paper_corpus(tmp_path / "docs")
    dataset = tmp_path / "q.jsonl"
    dataset.write_text("".join(json.dumps({"question": q}) + "\n" for q in ("Who wrote the policy outlook?", "What is the Doha agreement?")))
    rows = hnsw_recall.run(make_settings(tmp_path / "data", docs, candidates=5), dataset)
    assert [r["collection"] for r in rows] == ["chunks", "sentences"]
    assert all(r["k"] in (5, 20) and r["questions"] == 2 and r["vectors"] > r["k"] for r in rows)
    # With a few hundred vectors the search should find every exact neighbour.
    assert all(r["mean_recall"] == 1.0 for r in rows)

    # The comparison itself notices a search that returns the wrong ids.
    class Reversed:
        def query(self, query_embeddings, n_results, include):
            order = np.argsort(vectors @ np.asarray(query_embeddings[0]))[:n_results]
            return {"ids": [list(ids[order])]}

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    ids = np.array([f"v{i}" for i in range(50)])
    mean, worst = hnsw_recall.recall(Reversed(), vectors, ids, [vectors[0]], 5)
    assert mean == worst == 0.0
