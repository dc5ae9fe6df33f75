"""The backends through llama-index's integrations: `openai` (OpenAILike) against llama.cpp's real
OpenAI-compatible server and 127.0.0.1 stand-ins that fail in every way a host can, `ollama` (Ollama)
against a stand-in of its native API, and `llama-index` building an installed class from
RAG_LLM_CLASS and RAG_LLM_KWARGS. Every failure is one LLMError with a transient flag; no key is shown."""

from __future__ import annotations

import json
import threading

import pytest
from pydantic import SecretStr, ValidationError

from rag.answer.answerer import Answerer
from rag.answer.llamaindex_llms import LlamaIndexLLM, install_hint
from rag.answer.llm_errors import redact
from rag.answer.llms import LLMError, get_llm
from tests.conftest import make_settings
from tests.servers import FakeServer, free_port, hang, ollama_handler, ollama_lines, reply, send_chunks, sse, status_handler

SECRET = "sk-test-0123456789abcdef-secret"
QUESTION = "In which month and year did President Biden announce the unconditional withdrawal of US forces from Afghanistan?"


def settings(tmp_path, **overrides):
    base = dict(llm_max_tokens=24, llm_context_tokens=1024, llm_threads=2, llm_retries=0, llm_timeout_s=20)
    base.update(overrides)
    return make_settings(tmp_path, **base)


def openai(tmp_path, url, **overrides) -> LlamaIndexLLM:
    return get_llm(settings(tmp_path, llm_base_url=url, **{"llm_model": "m", **overrides}), "openai")


def failure(llm, prompt="hi") -> tuple[list[str], LLMError]:
    """The deltas streamed before the LLMError, and the error."""
    got = []
    with pytest.raises(LLMError) as e:
        for d in llm.stream(prompt):
            got.append(d)
    return got, e.value


def streams(deltas: list[str]):
    return lambda h, d: send_chunks(h, sse(deltas), "text/event-stream")


def fail_first(status: int, then):
    """A handler that answers HTTP `status` once, then behaves as `then`."""
    calls = iter(range(10**6))
    lock = threading.Lock()

    def handle(h, d):
        with lock:
            n = next(calls)
        (status_handler(status) if n == 0 else then)(h, d)

    return handle


# --- openai: OpenAILike -------------------------------------------------------------------------


def test_openai_streams_through_llama_cpp_server(tmp_path, llama_api):
    llm = openai(tmp_path, llama_api, llm_model="smollm2", llm_api_key=SECRET)
    assert isinstance(llm, LlamaIndexLLM) and type(llm.llm).__name__ == "OpenAILike"
    deltas = list(llm.stream([{"role": "user", "content": "Name a colour."}]))
    assert len(deltas) >= 2
    assert "".join(deltas).strip()


def test_openai_wrong_path_is_not_transient(tmp_path, llama_api):
    _, e = failure(openai(tmp_path, llama_api.removesuffix("/v1"), llm_model="smollm2"))
    # the base URL lacks /v1: the server has no /chat/completions
    assert "HTTP 404" in str(e) and "RAG_LLM_BASE_URL" in str(e) and not e.transient


def test_openai_sends_the_settings(tmp_path):
    with FakeServer(streams(["The answer ", "is ", "here."])) as srv:
        llm = openai(tmp_path, srv.url, llm_max_tokens=99)
        assert list(llm.stream([{"role": "system", "content": "s"}, {"role": "user", "content": "q"}])) == ["The answer ", "is ", "here."]
        (req,) = srv.requests
    assert req["_path"] == "/chat/completions" and req["stream"] is True and req["model"] == "m"
    assert req["max_tokens"] == 99 and req["temperature"] == 0
    assert req["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]


def test_closed_port_is_transient_and_named(tmp_path):
    _, e = failure(openai(tmp_path, f"http://127.0.0.1:{free_port()}/v1"))
    assert "cannot reach" in str(e) and e.transient and "127.0.0.1" in str(e)


def test_hanging_server_times_out(tmp_path):
    with FakeServer(hang) as srv:
        _, e = failure(openai(tmp_path, srv.url, llm_timeout_s=0.5))
    assert "did not answer within 0.5 s" in str(e) and e.transient


@pytest.mark.parametrize("status,transient", [(500, True), (503, True), (429, True), (401, False), (404, False), (400, False)])
def test_http_status_sets_the_transient_flag(tmp_path, status, transient):
    with FakeServer(status_handler(status)) as srv:
        _, e = failure(openai(tmp_path, srv.url))
        assert len(srv.requests) == 1  # the client's own retries are off: the answerer's retry is the only one
    assert f"HTTP {status}" in str(e) and e.transient is transient


def test_500_then_success_when_asked_again(tmp_path):
    with FakeServer(fail_first(500, streams(["ok"]))) as srv:
        llm = openai(tmp_path, srv.url)
        _, e = failure(llm)
        assert e.transient
        assert list(llm.stream("hi")) == ["ok"]
        assert len(srv.requests) == 2


def test_answerer_retries_a_500_and_answers(corpus_pipeline, tmp_path):
    pipe = corpus_pipeline
    with FakeServer(fail_first(500, streams(["Biden announced the withdrawal in April 2021 [1]."]))) as srv:
        s = make_settings(pipe.settings.store.data_dir, pipe.settings.store.corpus_dir, llm_backend="openai",
                          llm_base_url=srv.url, llm_model="m", llm_retries=1)
        ans = Answerer(s, pipe.retriever, pipe.answerer.extractive).ask(QUESTION)
        assert len(srv.requests) == 2  # one failure, one retry by the answerer, nothing more
    assert ans.backend == "openai" and not ans.fallback and "April 2021" in ans.answer


def test_malformed_stream_is_reported(tmp_path):
    with FakeServer(lambda h, d: send_chunks(h, [b"data: {not json\n\n"], "text/event-stream")) as srv:
        _, e = failure(openai(tmp_path, srv.url))
    assert "malformed response" in str(e) and not e.transient


def test_error_event_inside_the_stream_is_reported(tmp_path):
    event = b'data: {"error": {"message": "model overloaded", "type": "server_error"}}\n\n'
    with FakeServer(lambda h, d: send_chunks(h, [event], "text/event-stream")) as srv:
        _, e = failure(openai(tmp_path, srv.url))
    assert "model overloaded" in str(e)


def test_stream_cut_midway_yields_the_part_then_fails(tmp_path):
    with FakeServer(lambda h, d: send_chunks(h, sse(["The answer ", "is"], done=False), "text/event-stream", finish=False)) as srv:
        got, e = failure(openai(tmp_path, srv.url))
    assert got == ["The answer ", "is"] and e.transient


def test_stream_that_ends_without_finishing_is_incomplete(tmp_path):
    # A clean end of the body, but no finish_reason and no [DONE]: the answer was cut.
    with FakeServer(lambda h, d: send_chunks(h, sse(["The answer ", "is"], done=False), "text/event-stream")) as srv:
        got, e = failure(openai(tmp_path, srv.url))
    assert got == ["The answer ", "is"] and "ended before" in str(e) and e.transient


def test_api_key_is_sent_but_never_shown(tmp_path):
    # A server that echoes the Authorization header back in its error body.
    echo = lambda h, d: reply(h, 401, json.dumps({"error": f"bad key {d['_auth']}", "key": SECRET}).encode())  # noqa: E731
    with FakeServer(echo) as srv:
        s = settings(tmp_path, llm_base_url=srv.url, llm_model="m", llm_api_key=SECRET)
        llm = get_llm(s, "openai")
        _, e = failure(llm)
        assert srv.requests[0]["_auth"] == f"Bearer {SECRET}"
    assert "HTTP 401" in str(e) and "RAG_LLM_API_KEY" in str(e) and not e.transient
    assert e.__cause__ is None and e.__suppress_context__  # no traceback carries the client's own message
    for shown in (str(e), repr(e), repr(llm), repr(s), str(s), s.model_dump_json()):
        assert SECRET not in shown and "0123456789abcdef" not in shown


def test_openai_needs_a_model_and_an_http_url(tmp_path):
    with pytest.raises(LLMError, match="RAG_LLM_MODEL"):
        get_llm(settings(tmp_path, llm_base_url="http://127.0.0.1:1/v1"), "openai")
    with pytest.raises(LLMError, match="RAG_LLM_BASE_URL"):
        get_llm(settings(tmp_path, llm_base_url="ftp://example/v1", llm_model="m"), "openai")


def test_credentials_in_the_url_are_not_shown(tmp_path):
    llm = openai(tmp_path, f"http://user:{SECRET}@127.0.0.1:{free_port()}/v1")
    _, e = failure(llm)
    assert SECRET not in str(e) and SECRET not in repr(llm) and "127.0.0.1" in str(e)


# --- ollama: llama-index's Ollama ---------------------------------------------------------------


def test_ollama_streams_ndjson(tmp_path):
    with FakeServer(ollama_handler(lambda req: ["Pakistan ", "joined ", "in 1954 [1]."])) as srv:
        llm = get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="qwen2.5:1.5b", llm_max_tokens=99), "ollama")
        assert type(llm.llm).__name__ == "Ollama"
        deltas = list(llm.stream([{"role": "user", "content": "When?"}]))
        (req,) = srv.requests
    assert deltas == ["Pakistan ", "joined ", "in 1954 [1]."]
    assert req["_path"] == "/api/chat" and req["stream"] is True and req["model"] == "qwen2.5:1.5b"
    assert req["messages"] == [{"role": "user", "content": "When?"}]
    assert req["options"]["num_predict"] == 99 and req["options"]["num_ctx"] == 1024


def test_ollama_error_record_becomes_the_message(tmp_path):
    body = json.dumps({"error": "model 'nope' not found, try pulling it first"}).encode()
    with FakeServer(lambda h, d: reply(h, 404, body)) as srv:
        _, e = failure(get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="nope"), "ollama"))
    assert "not found" in str(e) and "HTTP 404" in str(e) and not e.transient


def test_ollama_stream_without_done_is_incomplete(tmp_path):
    lines = ollama_lines(["partial"])[:-1]
    with FakeServer(lambda h, d: send_chunks(h, lines, "application/x-ndjson")) as srv:
        got, e = failure(get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="m"), "ollama"))
    assert got == ["partial"] and "ended before" in str(e) and e.transient


def test_ollama_failures_are_transient_where_a_retry_may_help(tmp_path):
    _, e = failure(get_llm(settings(tmp_path, llm_base_url=f"http://127.0.0.1:{free_port()}", llm_model="m"), "ollama"))
    assert "cannot reach" in str(e) and e.transient
    with FakeServer(hang) as srv:
        _, e = failure(get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="m", llm_timeout_s=0.5), "ollama"))
    assert "did not answer within 0.5 s" in str(e) and e.transient
    with FakeServer(lambda h, d: send_chunks(h, [b"{not json\n"], "application/x-ndjson")) as srv:
        _, e = failure(get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="m"), "ollama"))
    assert "malformed response" in str(e) and not e.transient


def test_ollama_sends_the_key_and_never_shows_it(tmp_path):
    echo = lambda h, d: reply(h, 401, json.dumps({"error": f"unauthorized: {d['_auth']}"}).encode())  # noqa: E731
    with FakeServer(echo) as srv:
        _, e = failure(get_llm(settings(tmp_path, llm_base_url=srv.url, llm_model="m", llm_api_key=SECRET), "ollama"))
        assert srv.requests[0]["_auth"] == f"Bearer {SECRET}"
    assert "HTTP 401" in str(e) and SECRET not in str(e)


# --- llama-index: any installed llama-index LLM class -------------------------------------------

OPENAI_LIKE = "llama_index.llms.openai_like.OpenAILike"


def generic(tmp_path, **overrides):
    return settings(tmp_path, llm_backend="llama-index", llm_class_path=OPENAI_LIKE, **overrides)


def test_generic_backend_builds_the_named_class_from_kwargs(tmp_path):
    with FakeServer(streams(["Named ", "class."])) as srv:
        s = generic(tmp_path, llm_model="m", llm_api_key=SECRET,
                    llm_kwargs=json.dumps({"api_base": srv.url, "is_chat_model": True, "max_tokens": 7}))
        llm = get_llm(s)
        assert llm.name == "llama-index" and type(llm.llm).__name__ == "OpenAILike"
        assert llm.llm.max_retries == 0  # the answerer retries
        assert list(llm.stream("q")) == ["Named ", "class."]
        (req,) = srv.requests
    assert req["_path"] == "/chat/completions" and req["model"] == "m" and req["max_tokens"] == 7  # the kwargs win
    assert req["_auth"] == f"Bearer {SECRET}"  # RAG_LLM_API_KEY passed as api_key
    assert srv.url in repr(llm) and SECRET not in repr(llm)


def test_generic_backend_maps_failures_too(tmp_path):
    with FakeServer(status_handler(503)) as srv:
        s = generic(tmp_path, llm_model="m", llm_api_key=SECRET, llm_kwargs={"api_base": srv.url, "is_chat_model": True})
        _, e = failure(get_llm(s))
        assert len(srv.requests) == 1
    assert "OpenAILike" in str(e) and "HTTP 503" in str(e) and e.transient


def test_generic_missing_module_is_an_install_hint(tmp_path):
    s = settings(tmp_path, llm_backend="llama-index", llm_class_path="llama_index.llms.no_such_provider.NoSuch")
    with pytest.raises(LLMError, match="pip install llama-index-llms-no-such-provider") as e:
        get_llm(s)
    assert not e.value.transient
    assert install_hint("llama_index.llms.anthropic") == "llama-index-llms-anthropic"
    assert install_hint("llama_index.llms.openai_like.base") == "llama-index-llms-openai-like"
    assert install_hint("my_company_llms.client") == "my-company-llms"


@pytest.mark.parametrize("path,message", [
    ("llama_index.llms.openai_like.NoSuchClass", "has no class NoSuchClass"),
    ("json.JSONDecoder", "not a llama-index LLM"),
])
def test_generic_wrong_class_is_a_clear_error(tmp_path, path, message):
    with pytest.raises(LLMError, match=message):
        get_llm(settings(tmp_path, llm_backend="llama-index", llm_class_path=path))


def test_generic_bad_kwargs_are_a_clear_error(tmp_path):
    s = generic(tmp_path, llm_model="m", llm_api_key=SECRET, llm_kwargs={"temperature": "very hot"})
    with pytest.raises(LLMError, match=r"cannot build llama_index.llms.openai_like.OpenAILike from RAG_LLM_KWARGS \['temperature'\]") as e:
        get_llm(s)
    assert "temperature" in str(e.value) and SECRET not in str(e.value)


def test_generic_needs_a_class(tmp_path):
    with pytest.raises(LLMError, match="RAG_LLM_CLASS"):
        get_llm(settings(tmp_path), "llama-index")  # chosen per question, with no class configured


@pytest.mark.parametrize("env,value,message", [
    ("RAG_LLM_KWARGS", '{"model": ', "RAG_LLM_KWARGS is not valid JSON"),
    ("RAG_LLM_KWARGS", '["model"]', "must be a JSON object"),
    ("RAG_LLM_KWARGS", '{"api_key": "sk-x"}', "set RAG_LLM_API_KEY"),
    ("RAG_LLM_CLASS", "Anthropic", "dotted module.Class"),
    ("RAG_LLM_CLASS", "llama_index.llms.anthropic.Anthropic()", "dotted module.Class"),
])
def test_generic_settings_are_checked_at_start(monkeypatch, tmp_path, env, value, message):
    monkeypatch.setenv("RAG_LLM_BACKEND", "llama-index")
    monkeypatch.setenv("RAG_LLM_CLASS", OPENAI_LIKE)
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        make_settings(tmp_path)


def test_generic_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_LLM_BACKEND", "llama-index")
    monkeypatch.setenv("RAG_LLM_CLASS", "llama_index.llms.anthropic.Anthropic")
    monkeypatch.setenv("RAG_LLM_KWARGS", '{"model": "claude-3-5-haiku-latest", "max_tokens": 256}')
    s = make_settings(tmp_path)
    assert s.llm.class_path == "llama_index.llms.anthropic.Anthropic"
    assert s.llm.kwargs == {"model": "claude-3-5-haiku-latest", "max_tokens": 256}
    assert s.updated(top_k=3).llm == s.llm
    monkeypatch.delenv("RAG_LLM_CLASS")
    with pytest.raises(ValidationError, match="needs RAG_LLM_CLASS"):
        make_settings(tmp_path)


# --- redaction ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"bad key {SECRET}",
    "Authorization: Bearer abc.def.ghi",
    '{"api_key": "AKIAIOSFODNN7EXAMPLE"}',
    "x-api-key=0123456789abcdef",
    "token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 rejected",
    "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAA",
    "http://user:hunter2@host/v1",
])
def test_anything_that_looks_like_a_key_is_redacted(text):
    shown = redact(text, [SECRET])
    assert "***" in shown
    for secret in (SECRET, "abc.def.ghi", "AKIAIOSFODNN7EXAMPLE", "0123456789abcdef", "9f86d081884c7d65", "AAAAAAAAAAAA", "hunter2"):
        assert secret not in shown


def test_ordinary_messages_are_left_alone():
    text = "model 'qwen2.5-coder-1.5b-instruct' not found; max_tokens 384 exceeds the token limit of gpt-4o-mini-2024-07-18"
    assert redact(text, [SECRET]) == text


def test_secret_setting_stays_secret(tmp_path):
    s = settings(tmp_path, llm_api_key=SecretStr(SECRET))
    assert SECRET not in repr(s) and s.llm.api_key.get_secret_value() == SECRET
