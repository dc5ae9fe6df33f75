"""Secrets and exposure: a recognisable API key never reaches logs, error messages, the web UI or
eval reports, even when the LLM endpoint fails and echoes the key back; the server listens on
127.0.0.1 by default; with a login set, the UI page and its API refuse unauthenticated requests.
Hostile uploads are refused with a message and nothing is written outside the upload folder.

Everything runs for real: `rag` in subprocesses, `rag serve` on a free port, the openai backend
against a closed 127.0.0.1 port and a local server answering HTTP 500."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from rag.ingest.uploads import Library, LibraryError
from rag.wiring import Pipeline
from rag.rwlock import ReadWriteLock
from tests.conftest import ROOT, make_settings
from tests.servers import FakeServer, free_port, reply, stop_process

SECRET = "sk-LEAKCHECK-7f3a9c1e5b2d4680-do-not-show"
QUESTION = "When did President Biden announce the US withdrawal from Afghanistan?"
AUTH = ("auditor", "s3cret-login-pw")


def echo_500(h, data):
    """A failing host that, like some real ones, quotes the credential it was sent."""
    reply(h, 500, json.dumps({"error": {"message": f"internal error for key {data['_auth']}"}}).encode())


@pytest.fixture(scope="module")
def data_copy(corpus_pipeline, tmp_path_factory) -> Path:
    """A private copy of the session's corpus index, for subprocesses that may touch it."""
    dst = tmp_path_factory.mktemp("secure") / "data"
    shutil.copytree(corpus_pipeline.settings.store.data_dir, dst)
    return dst


def env_for(data_dir: Path, base_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(data_dir), RAG_LLM_BACKEND="openai", RAG_LLM_MODEL="gpt-test", RAG_LLM_BASE_URL=base_url,
               RAG_LLM_API_KEY=SECRET, RAG_LLM_RETRIES="0", RAG_LLM_TIMEOUT_S="10",
               RAG_EMBED_CACHE_DIR=os.environ["RAG_EMBED_CACHE_DIR"], **extra)
    return env


def rag(env: dict, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def assert_no_secret(*texts: str) -> None:
    for t in texts:
        assert SECRET not in t and SECRET[8:24] not in t


# --- the CLI and the eval -----------------------------------------------------------------------


def test_ask_json_never_shows_the_key(data_copy):
    closed = rag(env_for(data_copy, f"http://127.0.0.1:{free_port()}/v1"), "ask", "--json", QUESTION)
    with FakeServer(echo_500) as srv:
        failing = rag(env_for(data_copy, srv.url), "ask", "--json", QUESTION)
        assert srv.requests and srv.requests[0]["_auth"] == f"Bearer {SECRET}"  # the key was really used
    for r, why in ((closed, "cannot reach"), (failing, "HTTP 500")):
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["fallback"]["from"] == "openai" and why in out["fallback"]["reason"]
        assert_no_secret(r.stdout, r.stderr)
    assert "***" in json.loads(failing.stdout)["fallback"]["reason"]  # the echoed key was redacted


def test_eval_reports_never_show_the_key(data_copy, tmp_path):
    dataset = tmp_path / "three.jsonl"
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report"
    with FakeServer(echo_500) as srv:
        r = rag(env_for(data_copy, srv.url), "eval", "--dataset", str(dataset), "--out", str(out))
        assert len(srv.requests) >= 1
    assert r.returncode == 0, r.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"results.jsonl", "summary.json", "summary.md"}
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(row["fallback"] and "HTTP 500" in row["fallback"]["reason"] for row in results)
    assert_no_secret(r.stdout, r.stderr, *(p.read_bytes().decode("utf-8", "replace") for p in files))


def test_debug_logs_never_show_the_key(corpus_pipeline, caplog, capfd):
    """In process with every logger at DEBUG (httpx, httpcore included): the failures are logged, the key is not."""
    from rag.answer.answerer import Answerer

    with FakeServer(echo_500) as srv, caplog.at_level(logging.DEBUG):
        for url in (srv.url, f"http://127.0.0.1:{free_port()}/v1"):
            s = make_settings(corpus_pipeline.settings.store.data_dir, llm_backend="openai", llm_model="m", llm_base_url=url,
                              llm_api_key=SECRET, llm_retries=1)
            a = Answerer(s, corpus_pipeline.retriever, corpus_pipeline.answerer.extractive)
            ans = a.ask(QUESTION)
            assert ans.fallback and ans.fallback["from"] == "openai"
            assert_no_secret(json.dumps(ans.to_dict()), repr(a.llm("openai")), repr(s), str(s.model_dump()))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "500" in logged or "cannot reach" in logged  # failures are logged at all
    out, err = capfd.readouterr()
    assert_no_secret(logged, out, err)


# --- the web server: bind address, login, and the key --------------------------------------------


def _listening_addresses(port: int) -> set[str]:
    """IPv4/IPv6 local addresses in LISTEN state on `port` (Linux /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


EXAMPLE = "What do the documents say about the corridor?"  # configured, so the signed-in page shows it


@pytest.fixture(scope="module")
def served(data_copy, tmp_path_factory):
    """`rag serve` in its own process with the default host, a login, and the openai backend
    pointed at a server that fails and echoes the key; yields (url, failing server, log path)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with FakeServer(echo_500) as srv, open(log_path, "w") as log:
        env = env_for(data_copy, srv.url, RAG_AUTH_USER=AUTH[0], RAG_AUTH_PASSWORD=AUTH[1], RAG_EXAMPLES=json.dumps([EXAMPLE]))
        proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while "web chat on" not in log_path.read_text():
                assert proc.poll() is None, f"rag serve exited: {log_path.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "rag serve did not start within 240 s"
                time.sleep(0.3)
            yield f"http://127.0.0.1:{port}/", srv, log_path, port
        finally:
            stop_process(proc, timeout=20)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_server_listens_on_loopback_only_by_default(served):
    _, _, _, port = served
    addrs = _listening_addresses(port)
    assert addrs == {"0100007F"}, addrs  # 127.0.0.1, and not 0.0.0.0 or any other interface


def test_without_the_login_the_page_and_the_api_are_refused(served):
    url = served[0]
    page = httpx.get(url, timeout=30)
    # Gradio answers the page with its login form: no components, so no chat, examples or library.
    assert '"auth_required":true' in page.text.replace(" ", "") and EXAMPLE not in page.text
    for path in ("config", "gradio_api/info"):
        r = httpx.get(url + path, timeout=30)
        assert r.status_code in (401, 403), (path, r.status_code)
    r = httpx.post(url + "gradio_api/call/ask", json={"data": [QUESTION]}, timeout=30)
    assert r.status_code in (401, 403)
    with pytest.raises(Exception):
        Client(url, verbose=False, analytics_enabled=False)
    with pytest.raises(Exception):
        Client(url, auth=(AUTH[0], "wrong"), verbose=False, analytics_enabled=False)


def test_the_web_app_never_shows_the_key(served):
    url, srv, log_path, _ = served
    client = Client(url, auth=AUTH, verbose=False, analytics_enabled=False, download_files=False)
    got = client.predict(QUESTION, api_name="/ask")
    assert got["fallback"]["from"] == "openai" and "HTTP 500" in got["fallback"]["reason"]
    assert srv.requests[-1]["_auth"] == f"Bearer {SECRET}"
    with httpx.Client(timeout=30) as web:
        assert web.post(url + "login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        pages = [web.get(url + p) for p in ("", "config", "gradio_api/info")]
    assert all(p.status_code == 200 for p in pages) and EXAMPLE in pages[1].text
    assert_no_secret(json.dumps(got), *(p.text for p in pages), log_path.read_text())


# --- hostile uploads --------------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"/lib64/ld-linux-x86-64.so.2"
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode."
NOTE = "The Velquarin Archive\n\nThe Velquarin archive holds forty thousand maps of the northern coast, catalogued in 1911.\n"

HOSTILE = [
    # (name given by the browser, content, expected: an error fragment, or the stored name)
    ("../../x.txt", NOTE, "x.txt"),
    ("/etc/cron.d/evil.md", NOTE.replace("forty", "fifty"), "evil.md"),
    ("..\\..\\..\\win.txt", NOTE.replace("forty", "sixty"), "win.txt"),
    ("....//....//y.txt", NOTE.replace("forty", "ninety"), "y.txt"),
    ("nul\x00byte.txt", NOTE.replace("forty", "eighty"), "nul_byte.txt"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n", ".sh cannot be added"),
    ("payload.exe.", MZ, "cannot be added"),
    ("report.pdf", ELF, "not a PDF"),
    ("invoice.pdf", MZ, "not a PDF"),
    ("huge.txt", "word " * 30_000, "over the 0.1 MB limit"),
    ("zip-bomb.md", b"PK\x03\x04" + b"\x00" * 500, "binary"),
]


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "corpus").mkdir()
    (root / "corpus" / "base.txt").write_text("Base Notes\n\nThe base notes describe a quiet harbour town in 1850.\n", encoding="utf-8")
    pipe = Pipeline(make_settings(root / "data", root / "corpus", max_upload_mb=0.1))
    pipe.ingestor.ingest()
    return root, Library(pipe, ReadWriteLock())


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and "chroma" not in p.parts
            and "keyword" not in p.parts and p.name != "manifest.json"}


@pytest.mark.parametrize("name, data, expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_refused_or_kept_inside_the_upload_folder(hostile_library, tmp_path, name, data, expected):
    root, lib = hostile_library
    src = tmp_path / "incoming.bin"
    src.write_bytes(data.encode() if isinstance(data, str) else data)
    before, docs_before = _tree(root), dict(lib.pipeline.ingestor.manifest.documents)
    try:
        added = lib.add(src, name)
    except LibraryError as e:
        assert expected in str(e) and str(e).startswith(name)
        assert _tree(root) == before and lib.pipeline.ingestor.manifest.documents == docs_before
        return
    assert added.name == expected, f"{name!r} should have been refused"
    new = set(_tree(root)) - set(before)
    assert new == {f"data/uploads/{expected}"}, new
    assert lib.pipeline.ingestor.manifest.documents[added.doc_id].path == str(lib.upload_dir / expected)
    lib.remove(added.doc_id)
    assert _tree(root) == before
