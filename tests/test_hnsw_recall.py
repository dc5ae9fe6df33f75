"""The HNSW recall check compares Chroma's search with an exact one on a real index."""

import importlib.util
import json

import numpy as np

from conftest import CORPUS, ROOT, make_settings


def _module():
    spec = importlib.util.spec_from_file_location("hnsw_recall", ROOT / "eval" / "hnsw_recall.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_recall_of_a_small_index_is_exact_and_a_wrong_answer_is_caught(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    name = "000_f583a770491e03be.txt"
    (docs / name).write_bytes((CORPUS / name).read_bytes())
    dataset = tmp_path / "q.jsonl"
    dataset.write_text("".join(json.dumps({"question": q}) + "\n" for q in ("Who wrote the policy outlook?", "What is the Doha agreement?")))
    mod = _module()
    rows = mod.run(make_settings(tmp_path / "data", docs, candidates=5), dataset)
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
    mean, worst = mod.recall(Reversed(), vectors, ids, [vectors[0]], 5)
    assert mean == worst == 0.0
