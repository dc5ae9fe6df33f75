"""eval.big_document: the labelled precomputed-vector mode and the memory samples."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_precomputed_vectors_mode_runs_rag_ingest_and_labels_its_figure():
    r = subprocess.run([sys.executable, "-m", "eval.big_document", "--mb", "0.1", "--vectors", "precomputed",
                        "--rss-every", "0.5", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["vectors"] == "precomputed" and out["documents"] == 1 and out["chunks"] > 100
    # The real model is loaded and run (on the corpus's sentences), so its memory is in the peak.
    assert out["peak_rss_mb"] > 200, out
    assert out["rss_mb_over_time"] and max(mb for _, mb in out["rss_mb_over_time"]) <= out["peak_rss_mb"] + 1
