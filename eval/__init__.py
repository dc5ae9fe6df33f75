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


def markdown_report(prog: str, doc: str, default: Path, make, argv: list[str] | None) -> int:
    """The main of a dev probe that writes one Markdown report: `--out` (default `default`), the text
    `make(Settings())` returns written there and printed."""
    from rag.config import Settings

    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.splitlines()[0])
    p.add_argument("--out", type=Path, default=default)
    args = p.parse_args(argv)
    text = make(Settings())
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0
