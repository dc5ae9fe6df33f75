"""The in-process llama.cpp backend with the real SmolLM2 model: the system prompt's processed state
is kept and put back, so a question only pays for its own part of the prompt."""

from __future__ import annotations

import pytest

from rag.answer.llamacpp import LlamaCppLLM
from rag.config import Settings

pytestmark = pytest.mark.slow

SYSTEM_A = "You answer questions about documents. " * 12 + "Answer in one short sentence."
SYSTEM_B = "You rewrite a follow-up question so that it stands alone. Reply with the question only."


@pytest.fixture(scope="module")
def llm(smol, tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("d"), llm_backend="llamacpp", llm_model=str(smol), llm_max_tokens=24)
    return LlamaCppLLM(settings)


def evaluated(llm, monkeypatch) -> list[int]:
    """Counts the tokens llama.cpp processes (a spy on the real eval)."""
    counts: list[int] = []
    real = llm._llama.eval

    def spy(tokens):
        counts.append(len(tokens))
        return real(tokens)

    monkeypatch.setattr(llm._llama, "eval", spy)
    return counts


def answer(llm, system: str, user: str) -> str:
    return "".join(llm.stream([{"role": "system", "content": system}, {"role": "user", "content": user}]))


def test_the_system_prompt_survives_a_different_prompt_in_between(llm, monkeypatch):
    first = answer(llm, SYSTEM_A, "What colour is the sky on a clear day?")
    answer(llm, SYSTEM_B, "Earlier: Who wrote it? Now: when?")  # displaces SYSTEM_A from the KV cache
    counts = evaluated(llm, monkeypatch)
    again = answer(llm, SYSTEM_A, "What colour is the sky on a clear day?")
    assert again == first  # the restored state gives the same answer as processing it all
    tokens, _ = llm._tokens([{"role": "system", "content": SYSTEM_A}, {"role": "user", "content": "What colour is the sky on a clear day?"}])
    prompt_part = counts[0]  # the first eval is the prompt's uncached part; the rest are generated tokens
    system_tokens = len(llm._tokenize(SYSTEM_A, False))
    assert system_tokens > 60
    assert prompt_part <= len(tokens) - system_tokens  # SYSTEM_A's tokens were not processed again
    assert len(llm._prefixes) == 2


def test_a_prompt_without_system_message_still_answers(llm):
    assert "".join(llm.stream("Say hello.")).strip()
