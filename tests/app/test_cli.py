"""The `rag` command end to end, in fresh processes, over the ingested corpus."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

KEYS = {"question", "answer", "abstained", "backend", "citations", "timings"}
CITATION_KEYS = {"n", "source", "title", "section", "text", "score"}


def rag(pipe, *args, stdin=None):
    env = {**os.environ, "RAG_DATA_DIR": str(pipe.settings.store.data_dir), "RAG_CORPUS_DIR": str(pipe.settings.store.corpus_dir),
           "RAG_LLM_BACKEND": "extractive"}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, input=stdin)


def check_contract(out: dict):
    assert KEYS <= set(out)
    assert isinstance(out["answer"], str) and isinstance(out["abstained"], bool)
    assert set(out["timings"]) >= {"retrieve_ms", "answer_ms"}
    for i, c in enumerate(out["citations"], 1):
        assert CITATION_KEYS <= set(c)
        assert c["n"] == i
        assert isinstance(c["score"], float)


def test_ask_json_cites_the_supporting_sentence(corpus_pipeline):
    r = rag(corpus_pipeline, "ask", "--json", "When did President Biden announce the unconditional withdrawal of US forces from Afghanistan?")
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1  # exactly one JSON object
    out = json.loads(lines[0])
    check_contract(out)
    assert not out["abstained"] and out["backend"] == "extractive"
    assert "April 2021" in out["answer"]
    cited = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", out["answer"])}
    assert cited and min(cited) == 1
    # the passage behind the citation holds the sentence the answer quotes
    supporting = [c for c in out["citations"] if c["n"] in cited and "April 2021" in c["text"]]
    assert supporting


def test_ask_batch_answers_in_order_and_reports_bad_lines(corpus_pipeline, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        json.dumps({"question": "Who wrote the paper that applies dependency theory?", "id": 1}) + "\n"
        + "not json\n"
        + json.dumps({"question": "   "}) + "\n"
        + json.dumps({"question": "What is the best recipe for chocolate cake?"}) + "\n",
        encoding="utf-8",
    )
    r = rag(corpus_pipeline, "ask", "--json", "--batch", str(batch))
    rows = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    assert len(rows) == 4
    check_contract(rows[0])
    assert "Aslam" in rows[0]["answer"] or any("Aslam" in c["text"] for c in rows[0]["citations"][:3])
    assert "error" in rows[1] and rows[1]["line"] == 2
    assert "empty" in rows[2]["error"]
    check_contract(rows[3])
    assert rows[3]["abstained"] is True
    assert r.returncode == 1  # some lines failed


def test_ask_text_output_lists_citations(corpus_pipeline):
    r = rag(corpus_pipeline, "ask", "What is dependency theory?")
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout and ".txt" in r.stdout


@pytest.mark.parametrize("question, message", [("", "empty"), ("   \t ", "empty"), ("why? " * 1000, "limit")])
def test_bad_questions_get_clear_errors(corpus_pipeline, question, message):
    r = rag(corpus_pipeline, "ask", "--json", question)
    assert r.returncode == 2
    assert message in r.stderr
    assert json.loads(r.stdout)["error"]


def test_status_reports_the_index(corpus_pipeline):
    r = rag(corpus_pipeline, "status", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["documents"] == 5
    assert info["chunks"] == corpus_pipeline.store.count()
    assert info["embedding_model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert info["store_mode"] == "embedded"


def test_ask_without_an_index_says_what_to_do(tmp_path):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "nothing")}
    r = subprocess.run([sys.executable, "-m", "rag", "ask", "anything?"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "rag ingest" in r.stderr


def test_batch_lines_sharing_a_conversation_are_its_turns_in_order(corpus_pipeline, tmp_path):
    davis, follow = "Which CIA contractor killed two pedestrians in Lahore?", "How did he manage to leave Pakistan afterwards?"
    batch = tmp_path / "conv.jsonl"
    batch.write_text("\n".join(json.dumps(row) for row in [
        {"question": davis, "conversation": "c1"},
        {"question": "Where was Osama bin Laden killed?", "conversation": "c2"},
        {"question": follow, "conversation": "c1"},  # c2's turn in between does not belong to c1
        {"question": "In which year?", "conversation": "c2"},
        {"question": follow},  # no conversation: asked alone, as today
        {"question": follow, "conversation": ["c1"]},
    ]) + "\n", encoding="utf-8")
    r = rag(corpus_pipeline, "ask", "--json", "--batch", str(batch))
    rows = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    assert [row.get("conversation") for row in rows[:5]] == ["c1", "c2", "c1", "c2", None]
    for row in rows[:5]:
        check_contract(row)
    assert rows[0]["searched_for"] == davis
    assert rows[2]["searched_for"] == "How did Raymond Davis manage to leave Pakistan afterwards?"
    assert "allowed to leave Pakistan" in rows[2]["answer"]
    assert rows[3]["searched_for"] == "In which year was Osama bin Laden killed?" and "2011" in rows[3]["answer"]
    assert rows[4]["searched_for"] == follow and "conversation" not in rows[4]
    assert rows[5]["line"] == 6 and "conversation" in rows[5]["error"] and r.returncode == 1


def test_ask_says_what_it_searched_for_a_misspelt_question(corpus_pipeline):
    r = rag(corpus_pipeline, "ask", "Hi! Which CIA contractor killed two pedestirans in Lahore? Thanks!")
    assert r.returncode == 0, r.stderr
    assert "(searched for: Which CIA contractor killed two pedestrians in Lahore?)" in r.stdout
    assert "Raymond Davis" in r.stdout
    plain = rag(corpus_pipeline, "ask", "Which CIA contractor killed two pedestrians in Lahore?")
    assert "searched for" not in plain.stdout  # searched as typed: nothing to say


def test_chat_keeps_the_conversation_until_new(corpus_pipeline):
    r = rag(corpus_pipeline, "chat", stdin="Which CIA contractor killed two pedestrians in Lahore?\n"
            "How did he manage to leave Pakistan afterwards?\n/new\nHow did he manage to leave Pakistan afterwards?\n")
    assert r.returncode == 0, r.stderr
    before, after = r.stdout.split("(new conversation)")
    assert "(searched for: How did Raymond Davis manage to leave Pakistan afterwards?)" in before
    assert "allowed to leave Pakistan" in before
    assert "searched for" not in after  # a new conversation: asked as typed


def test_while_a_model_works_the_cli_says_how_many_passages_it_reads(corpus_pipeline):
    from tests.servers import FakeServer, ollama_handler

    with FakeServer(ollama_handler(lambda req: ["Biden announced it in April 2021 [1]."])) as srv:
        env = {**os.environ, "RAG_DATA_DIR": str(corpus_pipeline.settings.store.data_dir),
               "RAG_CORPUS_DIR": str(corpus_pipeline.settings.store.corpus_dir), "RAG_LLM_BACKEND": "ollama",
               "RAG_LLM_BASE_URL": srv.url, "RAG_LLM_MODEL": "fake", "RAG_LLM_RETRIES": "0"}
        r = subprocess.run([sys.executable, "-m", "rag", "ask", "When did President Biden announce the withdrawal from Afghanistan?"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        js = subprocess.run([sys.executable, "-m", "rag", "ask", "--json", "When did President Biden announce the withdrawal?"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    read = re.search(r"reading (\d+) passages\u2026", r.stderr)
    assert read and 1 <= int(read.group(1)) <= 5  # the passages the model is given (top_k 5 at most)
    assert "reading" not in r.stdout and "April 2021" in r.stdout
    assert "reading" not in js.stderr  # --json: nothing but the object, no chatter
