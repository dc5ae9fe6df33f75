"""The eval scripts are modules: each has a main() that `python -m eval.<name>` runs, and the
harness keeps one definition of its shared helpers (percentile, free_port, the offline environment)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from eval import big_document, hnsw_recall, llm_figures, load_test, metrics, net, retrieval_benchmark
from eval.bench import probes
from rag import offline
from tests.conftest import ROOT

SCRIPTS = [big_document, hnsw_recall, llm_figures, load_test, retrieval_benchmark, probes]


@pytest.mark.parametrize("module", SCRIPTS, ids=lambda m: m.__name__)
def test_each_script_has_a_main_with_help(module, capsys):
    with pytest.raises(SystemExit) as stop:
        module.main(["--help"])
    assert stop.value.code == 0
    assert f"python -m {module.__name__}" in capsys.readouterr().out


def test_python_dash_m_runs_a_script():
    r = subprocess.run([sys.executable, "-m", "eval.hnsw_recall", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--dataset" in r.stdout, r.stderr


def test_one_percentile_and_one_free_port():
    assert load_test.percentile is metrics.percentile and load_test.free_port is net.free_port
    # Interpolated between ranks: the p95 of 1..20 lies between the 19th and 20th values.
    assert metrics.percentile(list(range(1, 21)), 0.95) == pytest.approx(19.05)
    assert metrics.percentile([], 0.5) == 0.0
    assert 0 < net.free_port() < 65536


def test_offline_environment_is_set_by_the_harness_and_passed_to_children(monkeypatch):
    assert set(offline.VARS) <= set(os.environ)  # importing eval applied them (unless they were set before)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    offline.apply()
    assert os.environ["HF_HUB_OFFLINE"] == "0"  # an explicit choice wins in this process
    child = offline.env(RAG_TOP_K=3)
    assert child["HF_HUB_OFFLINE"] == "1" and child["RAG_TOP_K"] == "3" and child["PATH"] == os.environ["PATH"]
