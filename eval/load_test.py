"""Bounded load test of the web app's `/ask` API: N concurrent users, M questions each, to show that
concurrent users each get their own answer, also while a document is ingested.

    .venv/bin/python -m eval.load_test                       # 16 users x 10 questions
    .venv/bin/python -m eval.load_test --users 4 --questions 3 --upload   # upload + ingest during the load

The app is served by this script on a free 127.0.0.1 port (loopback only) over a copy of the
index in --data-dir (default data/), with the extractive backend. Each answer is checked by
content: it must be the answer that question gets when asked alone (so no user ever receives
another user's answer). With --upload, a document on an unrelated subject is uploaded and
ingested while the load runs: corpus answers must stay the same, and a question about the new
document must see either the old state (abstains) or the new one (cites it). Prints p50/p95
(p95 interpolated between ranks, eval.metrics.percentile).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eval import ROOT
from eval.metrics import percentile
from eval.net import free_port

QUESTIONS = [
    "When did President Biden announce the US withdrawal from Afghanistan?",
    "What is the China-Pakistan Economic Corridor?",
    "Why did Pakistan become a key US ally after 9/11?",
    "Who wrote the paper that applies dependency theory?",
    "What role did the Haqqani network play in US-Pakistan tensions?",
    "How much aid did the United States give Pakistan?",
    "What was the Kerry-Lugar-Berman Act?",
    "What happened at Abbottabad in 2011?",
    "How did the US withdrawal from Afghanistan affect US-Pakistan relations?",
    "What is dependency theory?",
]
NEW_DOC = ("The Velquarin Lighthouse Society\n\nThe Velquarin lighthouse society was founded by Orsolya Brandvik "
           "in 1923 and keeps nineteen lighthouses on the Skerrimund coast.\n")
PROBE = "Who founded the Velquarin lighthouse society?"


def run(users: int, questions: int, data_dir: Path, upload: bool, time_limit: float) -> dict:
    from gradio_client import Client

    from rag.config import Settings
    from rag.wiring import Pipeline
    from rag.app.web import build_app, launch

    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(data_dir, data, ignore=shutil.ignore_patterns("uploads", "models"))
        settings = Settings(data_dir=data, llm_backend="extractive", host="127.0.0.1", port=free_port(),
                            auth_user=None, auth_password=None, concurrency=4,
                            embed_cache_dir=os.environ.get("RAG_EMBED_CACHE_DIR") or data_dir / "models")
        pipe = Pipeline(settings)
        pipe.warm()
        expected = {q: pipe.answerer.ask(q).answer for q in QUESTIONS}  # each question asked alone
        app = build_app(pipe)
        url = launch(app, settings)
        lock = _app_lock(app)
        try:
            latencies, errors, probes = [], [], []
            deadline = time.monotonic() + time_limit

            def user(u: int) -> None:
                client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
                for i in range(questions):
                    if time.monotonic() > deadline:
                        errors.append(f"user {u}: time limit reached")
                        return
                    q = QUESTIONS[(u + i) % len(QUESTIONS)]
                    ask = PROBE if upload and i % 3 == 2 else q
                    t0 = time.perf_counter()
                    try:
                        got = client.predict(ask, api_name="/ask")
                    except Exception as e:  # noqa: BLE001 - every failure is counted and named
                        errors.append(f"user {u} q{i}: {type(e).__name__}: {e}")
                        continue
                    latencies.append(time.perf_counter() - t0)
                    if "error" in got or got.get("question") != ask:
                        errors.append(f"user {u} q{i}: wrong or failed answer: {str(got)[:200]}")
                    elif ask == PROBE:
                        new = any(c["source"] == "velquarin.txt" for c in got["citations"]) and "Brandvik" in got["answer"]
                        if not (got["abstained"] or new):
                            errors.append(f"user {u} q{i}: probe saw a broken state: {got['answer'][:200]}")
                        probes.append("new" if new else "old")
                    elif got["answer"] != expected[ask]:
                        errors.append(f"user {u} q{i}: not the answer to its question: {got['answer'][:200]}")

            uploaded = None
            if upload:
                from rag.ingest.uploads import Library

                src = Path(tmp) / "velquarin.txt"
                src.write_text(NEW_DOC, encoding="utf-8")
                library = Library(pipe, lock)

                def do_upload():
                    nonlocal uploaded
                    time.sleep(1.0)  # let the load get going first
                    uploaded = library.add(src, "velquarin.txt").message()

                uploader = threading.Thread(target=do_upload)
                uploader.start()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(users) as pool:
                list(pool.map(user, range(users)))
            wall = time.perf_counter() - t0
            if upload:
                uploader.join(120)
        finally:
            app.close()
    return {
        "users": users, "questions_each": questions, "requests": len(latencies) + sum("Error" in e for e in errors),
        "answered": len(latencies), "errors": errors, "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None, "wall_s": round(wall, 1),
        "throughput_qps": round(len(latencies) / wall, 2) if wall else None, "upload": uploaded,
        "probe_states": {s: probes.count(s) for s in ("old", "new")},
    }


def _app_lock(app):
    """The index lock the app's handlers share (uploads must take the same one as the answers)."""
    for fn in app.fns.values():
        owner = getattr(fn.fn, "__self__", None)
        if owner is not None and hasattr(owner, "lock"):
            return owner.lock
    raise RuntimeError("the app's index lock was not found")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.load_test", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=16)
    p.add_argument("--questions", type=int, default=10, help="questions per user")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data", help="an ingested index (copied, never changed)")
    p.add_argument("--upload", action="store_true", help="upload and ingest a document during the load")
    p.add_argument("--time-limit", type=float, default=900, help="seconds before users stop asking")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not (args.data_dir / "manifest.json").exists():
        print(f"no index in {args.data_dir}; run `rag ingest` first", file=sys.stderr)
        return 2
    users, questions = min(max(1, args.users), 64), min(max(1, args.questions), 100)  # bounded
    out = run(users, questions, args.data_dir, args.upload, args.time_limit)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['answered']}/{users * questions} answered by {users} users, {len(out['errors'])} errors; "
              f"p50 {out['p50_s']} s, p95 {out['p95_s']} s, {out['throughput_qps']} answers/s")
        if args.upload:
            print(f"upload during the load: {out['upload']}; probe saw {out['probe_states']}")
        for e in out["errors"][:20]:
            print("  " + e)
    return 1 if out["errors"] or out["answered"] < users * questions else 0


if __name__ == "__main__":
    raise SystemExit(main())
