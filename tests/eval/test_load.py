"""The load script at a reduced size: concurrent users over the real app on a free loopback port,
each getting the answer to their own question, also while a document is uploaded and ingested."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("upload", [False, True], ids=["load", "load with an upload"])
def test_load_script_reduced(corpus_pipeline, upload):
    args = [sys.executable, "-m", "eval.load_test", "--users", "4", "--questions", "3", "--json",
            "--data-dir", str(corpus_pipeline.settings.store.data_dir), "--time-limit", "400"]
    r = subprocess.run(args + (["--upload"] if upload else []), cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["errors"] == [] and out["answered"] == 12, out
    assert r.returncode == 0
    assert out["p50_s"] > 0 and out["p95_s"] >= out["p50_s"]
    if upload:
        assert out["upload"] and "velquarin.txt: added" in out["upload"]
        assert sum(out["probe_states"].values()) == 4  # every probe saw the old or the new state
