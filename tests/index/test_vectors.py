"""The vector store, embedded (PersistentClient in the data dir) and as a real `chroma run` server:
the same ingest / ask / re-ingest / removal checks run against both modes."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from rag.app.cli import main
from rag.wiring import Pipeline
from rag.index.vectors import StoreError, VectorStore
from tests.conftest import make_settings
from tests.servers import free_port

CHROMA = Path(sys.executable).parent / "chroma"

FLOODS = """Monsoon Floods and Recovery

The 2022 monsoon floods submerged a third of Sindh province and affected 33 million people.

Relief agencies delivered tents, clean water and food to the displaced families during the autumn months.

Reconstruction of the damaged roads and schools was estimated to cost 16 billion dollars over three years.
"""

TRADE = """Textile Exports in Transition

Textile exports are the largest source of foreign exchange, worth 19 billion dollars in the last fiscal year.

Cotton yields fell after a pest outbreak, so the mills imported cotton from Brazil and the United States.

The industry asked the government for cheaper electricity to stay competitive with Bangladesh and Vietnam.
"""


class ChromaServer:
    """A real `chroma run` on a loopback port, stoppable and restartable on the same port and path."""

    def __init__(self, path: Path):
        assert CHROMA.exists(), f"the chroma CLI is missing from {CHROMA.parent}; pip install chromadb"
        self.path, self.port, self.proc = path, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"chroma run exited with {self.proc.returncode}"
            try:
                with urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("chroma run did not answer within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server
    server.stop()


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "floods.txt").write_text(FLOODS, encoding="utf-8")
    (folder / "trade.txt").write_text(TRADE, encoding="utf-8")
    return folder


@pytest.fixture(params=["embedded", "server"])
def settings(request, tmp_path, docs):
    overrides = {}
    if request.param == "server":
        server = request.getfixturevalue("chroma_server")
        # One collection per test: the server outlives the test's data dir.
        overrides = {"chroma_url": server.url, "collection": f"test-{uuid.uuid4().hex[:12]}"}
    return make_settings(tmp_path / "data", docs, **overrides)


def test_ingest_ask_reingest_and_remove(settings, docs):
    pipe = Pipeline(settings)
    report = pipe.ingestor.ingest()
    assert sorted(report.added) == ["floods.txt", "trade.txt"]
    assert report.chunks_embedded == pipe.store.count() > 0
    if settings.store.chroma_url:
        assert not (settings.store.data_dir / "chroma").exists(), "server mode must not create an embedded store"

    answer = pipe.answerer.ask("How many people did the 2022 monsoon floods affect?")
    assert not answer.abstained
    assert "33 million" in answer.answer
    assert answer.citations[0].source == "floods.txt"

    again = Pipeline(settings).ingestor.ingest()  # a fresh process would see the same
    assert again.chunks_embedded == 0 and sorted(again.unchanged) == ["floods.txt", "trade.txt"]

    (docs / "floods.txt").unlink()
    removed = Pipeline(settings).ingestor.ingest()
    assert removed.removed == ["floods.txt"]
    fresh = Pipeline(settings)
    assert {p.source for p in fresh.store.all_chunks()} == {"trade.txt"}
    answer = fresh.answerer.ask("What are textile exports worth?")
    assert "19 billion" in answer.answer
    assert all(c.source == "trade.txt" for c in answer.citations)


def test_server_down_is_a_clear_error_and_the_store_recovers(tmp_path, docs):
    server = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = make_settings(tmp_path / "data", docs, chroma_url=server.url)
        pipe = Pipeline(settings)
        pipe.ingestor.ingest()
        count = pipe.store.count()
        server.stop()
        with pytest.raises(StoreError, match="not answering.*chroma run --path"):
            pipe.store.count()
        with pytest.raises(StoreError, match="not answering"):
            pipe.answerer.ask("How many people did the 2022 monsoon floods affect?")
        with pytest.raises(StoreError, match="cannot reach the Chroma server"):
            VectorStore(settings, pipe.embedder.model_id)
        server.start()  # same port, same data: the open store works again, nothing was lost
        assert pipe.store.count() == count
        assert "33 million" in pipe.answerer.ask("How many people did the 2022 monsoon floods affect?").answer
    finally:
        server.stop()


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://127.0.0.1:8000", "http://127.0.0.1:port"])
def test_malformed_server_url_is_refused(tmp_path, url):
    with pytest.raises(StoreError, match="must look like http://HOST:PORT"):
        VectorStore(make_settings(tmp_path / "data", chroma_url=url), "model")


def test_cli_reports_a_dead_server_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    assert main(["ask", "--json", "Who wrote the report?"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Chroma server" in err and "chroma run" in err
    assert "Traceback" not in err


def test_collections_search_widely_also_when_made_before(settings):
    # An index made with Chroma's default search breadth (100) is widened when it is opened.
    from rag.index.vectors import SEARCH_EF

    store = VectorStore(settings, "model-x")
    assert store.collection.configuration["hnsw"]["ef_search"] >= SEARCH_EF
    sentences = store.open_collection("extra")
    sentences.modify(configuration={"hnsw": {"ef_search": 100}})
    assert VectorStore(settings, "model-x").open_collection("extra").configuration["hnsw"]["ef_search"] == SEARCH_EF
