"""Shared fixtures: real Chroma in a temp folder, the real embedding model, the real corpus.

Two speeds: everything under tests/integration/ and tests/eval/ is marked `slow` here (by path), as are
single long tests elsewhere (`@pytest.mark.slow`); `pytest -m "not slow"` is the quick run, plain
`pytest` (what `make test` and CI run) runs everything.

Indexes that tests only read are built once per session (`corpus_pipeline`, `small_index`); a test
that changes an index takes its own copy of the data folder (`small_index_copy`), which is far
cheaper than embedding the documents again."""

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
from tests.servers import llama_server, smollm_path  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CORPUS = ROOT / "corpus"
SMALL_CORPUS = ("000_f583a770491e03be.txt", "003_de33c5a8e2338868.txt")
SLOW_FOLDERS = ("integration", "eval")  # under tests/: every test in them is slow


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/integration/ and tests/eval/ slow (by path, not in each module)."""
    for item in items:
        try:
            folder = Path(item.path).resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


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


def copy_corpus(folder: Path, names=SMALL_CORPUS) -> Path:
    """`folder`, made, holding copies of these files of the real corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(CORPUS / name, folder / name)
    return folder


def one_paper_corpus(folder: Path, name: str = "000_f583a770491e03be.txt") -> Path:
    """A corpus folder holding one paper of the real corpus."""
    return copy_corpus(folder, (name,))


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A writable copy of two corpus files, for tests that edit documents."""
    return copy_corpus(tmp_path / "docs")


@pytest.fixture
def small_pipeline(tmp_path, small_corpus) -> Pipeline:
    """A pipeline over `small_corpus` with an empty index, for tests of ingest itself."""
    return Pipeline(make_settings(tmp_path / "data", small_corpus))


@pytest.fixture(scope="session")
def small_index(tmp_path_factory) -> Pipeline:
    """The two files of `small_corpus` ingested once per session; read-only, its documents included."""
    root = tmp_path_factory.mktemp("small-index")
    pipe = Pipeline(make_settings(root / "data", copy_corpus(root / "docs")))
    pipe.ingestor.ingest()
    return pipe


@pytest.fixture
def small_index_copy(small_index, tmp_path) -> Settings:
    """Settings for a private copy of `small_index`'s data folder, to damage, re-ingest or upload to.
    The documents stay the session's read-only ones (the manifest names them by path): don't edit them."""
    data = tmp_path / "data"
    shutil.copytree(small_index.settings.store.data_dir, data)
    return small_index.settings.updated(data_dir=data)


@pytest.fixture(scope="session")
def smol() -> Path:
    """The SmolLM2-135M GGUF the LLM tests run."""
    return smollm_path()


@pytest.fixture(scope="session")
def llama_api(smol):
    """One `python -m llama_cpp.server` with SmolLM2 for the session; its /v1 base URL."""
    with llama_server(smol) as base:
        yield base
