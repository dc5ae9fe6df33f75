"""The evaluation and benchmark harness: outside the product, run by `rag eval` / `rag bench`, by
`python -m eval.<script>` and by tests; importing it sets the offline environment (rag.offline)."""

from pathlib import Path

from rag import offline

offline.apply()

ROOT = Path(__file__).resolve().parents[1]
