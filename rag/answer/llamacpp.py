"""The in-process llama.cpp backend: a local GGUF model run by llama-cpp-python.

llama-cpp-python is optional (the `llamacpp` extra, or `make llm`); it is imported when the backend is
built, so a missing package is an `LLMError` with the install hint and the answerer falls back to the
extractive answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from rag.answer.llms import LLMError, Messages, as_messages
from rag.config import Settings

GGUF_MAGIC = b"GGUF"


class LlamaCppLLM:
    """A local GGUF model run in this process by llama-cpp-python, with the chat template from the GGUF."""

    name = "llamacpp"

    def __init__(self, settings: Settings):
        path = _gguf_path(settings.llm.model)
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise LLMError(
                "the llamacpp backend needs llama-cpp-python: pip install 'rag-chat[llamacpp]' "
                f"(or pip install llama-cpp-python) [{e}]"
            ) from e
        self.settings = settings
        self.model_path = path
        self._lock = threading.Lock()  # one Llama context generates one answer at a time
        try:
            self._llama = Llama(
                model_path=str(path), n_ctx=settings.llm.context_tokens, n_threads=settings.llm.threads,
                n_threads_batch=settings.llm.threads, seed=0, verbose=False,
            )
        except Exception as e:  # llama.cpp reports a bad file as ValueError; anything else is as fatal
            raise LLMError(f"llama.cpp cannot load {path}: {e}") from e

    def count_tokens(self, text: str) -> int:
        """Exact token count with the model's own tokenizer (for fitting the context window)."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        s = self.settings
        with self._lock:
            try:
                chunks = self._llama.create_chat_completion(
                    messages=as_messages(prompt), stream=True, max_tokens=s.llm.max_tokens,
                    temperature=s.llm.temperature, seed=0,
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except LLMError:
                raise
            except Exception as e:  # e.g. the prompt exceeds n_ctx: not worth retrying
                raise LLMError(f"llama.cpp failed while generating: {e}") from e


def _gguf_path(model: str | None) -> Path:
    """The model setting as an existing GGUF file, or LLMError saying what to set."""
    if not model:
        raise LLMError("the llamacpp backend needs a GGUF model file: set RAG_LLM_MODEL=/path/to/model.gguf")
    path = Path(model).expanduser()
    if not path.is_file():
        raise LLMError(f"model file not found: {path} (setting RAG_LLM_MODEL)")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise LLMError(f"cannot read model file {path}: {e.strerror or e}") from e
    if magic != GGUF_MAGIC:
        raise LLMError(f"{path} is not a GGUF model file (llama.cpp reads .gguf files; convert or download a GGUF build)")
    return path
