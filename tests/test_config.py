"""Settings: grouped by concern, every flat RAG_* name still works, bad names fail at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.answer.llms import BACKENDS as LLM_REGISTRY
from rag.config import EMBED_BACKENDS, FLAT, LLM_BACKENDS, Settings
from rag.index.embedding import BACKENDS as EMBED_REGISTRY


def test_flat_environment_names_land_in_their_groups(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_LLM_BACKEND", "ollama")
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "64")
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")
    monkeypatch.setenv("RAG_EXAMPLES", '["What is X?"]')
    s = Settings()
    assert (s.retrieval.top_k, s.llm.backend, s.chunking.tokens, s.embedding.backend) == (7, "ollama", 64, "torch")
    assert s.web.examples == ["What is X?"]
    # The default data and corpus folders follow the working directory, not the installed package.
    assert s.store.data_dir == tmp_path / "data" and s.store.corpus_dir == tmp_path / "corpus"


def test_flat_overrides_and_updated_copies(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, top_k=3, llm_backend="openai")
    assert (s.store.data_dir, s.retrieval.top_k, s.llm.backend) == (tmp_path, 3, "openai")
    t = s.updated(top_k=9, port=8000)
    assert (t.retrieval.top_k, t.web.port, s.retrieval.top_k) == (9, 8000, 3)
    assert t.store.data_dir == tmp_path and t.llm.backend == "openai"
    with pytest.raises(ValueError, match="unknown setting"):
        s.updated(no_such_setting=1)


@pytest.mark.parametrize("env,value", [("RAG_LLM_BACKEND", "gpt5"), ("RAG_EMBED_BACKEND", "cuda"), ("RAG_TOP_K", "0")])
def test_a_bad_value_is_a_settings_error_at_start(monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_half_a_login_is_refused():
    with pytest.raises(ValidationError, match="RAG_AUTH_PASSWORD"):
        Settings(_env_file=None, auth_user="me")


def test_the_allowed_names_are_the_registries():
    assert set(LLM_BACKENDS) == set(LLM_REGISTRY)
    assert set(EMBED_BACKENDS) == set(EMBED_REGISTRY)


def test_every_flat_name_is_unique_and_documented():
    for flat, (group, field) in FLAT.items():
        info = getattr(Settings, "model_fields")[group].annotation.model_fields[field]
        assert info.description or flat in ("llm_temperature", "port"), flat
    assert isinstance(Settings(_env_file=None).chroma_dir, Path)
