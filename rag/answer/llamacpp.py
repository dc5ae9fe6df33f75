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
# The answer ends where a small model starts writing the next prompt block instead.
STOP = ("\nQuestion:", "\nPassage [", "\nPassages:", "<|im_end|>", "<|endoftext|>")


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
        self._format = None  # the GGUF's chat template, built on first use
        self._prefixes: dict[tuple[int, ...], object] = {}  # system-prompt token prefix -> saved KV state

    def count_tokens(self, text: str) -> int:
        """Exact token count with the model's own tokenizer (for fitting the context window)."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, prompt: str | Messages) -> Iterator[str]:
        s = self.settings
        messages = as_messages(prompt)
        with self._lock:
            try:
                rendered = self._render(messages)
                tokens, stop = self._tokens(messages, rendered)
                self._restore_prefix(messages, rendered, tokens)
                chunks = self._llama.create_completion(
                    tokens, stream=True, max_tokens=s.llm.max_tokens, temperature=s.llm.temperature, seed=0,
                    stop=stop + list(STOP),
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("text")
                    if delta:
                        yield delta
            except LLMError:
                raise
            except Exception as e:  # e.g. the prompt exceeds n_ctx: not worth retrying
                raise LLMError(f"llama.cpp failed while generating: {e}") from e

    def _render(self, messages: Messages):
        """The chat rendered with the model's own template (from the GGUF)."""
        if self._format is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self._llama
            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise LLMError(f"{self.model_path.name} has no chat template in its metadata; use an instruct (chat) GGUF")
            eos, bos = (llama.detokenize([t], special=True).decode("utf-8", "replace") if t >= 0 else ""
                        for t in (llama.token_eos(), llama.token_bos()))
            self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                                               stop_token_ids=[llama.token_eos()])
        return self._format(messages=messages)

    def _tokens(self, messages: Messages, rendered=None) -> tuple[list[int], list[str]]:
        """The chat's prompt tokens and its stop strings."""
        result = rendered or self._render(messages)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return self._tokenize(result.prompt, not result.added_special), stop

    def _tokenize(self, text: str, add_bos: bool) -> list[int]:
        return self._llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def _restore_prefix(self, messages: Messages, rendered, tokens: list[int]) -> None:
        """Put the processed system prompt back in the KV cache when another prompt (a condensed
        follow-up, say) displaced it, instead of processing it again: it is the same for every question.

        llama.cpp already reuses the longest common token prefix with the previous call; this keeps one
        saved state per system prompt so that prefix survives calls with a different one."""
        if not messages or messages[0].get("role") != "system" or not messages[0].get("content"):
            return
        cut = rendered.prompt.find(messages[0]["content"])
        if cut < 0:
            return
        prefix = self._tokenize(rendered.prompt[: cut + len(messages[0]["content"])], not rendered.added_special)
        # Only a prefix that tokenizes the same inside the whole prompt, and fits one batch of logits.
        if tokens[: len(prefix)] != prefix or len(prefix) >= self._llama.n_batch:
            return
        live = self._llama.input_ids[: self._llama.n_tokens].tolist()
        if live[: len(prefix)] == prefix:
            return  # already in the cache
        key = tuple(prefix)
        state = self._prefixes.get(key)
        if state is None:
            self._llama.reset()
            self._llama.eval(prefix)
            state = self._llama.save_state()
            # Keep only the last row of logits: the suffix is always evaluated after a restore, which
            # refreshes them, and a full row per prefix token would take ~0.6 MB each for nothing.
            state.scores = state.scores[-1:].copy()
            if len(self._prefixes) >= 4:
                self._prefixes.pop(next(iter(self._prefixes)))
            self._prefixes[key] = state
        else:
            self._llama.load_state(state)


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
