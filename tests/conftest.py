"""Shared fixtures: real Chroma in a temp folder, the real embedding model, the real corpus."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# One ONNX export of the embedding model for every test's data dir (exporting takes ~15 s; the cache
# is keyed by the model files and export version, and guarded by a lock for parallel sessions).
os.environ.setdefault("RAG_EMBED_CACHE_DIR", os.path.join(tempfile.gettempdir(), "rag-test-models"))

from rag.config import Settings  # noqa: E402
from rag.wiring import Pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def eval_script(name: str):
    """A script of eval/ (not a package) loaded as a module, for its functions."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "eval" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def one_paper_corpus(folder: Path, name: str = "000_f583a770491e03be.txt") -> Path:
    """A corpus folder holding one paper of the real corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes((CORPUS / name).read_bytes())
    return folder


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings isolated from the user's environment and .env, pointed at test folders."""
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


@pytest.fixture(scope="session")
def corpus_pipeline(tmp_path_factory) -> Pipeline:
    """The real corpus ingested once per test session (read-only for tests)."""
    data = tmp_path_factory.mktemp("corpus-index")
    pipe = Pipeline(make_settings(data))
    pipe.ingestor.ingest()
    return pipe


@pytest.fixture(scope="session")
def onnx_cache() -> Path:
    """The shared ONNX export cache folder (see RAG_EMBED_CACHE_DIR above)."""
    return Path(os.environ["RAG_EMBED_CACHE_DIR"])


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A writable copy of two corpus files, for tests that edit documents."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("000_f583a770491e03be.txt", "003_de33c5a8e2338868.txt"):
        shutil.copy(CORPUS / name, folder / name)
    return folder


@pytest.fixture
def small_pipeline(tmp_path, small_corpus) -> Pipeline:
    return Pipeline(make_settings(tmp_path / "data", small_corpus))
