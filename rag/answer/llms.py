"""LLM backends behind one small interface: a model that streams the text of its answer to a chat prompt.

Backends are chosen by name from `BACKENDS`: extractive (no model), llamacpp (rag/answer/llamacpp.py),
and openai, ollama and llama-index through llama-index's integrations (rag/answer/llamaindex_llms.py).
Each is imported when chosen, so an optional package that is missing costs only its own backend.
Every failure a backend can meet (unreachable endpoint, timeout, HTTP error, malformed reply, bad
model file, missing package) surfaces as one `LLMError` with a plain message and a `transient` flag,
so the answerer can retry or fall back.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

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


# --- registry ---------------------------------------------------------------------------------


def _extractive(settings: Settings) -> None:
    """No language model: the answerer quotes the passages' best sentences itself."""
    return None


def _lazy(module: str, factory: str) -> Callable[[Settings], LLM]:
    """A factory imported when first used: a backend's optional packages load only when it is chosen."""

    def build(settings: Settings) -> LLM:
        return getattr(importlib.import_module(module), factory)(settings)

    build.__qualname__ = build.__name__ = f"{module}.{factory}"
    return build


BACKENDS: dict[str, Callable[[Settings], LLM | None]] = {
    "extractive": _extractive,
    "llamacpp": _lazy("rag.answer.llamacpp", "LlamaCppLLM"),  # llama-cpp-python in process
    "openai": _lazy("rag.answer.llamaindex_llms", "openai_llm"),  # llama-index's OpenAILike
    "ollama": _lazy("rag.answer.llamaindex_llms", "ollama_llm"),  # llama-index's Ollama
    "llama-index": _lazy("rag.answer.llamaindex_llms", "generic_llm"),  # RAG_LLM_CLASS with RAG_LLM_KWARGS
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
