"""Optional reranking of fused candidates by a local cross-encoder (none ships; off by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from rag.domain import Passage


class Reranker(Protocol):
    """Reorders the fused candidates, best first."""

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]: ...


class CrossEncoderReranker:
    """Reorders candidates with a local sentence-transformers CrossEncoder (optional)."""

    def __init__(self, path: Path):
        if not Path(path).is_dir():
            raise FileNotFoundError(f"reranker model folder not found: {path}")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError:
            raise ImportError("the reranker needs sentence-transformers: pip install sentence-transformers") from None
        self.model = CrossEncoder(str(path), device="cpu")

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        if not passages:
            return passages
        scores = self.model.predict([(question, p.text) for p in passages])
        order = np.argsort(-np.asarray(scores), kind="stable")
        return [passages[i] for i in order]
