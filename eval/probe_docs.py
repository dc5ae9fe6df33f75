"""Fetch a probe's documents from Debian's archive, as eval/probes/sources.json lists them.

    python -m eval.probe_docs NAME|all [--dest /tmp/probes] [--cache DIR]

Each probe's packages are fetched at the recorded version with `apt-get download` into the cache,
unpacked there with `dpkg-deb -x`, and its files copied into DEST/NAME/docs under the names the probe
used (a file the package ships gzipped is gunzipped). Then, from the repository root:

    RAG_DATA_DIR=DEST/NAME/data RAG_CORPUS_DIR=DEST/NAME/docs rag ingest
    RAG_DATA_DIR=DEST/NAME/data RAG_CORPUS_DIR=DEST/NAME/docs rag ask --json --batch eval/probes/QUESTIONS > ANSWERS
    python -m eval.probe_score eval/probes/QUESTIONS ANSWERS --misses

Needs a Debian system whose apt sources hold the recorded versions (bookworm). Only the standard
library is used here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

PROBES = Path(__file__).resolve().parent / "probes"
SOURCES = PROBES / "sources.json"


class ProbeDocsError(Exception):
    """A package that cannot be fetched or a listed file that is not in it."""


def load_sources(path: Path = SOURCES) -> dict[str, dict]:
    """The probes by name: {"questions", "packages": [{"name", "version"}], "files": [{"package", "path", "name"}]}."""
    return json.loads(path.read_text(encoding="utf-8"))


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ProbeDocsError(f"{cmd[0]} not found: this needs a Debian system with apt and dpkg") from None
    if done.returncode != 0:
        raise ProbeDocsError(f"{' '.join(cmd)} failed:\n{(done.stderr or done.stdout).strip()}")


def unpacked(name: str, version: str, cache: Path) -> Path:
    """The folder holding package `name` at `version`, unpacked: downloaded and extracted once per cache."""
    key = f"{name}_{version.replace(':', '%3a')}"
    root = cache / "root" / key
    if root.is_dir():
        return root
    debs = cache / "debs" / key
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob("*.deb")):
        _run(["apt-get", "download", f"{name}={version}"], cwd=debs)
    found = sorted(debs.glob("*.deb"))
    if not found:
        raise ProbeDocsError(f"apt-get download {name}={version} left no .deb in {debs}")
    partial = root.with_name(key + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(found[0]), str(partial)])
    partial.rename(root)
    return root


def _inside(root: Path, path: str) -> Path:
    """`path` as the package installs it, under `root`; a symbolic link is followed inside `root`."""
    p = root / path.lstrip("/")
    for _ in range(10):
        if not p.is_symlink():
            return p
        target = Path(p.readlink())
        p = root / str(target).lstrip("/") if target.is_absolute() else p.parent / target
    return p


def fetch_probe(name: str, probe: dict, dest: Path, cache: Path) -> Path:
    """Fill dest/name/docs with the probe's files (replacing what it held); returns the folder."""
    roots = {p["name"]: unpacked(p["name"], p["version"], cache) for p in probe["packages"]}
    sources = [(f, _inside(roots[f["package"]], f["path"])) for f in probe["files"]]
    missing = [f"{f['package']}: {f['path']}" for f, src in sources if not src.is_file()]
    if missing:
        raise ProbeDocsError(f"{name}: not in the package:\n  " + "\n  ".join(missing))
    docs = dest / name / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    for f, src in sources:
        out = docs / f["name"]
        if src.suffix == ".gz" and not out.name.endswith(".gz"):
            with gzip.open(src, "rb") as r, out.open("wb") as w:
                shutil.copyfileobj(r, w)
        else:
            shutil.copyfile(src, out)
    return docs


def main(argv: list[str] | None = None) -> int:
    sources = load_sources()
    p = argparse.ArgumentParser(prog="python -m eval.probe_docs", description=__doc__.splitlines()[0])
    p.add_argument("name", choices=[*sources, "all"], help="a probe of eval/probes/sources.json, or all")
    p.add_argument("--dest", type=Path, default=Path("/tmp/probes"), help="the probes' folder (default /tmp/probes)")
    p.add_argument("--cache", type=Path, help="where packages are downloaded and unpacked (default DEST/cache)")
    args = p.parse_args(argv)
    cache = (args.cache or args.dest / "cache").resolve()
    names = list(sources) if args.name == "all" else [args.name]
    try:
        for name in names:
            docs = fetch_probe(name, sources[name], args.dest.resolve(), cache)
            n, questions = len(sources[name]["files"]), sources[name]["questions"]
            print(f"{name}: {n} files in {docs} (questions: eval/probes/{questions})")
    except ProbeDocsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
