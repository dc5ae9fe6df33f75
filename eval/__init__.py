"""The evaluation and benchmark harness: outside the product, run by `rag eval` / `rag bench`, by
`python -m eval.<script>` and by tests; importing it sets the offline environment (rag.offline)."""

import argparse
from pathlib import Path

from rag import offline

offline.apply()

ROOT = Path(__file__).resolve().parents[1]


def probe_args(prog: str, doc: str, report: str, model_help: str, argv: list[str] | None) -> argparse.Namespace:
    """The arguments every model probe takes: --model (a GGUF file) and --out (its JSON report)."""
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.splitlines()[0])
    p.add_argument("--model", required=True, help=model_help)
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / report)
    return p.parse_args(argv)
