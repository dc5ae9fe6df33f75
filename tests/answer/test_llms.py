"""The LLM registry: the names, the choices listed on a bad one, and each backend imported only when chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rag.answer.llms import BACKENDS, as_messages, estimate_tokens, get_llm
from tests.conftest import ROOT, make_settings


def test_registry_names_the_backends():
    assert set(BACKENDS) == {"extractive", "llamacpp", "openai", "ollama", "llama-index"}


def test_unknown_backend_lists_the_choices(tmp_path):
    with pytest.raises(ValueError) as e:
        get_llm(make_settings(tmp_path), "gpt-17")
    for name in BACKENDS:
        assert name in str(e.value)


def test_extractive_needs_no_model(tmp_path):
    assert get_llm(make_settings(tmp_path)) is None  # the default backend


def test_prompt_forms():
    assert as_messages("hi") == [{"role": "user", "content": "hi"}]
    msgs = [{"role": "system", "content": "s", "extra": 1}, {"role": "user", "content": "u"}]
    assert as_messages(msgs) == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert estimate_tokens("x" * 300) >= 75  # never below a 4-characters-a-token count


def test_backends_are_imported_only_when_chosen():
    # The extractive default loads neither llama.cpp nor the OpenAI/Ollama clients.
    code = (
        "import sys; from rag.answer import llms, answerer; "
        "print(sorted(m for m in ('llama_cpp', 'openai', 'ollama', 'llama_index.llms.openai_like') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
