"""The web app's handlers and its `/ask` API, served for real on 127.0.0.1 over the real index and
called through gradio_client (behind the optional login)."""

from __future__ import annotations

import re
import socket
import threading

import httpx
import pytest
from gradio_client import Client
from pydantic import SecretStr

from rag.answer.answerer import QuestionError
from rag.rwlock import ReadWriteLock
from rag.domain import Answer
from rag.app.web import WebChat, backend_choices, describe_backend, serve
from tests.servers import free_port, web_chat

CORPUS_Q = "When did President Biden announce the US withdrawal from Afghanistan?"
OFF_TOPIC = "What is the recipe for chocolate cake?"
AUTH = ("reader", "correct horse battery")


@pytest.fixture(scope="module")
def served(corpus_pipeline):
    """The app over the session's corpus index, behind a login, on a free port."""
    settings = corpus_pipeline.settings.updated(
        port=free_port(), auth_user=AUTH[0], auth_password=SecretStr(AUTH[1]), concurrency=2
    )
    with web_chat(corpus_pipeline, settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(served) -> Client:
    return Client(served, auth=AUTH, verbose=False, analytics_enabled=False, download_files=False)


def _without_timings(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "timings"}


# --- the /ask API --------------------------------------------------------------

def test_ask_returns_the_same_json_as_rag_ask(client, corpus_pipeline):
    got = client.predict(CORPUS_Q, api_name="/ask")
    want = corpus_pipeline.answerer.ask(CORPUS_Q).to_dict()
    assert _without_timings(got) == _without_timings(want)
    assert set(got["timings"]) == set(want["timings"])
    assert not got["abstained"] and "[1]" in got["answer"] and "2021" in got["answer"]
    assert set(got["citations"][0]) >= {"n", "source", "title", "section", "text", "score", "doc_id", "start", "end"}


def test_ask_takes_a_backend_name(client):
    got = client.predict(CORPUS_Q, "extractive", api_name="/ask")
    assert got["backend"] == "extractive" and "[1]" in got["answer"]
    bad = client.predict(CORPUS_Q, "no-such-backend", api_name="/ask")
    assert bad["question"] == CORPUS_Q and "unknown backend 'no-such-backend'" in bad["error"]
    assert "extractive" in bad["error"]  # lists the choices


def test_ask_abstains_off_topic(client):
    got = client.predict(OFF_TOPIC, api_name="/ask")
    assert got["abstained"] is True and got["answer"] == "The documents don't answer this question."


def test_bad_question_is_an_error_object_and_the_server_keeps_serving(client):
    assert "empty" in client.predict("   ", api_name="/ask")["error"]
    assert "limit" in client.predict("why " * 1000, api_name="/ask")["error"]
    assert "[1]" in client.predict(CORPUS_Q, api_name="/ask")["answer"]


def test_only_ask_is_a_public_endpoint(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}


def test_login_is_required(served):
    assert httpx.get(served + "config").status_code == 401
    with pytest.raises(Exception):
        Client(served, verbose=False, analytics_enabled=False)
    with pytest.raises(Exception):
        Client(served, auth=(AUTH[0], "wrong"), verbose=False, analytics_enabled=False)


def test_concurrent_callers_each_get_their_own_answer(served):
    questions = [CORPUS_Q, OFF_TOPIC, "What is the China-Pakistan Economic Corridor?"]
    results: dict[str, dict] = {}

    def call(q):
        c = Client(served, auth=AUTH, verbose=False, analytics_enabled=False, download_files=False)
        results[q] = c.predict(q, api_name="/ask")

    threads = [threading.Thread(target=call, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert {q: r["question"] for q, r in results.items()} == {q: q for q in questions}
    assert results[OFF_TOPIC]["abstained"] and not results[CORPUS_Q]["abstained"]


# --- the chat handlers, without a server ----------------------------------------

def _last(gen):
    out = None
    for out in gen:
        pass
    return out


def test_chat_streams_into_the_last_message_and_renders_the_answer(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    # Each step is sent to the browser as it is yielded; keep a copy of each as the browser would.
    steps = [(list(c), s, b) for c, s, b in chat.respond(CORPUS_Q, None, "extractive", 5, False)]
    first_chat, _, box = steps[0]
    assert box == "" and [m["role"] for m in first_chat] == ["user", "assistant"]
    assert "rag-streaming" in first_chat[-1]["content"]
    final_chat, state, _ = steps[-1]
    assert final_chat == state["messages"] and len(final_chat) == 2
    assert [t["question"] for t in state["turns"]] == [CORPUS_Q] and "2021" in state["turns"][0]["answer"]
    html = final_chat[-1]["content"]
    assert 'class="rag-answer rag-answered"' in html and 'class="rag-cite"' in html and "rag-card" in html


def test_each_conversation_keeps_only_its_own_messages(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    alice, alice_saved, _ = _last(chat.respond(CORPUS_Q, None, "extractive", 5, False))
    bob, _, _ = _last(chat.respond(OFF_TOPIC, None, "extractive", 5, False))
    alice2, _, _ = _last(chat.respond(OFF_TOPIC, alice_saved, "extractive", 5, False))
    assert len(bob) == 2 and "Biden" not in "".join(m["content"] for m in bob)
    assert len(alice2) == 4 and len(alice) == 2  # the earlier state is not mutated


def test_bad_question_shows_the_reason_in_the_chat_and_gives_the_text_back(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    history, saved, box = _last(chat.respond("x" * 5000, None, "extractive", 5, False))
    assert "rag-error" in history[-1]["content"] and "limit is" in history[-1]["content"]
    assert box == "x" * 5000 and saved["turns"] == []  # a refused question is no turn of the conversation
    history, _, _ = _last(chat.respond("", None, "nonsense", 5, False))
    assert "unknown backend" in history[-1]["content"]


def test_answers_wait_while_the_index_is_being_changed(corpus_pipeline):
    lock = ReadWriteLock()
    chat = WebChat(corpus_pipeline, lock)
    got: list = []
    with lock.write():
        t = threading.Thread(target=lambda: got.extend(chat.answer_steps(CORPUS_Q, None, None, None)))
        t.start()
        for _ in range(2000):
            if lock.waiting[0] == 1:
                break
            threading.Event().wait(0.005)
        assert lock.waiting[0] == 1 and got == []  # the question is held at the lock
    t.join(60)
    assert isinstance(got[-1], Answer) and lock.readers == 0


def test_unknown_backend_is_a_question_error(corpus_pipeline):
    with pytest.raises(QuestionError, match="choose one of"):
        list(WebChat(corpus_pipeline).answer_steps(CORPUS_Q, None, "nope", None))


def test_backend_choices_include_the_configured_one(corpus_pipeline):
    settings = corpus_pipeline.settings
    assert settings.llm.backend in backend_choices(settings)
    assert "extractive" in backend_choices(settings)
    odd = settings.updated(**{"llm_backend": "openai", "llm_model": "gpt-x", "llm_api_key": SecretStr("sk-secret")})
    assert "openai" in backend_choices(odd)
    assert "gpt-x" in describe_backend(odd, "openai") and "sk-secret" not in describe_backend(odd, "openai")


def test_settings_refuse_half_a_login(corpus_pipeline):
    with pytest.raises(ValueError, match="RAG_AUTH_PASSWORD"):
        corpus_pipeline.settings.updated(auth_user="only-user")


def test_serve_reports_a_busy_port(corpus_pipeline, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = corpus_pipeline.settings.updated(**{"port": busy.getsockname()[1]})
        assert serve(settings) == 1
    assert f"cannot serve on 127.0.0.1:{settings.web.port}" in capsys.readouterr().err


# --- follow-up questions ------------------------------------------------------

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"
FOLLOW_UP = "How did he manage to leave Pakistan afterwards?"
RESOLVED = "How did Raymond Davis manage to leave Pakistan afterwards?"


def test_ask_takes_the_conversation_so_far(client, corpus_pipeline):
    first = client.predict(DAVIS, api_name="/ask")
    got = client.predict(FOLLOW_UP, history=[{"question": DAVIS, "answer": first["answer"]}], api_name="/ask")
    assert got["question"] == FOLLOW_UP and got["searched_for"] == RESOLVED
    assert not got["abstained"] and "allowed to leave Pakistan" in got["answer"]
    alone = client.predict(FOLLOW_UP, api_name="/ask")
    assert alone["searched_for"] == FOLLOW_UP  # no history: searched as typed


@pytest.mark.parametrize("history, message", [
    ("not a list", "must be a list"),
    ([{"question": DAVIS}], "turn 1 must be"),
    ([{"question": DAVIS, "answer": 3}], "turn 1 must be"),
    ([{"question": DAVIS, "answer": "x" * 20_001}], "too long"),
    ([{"question": DAVIS, "answer": "a"}] * 51, "the limit is 50"),
    ([{"question": DAVIS, "answer": "a [1]", "citations": "doc"}], "citations must be a list"),
])
def test_ask_refuses_a_malformed_history_saying_why(client, history, message):
    got = client.predict(FOLLOW_UP, history=history, api_name="/ask")
    assert got["question"] == FOLLOW_UP and message in got["error"] and "answer" not in got


def test_chat_follow_up_is_searched_with_the_stored_conversation(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    _, saved, _ = _last(chat.respond(DAVIS, None, "extractive", 5, False))
    messages, saved2, _ = _last(chat.respond(FOLLOW_UP, saved, "extractive", 5, False))
    html = messages[-1]["content"]
    assert f"searched for: {RESOLVED}" in html and "rag-answered" in html
    assert "searched for" not in messages[1]["content"]  # the first question was searched as typed
    assert [t["searched_for"] for t in saved2["turns"]] == [DAVIS, RESOLVED]
    assert saved["turns"][0]["citations"][0]["doc_id"]  # what the next follow-up searches a little harder
    assert len(saved["turns"]) == 1  # the stored conversation that came in is not changed


def test_a_stored_conversation_that_is_not_one_starts_afresh(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    for junk in ({"messages": "x", "turns": []}, {"turns": [{"question": 1}]}, [1, 2], "text"):
        messages, saved, _ = _last(chat.respond(FOLLOW_UP, junk, "extractive", 5, False))
        assert len(messages) == 2 and saved["turns"][0]["searched_for"] == FOLLOW_UP


def test_export_is_the_conversation_in_markdown_with_its_citations(corpus_pipeline):
    chat = WebChat(corpus_pipeline)
    assert chat.export(None) == ""
    _, saved, _ = _last(chat.respond(DAVIS, None, "extractive", 5, False))
    _, saved, _ = _last(chat.respond(FOLLOW_UP, saved, "extractive", 5, False))
    md = chat.export(saved)
    assert md.startswith("# ") and f"## 1. {DAVIS}" in md and f"## 2. {FOLLOW_UP}" in md
    assert f"*searched for: {RESOLVED}*" in md and md.count("searched for") == 1
    assert "allowed to leave Pakistan" in md and "[1]" in md
    cited = saved["turns"][1]["citations"][0]
    assert f"- [1] **{cited['title']}**" in md and cited["source"] in md


def test_while_a_model_works_the_chat_shows_the_passages_it_reads(corpus_pipeline, tmp_path):
    from tests.conftest import make_settings
    from tests.servers import FakeServer, ollama_handler
    from rag.answer.answerer import Answerer

    srv = FakeServer(ollama_handler(lambda req: ["Biden announced it in April 2021 [1]."]))
    with srv:
        s = make_settings(corpus_pipeline.settings.store.data_dir, corpus_pipeline.settings.store.corpus_dir,
                          llm_backend="ollama", llm_base_url=srv.url, llm_model="fake", llm_retries=0)

        class Llm:  # the corpus pipeline with this answerer
            settings = s
            answerer = Answerer(s, corpus_pipeline.retriever, corpus_pipeline.answerer.extractive)

        chat = WebChat(Llm)
        steps = [m[-1]["content"] for m, _, _ in chat.respond(CORPUS_Q, None, "ollama", 5, False)]
    waiting = next(h for h in steps if "rag-progress" in h)
    assert steps.index(waiting) < next(i for i, h in enumerate(steps) if "April 2021" in h)  # before the first token
    read = re.search(r"reading (\d+) passages\u2026", waiting)
    assert read and 1 <= int(read.group(1)) <= 5 and waiting.count("<li>") == int(read.group(1))  # one title each
    assert "rag-answered" in steps[-1] and "rag-progress" not in steps[-1]
