"""The LLM backends: llama.cpp in process and behind its OpenAI-compatible server (real SmolLM2 GGUF),
Ollama's native API (a 127.0.0.1 stand-in), the registry, and every failure mapped to LLMError."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from rag.answer.llamacpp import LlamaCppLLM
from rag.answer.llms import BACKENDS, LLMError, OllamaLLM, OpenAICompatibleLLM, as_messages, estimate_tokens, get_llm
from tests.conftest import make_settings
from tests.servers import (
    FakeServer, free_port, hang, ollama_handler, ollama_lines, reply, send_chunks, sse,
    status_handler,
)

SECRET = "sk-test-0123456789abcdef-secret"


def settings(tmp_path, **overrides):
    base = dict(llm_max_tokens=24, llm_context_tokens=1024, llm_threads=2, llm_retries=0, llm_timeout_s=20)
    base.update(overrides)
    return make_settings(tmp_path, **base)


@pytest.fixture(scope="module")
def llamacpp(smol, tmp_path_factory):
    """The SmolLM2 GGUF loaded once for this module."""
    return LlamaCppLLM(settings(tmp_path_factory.mktemp("llm"), llm_backend="llamacpp", llm_model=str(smol)))


# --- registry ---------------------------------------------------------------------------------


def test_registry_names_the_four_backends():
    assert set(BACKENDS) == {"extractive", "llamacpp", "openai", "ollama"}


def test_unknown_backend_lists_the_choices(tmp_path):
    with pytest.raises(ValueError) as e:
        get_llm(settings(tmp_path), "gpt-17")
    for name in BACKENDS:
        assert name in str(e.value)


def test_extractive_needs_no_model(tmp_path):
    assert get_llm(settings(tmp_path)) is None  # the default backend


def test_prompt_forms():
    assert as_messages("hi") == [{"role": "user", "content": "hi"}]
    msgs = [{"role": "system", "content": "s", "extra": 1}, {"role": "user", "content": "u"}]
    assert as_messages(msgs) == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert estimate_tokens("x" * 300) >= 75  # never below a 4-characters-a-token count


# --- llama.cpp in process -----------------------------------------------------------------------


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


# --- OpenAI-compatible: the real llama.cpp server ----------------------------------------------


def test_openai_streams_through_llama_cpp_server(tmp_path, llama_api):
    llm = get_llm(settings(tmp_path, llm_base_url=llama_api, llm_model="smollm2", llm_api_key=SECRET), "openai")
    assert isinstance(llm, OpenAICompatibleLLM)
    deltas = list(llm.stream([{"role": "user", "content": "Name a colour."}]))
    assert len(deltas) >= 2
    assert "".join(deltas).strip()


def test_openai_wrong_path_is_not_transient(tmp_path, llama_api):
    llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=llama_api.removesuffix("/v1"), llm_model="smollm2"))
    with pytest.raises(LLMError) as e:
        list(llm.stream("hi"))  # the base URL lacks /v1: the server has no /chat/completions
    assert "HTTP 404" in str(e.value) and "RAG_LLM_BASE_URL" in str(e.value) and not e.value.transient


# --- OpenAI-compatible: failures ----------------------------------------------------------------


def test_closed_port_is_transient_and_named(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=url, llm_model="m"))
    with pytest.raises(LLMError, match="cannot reach") as e:
        list(llm.stream("hi"))
    assert e.value.transient and "127.0.0.1" in str(e.value)


def test_http_500_is_transient(tmp_path):
    with FakeServer(status_handler(500)) as srv:
        llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="m"))
        with pytest.raises(LLMError, match="HTTP 500") as e:
            list(llm.stream("hi"))
    assert e.value.transient


def test_hanging_server_times_out(tmp_path):
    with FakeServer(hang) as srv:
        llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="m", llm_timeout_s=0.5))
        with pytest.raises(LLMError, match="did not answer within 0.5 s") as e:
            list(llm.stream("hi"))
    assert e.value.transient


def test_malformed_stream_is_reported(tmp_path):
    with FakeServer(lambda h, d: send_chunks(h, [b"data: {not json\n\n"], "text/event-stream")) as srv:
        llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="m"))
        with pytest.raises(LLMError, match="malformed response") as e:
            list(llm.stream("hi"))
    assert not e.value.transient


def test_stream_cut_midway_yields_the_part_then_fails(tmp_path):
    with FakeServer(lambda h, d: send_chunks(h, sse(["The answer ", "is"], done=False), "text/event-stream", finish=False)) as srv:
        llm = OpenAICompatibleLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="m"))
        got = []
        with pytest.raises(LLMError) as e:
            for d in llm.stream("hi"):
                got.append(d)
    assert got == ["The answer ", "is"]
    assert e.value.transient


def test_api_key_is_sent_but_never_shown(tmp_path):
    # A server that echoes the Authorization header back in its error body.
    echo = lambda h, d: reply(h, 401, json.dumps({"error": f"bad key {d['_auth']}"}).encode())  # noqa: E731
    with FakeServer(echo) as srv:
        s = settings(tmp_path, llm_base_url=srv.url, llm_model="m", llm_api_key=SECRET)
        llm = OpenAICompatibleLLM(s)
        with pytest.raises(LLMError) as e:
            list(llm.stream("hi"))
        assert srv.requests[0]["_auth"] == f"Bearer {SECRET}"
    assert "HTTP 401" in str(e.value) and "RAG_LLM_API_KEY" in str(e.value)
    for shown in (str(e.value), repr(e.value), repr(llm), repr(s), str(s), s.model_dump_json()):
        assert SECRET not in shown


def test_openai_needs_a_model_and_an_http_url(tmp_path):
    with pytest.raises(LLMError, match="RAG_LLM_MODEL"):
        OpenAICompatibleLLM(settings(tmp_path, llm_base_url="http://127.0.0.1:1/v1"))
    with pytest.raises(LLMError, match="RAG_LLM_BASE_URL"):
        OpenAICompatibleLLM(settings(tmp_path, llm_base_url="ftp://example/v1", llm_model="m"))


# --- Ollama native API --------------------------------------------------------------------------


def test_ollama_streams_ndjson(tmp_path):
    with FakeServer(ollama_handler(lambda req: ["Pakistan ", "joined ", "in 1954 [1]."])) as srv:
        llm = get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="qwen2.5:1.5b", llm_max_tokens=99), "ollama")
        assert isinstance(llm, OllamaLLM)
        deltas = list(llm.stream([{"role": "user", "content": "When?"}]))
        (req,) = srv.requests
    assert deltas == ["Pakistan ", "joined ", "in 1954 [1]."]
    assert req["_path"] == "/api/chat" and req["stream"] is True and req["model"] == "qwen2.5:1.5b"
    assert req["messages"] == [{"role": "user", "content": "When?"}]
    assert req["options"]["num_predict"] == 99


def test_ollama_error_record_becomes_the_message(tmp_path):
    body = json.dumps({"error": "model 'nope' not found, try pulling it first"}).encode()
    with FakeServer(lambda h, d: reply(h, 404, body)) as srv:
        llm = OllamaLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="nope"))
        with pytest.raises(LLMError, match="not found") as e:
            list(llm.stream("hi"))
    assert "HTTP 404" in str(e.value) and not e.value.transient


def test_ollama_stream_without_done_is_incomplete(tmp_path):
    lines = ollama_lines(["partial"])[:-1]
    with FakeServer(lambda h, d: send_chunks(h, lines, "application/x-ndjson")) as srv:
        llm = OllamaLLM(settings(tmp_path, llm_base_url=srv.url, llm_model="m"))
        with pytest.raises(LLMError, match="ended before") as e:
            list(llm.stream("hi"))
    assert e.value.transient


def test_secret_setting_stays_secret(tmp_path):
    s = settings(tmp_path, llm_api_key=SecretStr(SECRET))
    assert SECRET not in repr(s) and s.llm.api_key.get_secret_value() == SECRET
