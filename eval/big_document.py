"""Ingest one big generated text document and report the ingest process's peak memory, to show
that ingest memory stays bounded as documents grow.

    .venv/bin/python -m eval.big_document --mb 2                            # the real model (~1 MB/10 min on 2 cores)
    .venv/bin/python -m eval.big_document --mb 50 --vectors precomputed     # everything but the model's arithmetic
    .venv/bin/python -m eval.big_document --mb 3 --json --rss-every 1

The document (varied prose paragraphs under headings) is written to a temporary folder and
ingested by `rag ingest` (its own code path, `rag.app.cli.main(["ingest"])`) in a child process with
its own data dir (`python -m eval.big_document --child model|precomputed`, `measured_ingest`); the
peak resident memory of that child is its own getrusage(RUSAGE_SELF) at the end, and its resident
memory is sampled from /proc while it runs.

With `--vectors precomputed` the child loads the real embedding model and runs it once on the
corpus's sentences (so the model and its runtime take their real memory), then answers every
embedding call with those real vectors perturbed, as the precomputed rows of `rag bench` do: the
figure is the whole ingest's memory, the model's included, for a size whose embedding would take
hours here. Its time is everything but the model's arithmetic.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval import ROOT
from eval.bench.probes import proc_memory_mb
from rag import offline

WORDS = ("agreement treaty border trade envoy corridor minister province harbour council aid security talks "
         "delegation revenue tariff river dam policy election governor budget railway port alliance summit").split()


def write_document(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write about `megabytes` of text: headings every 40 paragraphs, sentences of varied words."""
    rnd = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("A Very Long Record of Meetings\n\n")
        n = 0
        while written < target:
            if n % 40 == 0:
                f.write(f"Part {n // 40 + 1}\n\n")
            sentences = [
                f"In meeting {n}.{k} the {rnd.choice(WORDS)} {rnd.choice(WORDS)} discussed the {rnd.choice(WORDS)} "
                f"of district {rnd.randint(1, 999)} and agreed on item {rnd.randint(1, 99999)}."
                for k in range(rnd.randint(3, 7))
            ]
            para = " ".join(sentences) + "\n\n"
            f.write(para)
            written += len(para.encode())
            n += 1
    return path.stat().st_size


def measured_ingest(vectors: str) -> int:
    """The measured child: `rag ingest` in this process (with precomputed vectors, the model first
    run on the corpus's sentences), then its own peak resident memory (ru_maxrss, KB) on the last line."""
    import resource

    from rag.app.cli import main as rag

    if vectors == "precomputed":
        from eval.bench.synthetic import corpus_sentences, replace_model_output
        from rag.index.embedding import Embedder

        replace_model_output(Embedder, corpus_sentences(ROOT / "corpus"))
    rc = rag(["ingest"])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return rc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.big_document", description=__doc__.split("\n")[0])
    p.add_argument("--mb", type=float, default=50.0, help="document size in MB (default 50)")
    p.add_argument("--vectors", choices=("model", "precomputed"), default="model",
                   help="model: embed every text (real ingest); precomputed: load and run the model on a pool of "
                        "real sentences, then perturbed copies of those vectors (sizes too big to embed here)")
    p.add_argument("--rss-every", type=float, default=2.0, help="seconds between resident-memory samples")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--child", choices=("model", "precomputed"), default=None,
                   help="be the measured child: `rag ingest` here (RAG_* from the environment), then print ru_maxrss (KB)")
    args = p.parse_args(argv)
    if args.child:
        return measured_ingest(args.child)
    with tempfile.TemporaryDirectory(prefix="rag-big-") as tmp:
        tmp = Path(tmp)
        (tmp / "docs").mkdir()
        doc = tmp / "docs" / "big.txt"
        size = write_document(doc, args.mb)
        # The ONNX export of the embedding model (a one-off that loads torch) is made beforehand in
        # its shared cache, so the figure is the ingest's own, not the export's.
        cache = os.environ.get("RAG_EMBED_CACHE_DIR") or str(ROOT / "data" / "models")
        env = offline.env(RAG_DATA_DIR=str(tmp / "data"), RAG_CORPUS_DIR=str(tmp / "docs"), RAG_EMBED_CACHE_DIR=cache)
        (tmp / "warm").mkdir()
        (tmp / "warm" / "w.txt").write_text("Warm up\n\nOne sentence to export and load the model.\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "rag", "ingest"], cwd=ROOT, check=True, capture_output=True,
                       env={**env, "RAG_DATA_DIR": str(tmp / "warm-data"), "RAG_CORPUS_DIR": str(tmp / "warm")})
        t0 = time.perf_counter()
        err = tempfile.TemporaryFile(dir=tmp)
        proc = subprocess.Popen([sys.executable, "-m", "eval.big_document", "--child", args.vectors], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=err, text=True)
        samples = []  # (seconds, resident MB) while it runs
        while proc.poll() is None:
            rss = proc_memory_mb(proc.pid)
            if rss is not None:
                samples.append((round(time.perf_counter() - t0, 1), round(rss)))
            try:
                proc.wait(timeout=args.rss_every)
            except subprocess.TimeoutExpired:
                pass
        stdout = proc.stdout.read()
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            print(err.read().decode(errors="replace")[-3000:], file=sys.stderr)
            return proc.returncode
        peak_kb = int(stdout.strip().splitlines()[-1])  # Linux: kilobytes
        status = json.loads(subprocess.run([sys.executable, "-m", "rag", "status", "--json"], cwd=ROOT, env=env,
                                           capture_output=True, text=True, check=True).stdout)
    out = {"size_mb": round(size / 1024 / 1024, 1), "vectors": args.vectors, "documents": status["documents"],
           "chunks": status["chunks"], "ingest_s": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
           "rss_mb_over_time": samples}
    if args.json:
        print(json.dumps(out))
    else:
        label = "real model" if args.vectors == "model" else "model loaded, precomputed vectors"
        print(f"{out['size_mb']} MB document -> {out['chunks']} chunks in {out['ingest_s']} s ({label}); "
              f"peak RSS of the ingest process {out['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
