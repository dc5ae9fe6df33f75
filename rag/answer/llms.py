"""LLM backends behind one small interface: a model that streams the text of its answer to a chat prompt.

Backends are chosen by name from `BACKENDS` (extractive, llamacpp, openai, ollama). Every failure a
backend can meet (unreachable endpoint, timeout, HTTP error, malformed reply, bad model file) surfaces
as one `LLMError` with a plain message and a `transient` flag, so the answerer can retry or fall back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from rag.config import Settings

Messages = list[dict[str, str]]


class LLMError(RuntimeError):
    """A backend failed. `transient` errors (network, timeout, 5xx, 429) may succeed when retried."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@runtime_checkable
class LLM(Protocol):
    """What the answerer needs of a language model: stream the answer to a prompt, piece by piece."""

    name: str

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        """Text deltas of the model's reply; raises LLMError on failure (possibly after some deltas)."""
        ...


def as_messages(prompt: str | Messages) -> Messages:
    """A chat prompt: a bare string becomes one user message."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


def estimate_tokens(text: str) -> int:
    """A cautious token count for backends whose tokenizer is remote (about 3 characters a token,
    where English usually takes 4), so a fitted prompt does not overflow the server's window."""
    return len(text) // 3 + 1


# --- HTTP backends -----------------------------------------------------------------------------


class _HTTPBackend:
    """Shared plumbing of the hosted backends: one pooled client, error mapping, secret redaction."""

    name = "http"
    default_base_url = ""

    def __init__(self, settings: Settings):
        try:
            import httpx
        except ImportError as e:  # a core dependency; the hint is for trimmed installs
            raise LLMError(f"the {self.name} backend needs httpx: pip install httpx [{e}]") from e
        if not settings.llm.model:
            raise LLMError(f"the {self.name} backend needs a model name: set RAG_LLM_MODEL")
        base = (settings.llm.base_url or self.default_base_url).rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LLMError(f"the {self.name} backend needs an http(s) URL in RAG_LLM_BASE_URL, not {base!r}")
        self.settings = settings
        self.base_url = base
        # Shown in messages: the endpoint without any user:password@ part.
        self.shown_url = urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))
        self._secret = settings.llm.api_key.get_secret_value() if settings.llm.api_key else ""
        t = settings.llm.timeout_s
        self._httpx = httpx
        self._client = httpx.Client(timeout=httpx.Timeout(t, connect=min(t, 10.0)))

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}(model={self.settings.llm.model!r}, base_url={self.shown_url!r})"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret}"} if self._secret else {}

    def _lines(self, path: str, body: dict) -> Iterator[str]:
        """The response body line by line, with every transport failure mapped to LLMError."""
        httpx = self._httpx
        url = f"{self.base_url}{path}"
        shown = f"{self.shown_url}{path}"
        try:
            with self._client.stream("POST", url, json=body, headers=self._headers()) as r:
                if r.status_code >= 400:
                    r.read()
                    raise self._status_error(r.status_code, r.text, shown)
                yield from r.iter_lines()
        except LLMError:
            raise
        except httpx.TimeoutException as e:
            what = "connect" if isinstance(e, httpx.ConnectTimeout) else "answer"
            raise LLMError(f"{shown} did not {what} within {self.settings.llm.timeout_s:g} s (setting RAG_LLM_TIMEOUT_S)", transient=True) from e
        except httpx.ConnectError as e:
            raise LLMError(f"cannot reach {shown}: {self._redact(str(e)) or 'connection failed'}", transient=True) from e
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise LLMError(f"the connection to {shown} broke: {self._redact(str(e)) or type(e).__name__}", transient=True) from e
        except httpx.HTTPError as e:
            raise LLMError(f"request to {shown} failed: {self._redact(str(e)) or type(e).__name__}") from e

    def _status_error(self, status: int, text: str, shown: str) -> LLMError:
        detail = self._redact(" ".join(text.split()))[:300]
        hint = {401: " (check RAG_LLM_API_KEY)", 403: " (check RAG_LLM_API_KEY)", 404: " (check RAG_LLM_BASE_URL and RAG_LLM_MODEL)"}
        return LLMError(
            f"{shown} answered HTTP {status}{hint.get(status, '')}" + (f": {detail}" if detail else ""),
            transient=status in (408, 409, 429) or status >= 500,
        )

    def _json(self, line: str, shown: str) -> dict:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise LLMError(f"malformed response from {shown}: not JSON ({self._redact(line[:120])!r})") from e
        if not isinstance(data, dict):
            raise LLMError(f"malformed response from {shown}: expected a JSON object")
        return data

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


class OpenAICompatibleLLM(_HTTPBackend):
    """Any OpenAI-compatible /chat/completions endpoint, streamed as server-sent events:
    OpenAI, vLLM, LM Studio, the llama.cpp server, Ollama's /v1."""

    name = "openai"
    default_base_url = "https://api.openai.com/v1"

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        s = self.settings
        body = {
            "model": s.llm.model, "messages": as_messages(prompt), "stream": True,
            "max_tokens": s.llm.max_tokens, "temperature": s.llm.temperature,
        }
        shown = f"{self.shown_url}/chat/completions"
        done = False
        for line in self._lines("/chat/completions", body):
            line = line.strip()
            if not line.startswith("data:"):
                continue  # blank separators, `event:` and `: keep-alive` comments
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            event = self._json(data, shown)
            if "error" in event:
                raise LLMError(f"{shown} reported an error: {self._redact(json.dumps(event['error'])[:300])}")
            try:
                choice = event["choices"][0] if event["choices"] else {}
                delta = (choice.get("delta") or {}).get("content")
            except (KeyError, TypeError, AttributeError) as e:
                raise LLMError(f"malformed response from {shown}: no choices[0].delta in {self._redact(data[:120])!r}") from e
            if delta:
                yield delta
            if choice.get("finish_reason"):
                done = True
        if not done:
            raise LLMError(f"the stream from {shown} ended before the answer was complete", transient=True)


class OllamaLLM(_HTTPBackend):
    """Ollama's native /api/chat, streamed as newline-delimited JSON."""

    name = "ollama"
    default_base_url = "http://127.0.0.1:11434"

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        s = self.settings
        body = {
            "model": s.llm.model, "messages": as_messages(prompt), "stream": True,
            "options": {"temperature": s.llm.temperature, "num_predict": s.llm.max_tokens, "num_ctx": s.llm.context_tokens},
        }
        shown = f"{self.shown_url}/api/chat"
        done = False
        for line in self._lines("/api/chat", body):
            if not line.strip():
                continue
            event = self._json(line, shown)
            if "error" in event:
                raise LLMError(f"{shown} reported an error: {self._redact(str(event['error']))[:300]}")
            message = event.get("message")
            if message is not None and not isinstance(message, dict):
                raise LLMError(f"malformed response from {shown}: 'message' is not an object")
            delta = (message or {}).get("content")
            if delta:
                yield delta
            if event.get("done"):
                done = True
                break
        if not done:
            raise LLMError(f"the stream from {shown} ended before the answer was complete", transient=True)


# --- registry ---------------------------------------------------------------------------------


def _extractive(settings: Settings) -> None:
    """No language model: the answerer quotes the passages' best sentences itself."""
    return None


def _llamacpp(settings: Settings) -> LLM:
    """A local GGUF model in this process (rag/answer/llamacpp.py)."""
    from rag.answer.llamacpp import LlamaCppLLM

    return LlamaCppLLM(settings)


BACKENDS: dict[str, Callable[[Settings], LLM | None]] = {
    "extractive": _extractive,
    "llamacpp": _llamacpp,
    "openai": OpenAICompatibleLLM,
    "ollama": OllamaLLM,
}


def check_backend(name: str) -> str:
    """The backend name, or ValueError listing the choices."""
    if name not in BACKENDS:
        raise ValueError(f"unknown LLM backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}")
    return name


def get_llm(settings: Settings, name: str | None = None) -> LLM | None:
    """The backend `name` (default: settings.llm.backend), built from settings; None for extractive.

    Raises ValueError on an unknown name and LLMError when the backend cannot be set up."""
    return BACKENDS[check_backend(name or settings.llm.backend)](settings)
