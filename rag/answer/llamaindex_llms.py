"""Hosted and server backends through llama-index's maintained LLM integrations.

`openai` is `llama_index.llms.openai_like.OpenAILike` (any OpenAI-compatible /chat/completions),
`ollama` is `llama_index.llms.ollama.Ollama` (the native /api/chat), and `llama-index` builds any
installed llama-index LLM class named by RAG_LLM_CLASS with RAG_LLM_KWARGS. All three stream
through `stream_chat` and are converted here, at one boundary, to the project's `LLM` interface:
text deltas out, every failure one `LLMError` (llm_errors.py), keys never shown. The integrations'
own retries are switched off (max_retries=0): the answerer retries transient errors itself, and the
two would multiply.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rag.answer.llm_errors import redact, to_llm_error
from rag.answer.llms import LLMError, Messages, as_messages
from rag.config import Settings

OPENAI_URL = "https://api.openai.com/v1"
OLLAMA_URL = "http://127.0.0.1:11434"
NO_KEY = "no-key"  # the OpenAI client requires a key; servers without auth (vLLM, llama.cpp's) ignore it


class LlamaIndexLLM:
    """A llama-index LLM object behind the project's `LLM` interface."""

    def __init__(self, name: str, llm: Any, where: str, settings: Settings, finished: Callable[[Any], bool] | None = None):
        self.name = name
        self.llm = llm
        self.where = where  # the endpoint or class named in messages, without credentials
        self.settings = settings
        self._finished = finished  # reads a raw stream chunk: did the answer end there?
        key = settings.llm.api_key
        self._secrets = [key.get_secret_value()] if key else []

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.name!r}, {type(self.llm).__name__}, model={self.settings.llm.model!r}, at={self.where!r})"

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in as_messages(prompt)]
        finished = False
        try:
            for chunk in self.llm.stream_chat(messages):
                if chunk.delta:
                    yield chunk.delta
                if self._finished is not None and not finished:
                    finished = self._finished(chunk.raw)
        except LLMError:
            raise
        except Exception as e:  # whatever the integration's client raised: mapped, redacted
            raise to_llm_error(e, self.where, self.settings.llm.timeout_s, self._secrets) from None
        if self._finished is not None and not finished:
            raise LLMError(f"the stream from {self.where} ended before the answer was complete", transient=True)


def _openai_finished(raw: Any) -> bool:
    """An OpenAI chat-completion chunk that carries a finish_reason ends the answer."""
    choices = getattr(raw, "choices", None) or []
    return bool(choices and getattr(choices[0], "finish_reason", None))


def _ollama_finished(raw: Any) -> bool:
    """Ollama's last NDJSON record says done: true."""
    return bool(isinstance(raw, dict) and raw.get("done"))


def _shown(url: str) -> str:
    """A URL as shown in messages: without any user:password@ part, query or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))


def _endpoint(settings: Settings, name: str, default: str) -> tuple[str, str]:
    """(the base URL to call, the same URL as shown in messages)."""
    if not settings.llm.model:
        raise LLMError(f"the {name} backend needs a model name: set RAG_LLM_MODEL")
    base = (settings.llm.base_url or default).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LLMError(f"the {name} backend needs an http(s) URL in RAG_LLM_BASE_URL, not {redact(base)!r}")
    return base, _shown(base)


def _integration(module: str, cls: str, package: str, name: str) -> type:
    """`module.cls`, or LLMError naming the package to install."""
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as e:
        raise LLMError(f"the {name} backend needs {package}: pip install {package} [{e}]") from e


def openai_llm(settings: Settings) -> LlamaIndexLLM:
    """Any OpenAI-compatible endpoint (OpenAI, vLLM, LM Studio, llama.cpp's server, Ollama's /v1)."""
    base, shown = _endpoint(settings, "openai", OPENAI_URL)
    OpenAILike = _integration("llama_index.llms.openai_like", "OpenAILike", "llama-index-llms-openai-like", "openai")
    s = settings.llm
    llm = OpenAILike(
        model=s.model, api_base=base, api_key=s.api_key.get_secret_value() if s.api_key else NO_KEY,
        is_chat_model=True, context_window=s.context_tokens, max_tokens=s.max_tokens, temperature=s.temperature,
        timeout=s.timeout_s, max_retries=0,
    )
    return LlamaIndexLLM("openai", llm, f"{shown}/chat/completions", settings, _openai_finished)


def ollama_llm(settings: Settings) -> LlamaIndexLLM:
    """Ollama's native /api/chat."""
    base, shown = _endpoint(settings, "ollama", OLLAMA_URL)
    Ollama = _integration("llama_index.llms.ollama", "Ollama", "llama-index-llms-ollama", "ollama")
    s = settings.llm
    llm = Ollama(
        model=s.model, base_url=base, temperature=s.temperature, context_window=s.context_tokens,
        request_timeout=s.timeout_s, additional_kwargs={"num_predict": s.max_tokens},
        headers={"Authorization": f"Bearer {s.api_key.get_secret_value()}"} if s.api_key else None,
    )
    return LlamaIndexLLM("ollama", llm, f"{shown}/api/chat", settings, _ollama_finished)


# --- any llama-index LLM class ----------------------------------------------------------------


def install_hint(module: str) -> str:
    """The pip package that provides `module`: llama_index.llms.anthropic -> llama-index-llms-anthropic."""
    parts = module.split(".")
    if parts[0] == "llama_index" and len(parts) >= 3:
        return "-".join(parts[:3]).replace("_", "-")
    return parts[0].replace("_", "-")


def import_class(path: str) -> type:
    """The class at the dotted `path`, or LLMError: an install hint when its module is missing."""
    module, _, name = path.rpartition(".")
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        package = install_hint(module)
        raise LLMError(f"RAG_LLM_CLASS={path} cannot be imported: pip install {package} [{e}]") from e
    cls = getattr(mod, name, None)
    if not isinstance(cls, type):
        raise LLMError(f"RAG_LLM_CLASS={path}: {module} has no class {name}")
    if not callable(getattr(cls, "stream_chat", None)):
        raise LLMError(f"RAG_LLM_CLASS={path} is not a llama-index LLM (it has no stream_chat)")
    return cls


def _defaults(cls: type, settings: Settings) -> dict[str, Any]:
    """The common RAG_LLM_* settings, for the fields that the class has under the usual names."""
    s = settings.llm
    fields = set(getattr(cls, "model_fields", {}))
    values: dict[str, Any] = {
        "model": s.model, "api_key": s.api_key.get_secret_value() if s.api_key else None,
        "api_base": s.base_url, "base_url": s.base_url, "temperature": s.temperature, "max_tokens": s.max_tokens,
        "timeout": s.timeout_s, "request_timeout": s.timeout_s, "max_retries": 0,
    }
    return {k: v for k, v in values.items() if k in fields and v is not None}


def generic_llm(settings: Settings) -> LlamaIndexLLM:
    """Any installed llama-index LLM class (RAG_LLM_CLASS), built with RAG_LLM_KWARGS.

    RAG_LLM_MODEL, RAG_LLM_API_KEY, RAG_LLM_BASE_URL, the temperature, max tokens and timeout are
    passed too when the class has a field of the usual name (model, api_key, api_base or base_url,
    temperature, max_tokens, timeout or request_timeout); RAG_LLM_KWARGS wins over them. max_retries
    is 0 unless RAG_LLM_KWARGS sets it.
    """
    s = settings.llm
    if not s.class_path:
        raise LLMError("the llama-index backend needs a class: set RAG_LLM_CLASS, e.g. llama_index.llms.anthropic.Anthropic")
    cls = import_class(s.class_path)
    kwargs = {**_defaults(cls, settings), **s.kwargs}
    secrets = [s.api_key.get_secret_value()] if s.api_key else []
    try:
        llm = cls(**kwargs)
    except Exception as e:  # a pydantic ValidationError, a TypeError, a client that refuses its arguments
        raise LLMError(f"cannot build {s.class_path} from RAG_LLM_KWARGS {sorted(s.kwargs)}: {redact(str(e), secrets)[:400]}") from None
    where = cls.__name__
    url = kwargs.get("api_base") or kwargs.get("base_url")
    if isinstance(url, str) and url:
        where += f" at {_shown(url)}"
    return LlamaIndexLLM("llama-index", llm, where, settings)
