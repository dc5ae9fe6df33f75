"""Any exception a llama-index LLM integration raises, as one `LLMError` with a plain message, a
`transient` flag and no secret in it.

The integrations wrap different clients (the OpenAI SDK, Ollama's, Anthropic's, plain httpx or
requests), so an error is read by what it carries, not by its class: an HTTP status, a timeout, a
refused or broken connection anywhere in its chain, a reply that does not parse. Keys are removed
from every message, including a server's error body that echoes them back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from rag.answer.llms import LLMError

# Statuses worth retrying: timeout, conflict, rate limit, any server error.
TRANSIENT_STATUSES = frozenset({408, 409, 429})
STATUS_HINTS = {401: " (check RAG_LLM_API_KEY)", 403: " (check RAG_LLM_API_KEY)", 404: " (check RAG_LLM_BASE_URL and RAG_LLM_MODEL)"}

# What a credential looks like in a message, beyond the configured key itself.
_KEY_PATTERNS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;}]+"), r"\1 ***"),
    (re.compile(r"(?i)\b((?:x-)?api[_-]?key|access[_-]?token|token|secret|password|authorization)(\"?\s*[:=]\s*[\"']?)[^\s\"',;}]{4,}"), r"\1\2***"),
    (re.compile(r"\b(?:sk|pk|rk|gsk|xai|hf|key)[-_][A-Za-z0-9_-]{12,}"), "***"),
    (re.compile(r"\b(?=[A-Za-z_]*\d)(?=[0-9_]*[A-Za-z])[A-Za-z0-9_]{32,}\b"), "***"),  # long opaque tokens
    (re.compile(r"(://)[^/@\s]+@"), r"\1***@"),  # user:password@ in a URL
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets and anything that looks like a key replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern, replacement in _KEY_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _chain(e: BaseException) -> Iterator[BaseException]:
    """The exception and the ones it was raised from or during, outermost first."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _kinds(e: BaseException) -> set[str]:
    """The class names of every exception in the chain and of their bases."""
    return {cls.__name__ for err in _chain(e) for cls in type(err).__mro__}


def _status(e: BaseException) -> int | None:
    for err in _chain(e):
        for status in (getattr(err, "status_code", None), getattr(getattr(err, "response", None), "status_code", None)):
            if isinstance(status, int) and status >= 400:
                return status
    return None


def _detail(e: BaseException) -> str:
    """What the server or client said: the response body when there is one, else the message."""
    response = getattr(e, "response", None)
    text = ""
    try:
        text = response.text if response is not None and isinstance(getattr(response, "text", None), str) else ""
    except Exception:  # a streamed body that was never read
        text = ""
    text = text or str(getattr(e, "error", "") or "") or str(e) or type(e).__name__
    return " ".join(text.split())


BROKEN = {"RemoteProtocolError", "ReadError", "WriteError", "ConnectionResetError", "ChunkedEncodingError", "IncompleteRead", "ProtocolError", "BrokenPipeError"}
TIMEOUT = {"TimeoutException", "TimeoutError", "APITimeoutError", "Timeout", "ReadTimeout", "ConnectTimeout"}
UNREACHABLE = {"ConnectError", "ConnectionError", "APIConnectionError", "NewConnectionError"}
MALFORMED = {"JSONDecodeError", "ValidationError", "DecodingError"}


def to_llm_error(e: BaseException, where: str, timeout_s: float, secrets: Iterable[str] = ()) -> LLMError:
    """`e`, raised while asking `where` (an endpoint or class, shown to the user), as an LLMError."""
    secrets = list(secrets)

    def said(text: str) -> str:
        return redact(text, secrets)[:300]

    status = _status(e)
    if status is not None:
        detail = said(_detail(e))
        return LLMError(
            f"{where} answered HTTP {status}{STATUS_HINTS.get(status, '')}" + (f": {detail}" if detail else ""),
            transient=status in TRANSIENT_STATUSES or status >= 500,
        )
    kinds = _kinds(e)
    if kinds & TIMEOUT:
        return LLMError(f"{where} did not answer within {timeout_s:g} s (setting RAG_LLM_TIMEOUT_S)", transient=True)
    if kinds & BROKEN:
        return LLMError(f"the connection to {where} broke: {said(str(e)) or type(e).__name__}", transient=True)
    if kinds & UNREACHABLE:  # the innermost message names the cause ("Connection refused"), not the wrapper's
        detail = [str(err) for err in _chain(e) if str(err)]
        return LLMError(f"cannot reach {where}: {said(detail[-1]) if detail else 'connection failed'}", transient=True)
    if kinds & MALFORMED or isinstance(e, json.JSONDecodeError):
        return LLMError(f"malformed response from {where}: {type(e).__name__}: {said(str(e))}")
    body = getattr(e, "body", None)
    if body:  # an error record inside a stream (OpenAI's `{"error": ...}` event)
        return LLMError(f"{where} reported an error: {said(json.dumps(body, default=str))}")
    return LLMError(f"{where} failed: {type(e).__name__}: {said(str(e))}")
