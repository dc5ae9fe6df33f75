"""The evaluation and benchmark harness: outside the product, run by `rag eval` / `rag bench` and by tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
