"""The llamacpp backend: the real SmolLM2 GGUF in process, bad model files, and a missing
llama-cpp-python (an install away since `make run` no longer builds it) as an install hint and the
extractive fallback."""

from __future__ import annotations

import sys

import pytest

from rag.answer.answerer import Answerer
from rag.answer.llamacpp import LlamaCppLLM
from rag.answer.llms import LLMError, get_llm
from tests.conftest import make_settings

QUESTION = "In which month and year did President Biden announce the unconditional withdrawal of US forces from Afghanistan?"


def settings(tmp_path, **overrides):
    base = dict(llm_max_tokens=24, llm_context_tokens=1024, llm_threads=2, llm_retries=0, llm_timeout_s=20)
    base.update(overrides)
    return make_settings(tmp_path, **base)


@pytest.fixture(scope="module")
def llamacpp(smol, tmp_path_factory):
    """The SmolLM2 GGUF loaded once for this module."""
    return LlamaCppLLM(settings(tmp_path_factory.mktemp("llm"), llm_backend="llamacpp", llm_model=str(smol)))


def test_llamacpp_streams_in_pieces(llamacpp):
    deltas = list(llamacpp.stream([{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Name a colour."}]))
    assert len(deltas) >= 2 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas).strip()
    assert 0 < llamacpp.count_tokens("The United States and Pakistan.") < 20


def test_llamacpp_via_registry_reports_model_problems(tmp_path, smol):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LLMError, match="model file not found") as e:
        get_llm(settings(tmp_path, llm_model=str(missing)), "llamacpp")
    assert not e.value.transient
    with pytest.raises(LLMError, match="RAG_LLM_MODEL"):
        get_llm(settings(tmp_path), "llamacpp")


def test_llamacpp_rejects_a_file_that_is_not_gguf(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("this is a text file, not a model")
    with pytest.raises(LLMError, match="not a GGUF"):
        LlamaCppLLM(settings(tmp_path, llm_model=str(fake)))


def test_llamacpp_reports_a_corrupt_gguf(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(LLMError, match="cannot load"):
        LlamaCppLLM(settings(tmp_path, llm_model=str(broken)))


def test_llamacpp_prompt_beyond_the_context_window_is_an_error(llamacpp):
    with pytest.raises(LLMError, match="llama.cpp failed"):
        list(llamacpp.stream("word " * 3000))


# --- llama-cpp-python not installed (make run without RAG_LLM_BACKEND=llamacpp, or make llm) ----


@pytest.fixture
def without_llama_cpp(monkeypatch):
    """This process as if llama-cpp-python were not installed: importing llama_cpp raises ImportError."""
    monkeypatch.setitem(sys.modules, "llama_cpp", None)


def test_missing_llama_cpp_is_an_install_hint(tmp_path, smol, without_llama_cpp):
    with pytest.raises(LLMError) as e:
        get_llm(settings(tmp_path, llm_model=str(smol)), "llamacpp")
    assert "pip install 'rag-chat[llamacpp]'" in str(e.value) and not e.value.transient


def test_missing_llama_cpp_falls_back_to_the_extractive_answer(corpus_pipeline, smol, without_llama_cpp):
    pipe = corpus_pipeline
    s = make_settings(pipe.settings.store.data_dir, pipe.settings.store.corpus_dir, llm_backend="llamacpp", llm_model=str(smol))
    ans = Answerer(s, pipe.retriever, pipe.answerer.extractive).ask(QUESTION)
    assert ans.backend == "extractive" and ans.fallback["from"] == "llamacpp"
    assert "llama-cpp-python" in ans.fallback["reason"]
    assert ans.answer == pipe.answerer.ask(QUESTION).answer
