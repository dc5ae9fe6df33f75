"""The LLM rewrite of a follow-up: the prompt's history bounded by tokens, the reply checked (a
question, not an answer, no citations, not longer than needed, nothing of the follow-up dropped),
and a rejected or failed rewrite replaced by the rules; with a scripted model behind a real
127.0.0.1 server and with the real SmolLM2 in process."""

from __future__ import annotations

import pytest

from rag.answer.answerer import Answerer
from rag.answer.prompt import template
from rag.domain import Exchange
from rag.retrieve.condenser import accept_condensed, condense_messages, read_reply
from tests.conftest import make_settings
from tests.servers import FakeServer, ollama_handler

DAVIS = Exchange("Which CIA contractor killed two pedestrians in Lahore?",
                 "Another notable incident was when a CIA contractor, Raymond Davis, killed two Pakistani pedestrians "
                 "in Lahore, Pakistan, due to reckless driving. [1]")
FOLLOW_UP = "How did he manage to leave Pakistan afterwards?"
RULES = "How did Raymond Davis manage to leave Pakistan afterwards?"


@pytest.mark.parametrize("reply, accepted", [
    ("How did Raymond Davis leave Pakistan after the Lahore killings?", True),
    ("Standalone question: How did Raymond Davis leave Pakistan?\nAnswer: he paid.", True),
    ('"How did the contractor Raymond Davis leave Pakistan afterwards"', True),
    ("Raymond Davis left Pakistan after blood money was paid.", False),  # an answer, not a question
    ("How did Raymond Davis leave Pakistan [1]?", False),  # cites passages
    ("", False),
    ("How did Raymond Davis leave? " + "And why? " * 30, False),  # rambles
    ("Which CIA contractor killed two pedestrians in Lahore?", False),  # dropped what was asked (leaving Pakistan)
])
def test_the_rewrite_is_checked(reply, accepted):
    out = accept_condensed(reply, FOLLOW_UP)
    assert (out is not None) == accepted
    if accepted:
        assert out.endswith("?") and "[" not in out and "\n" not in out


def test_a_rewrite_keeps_the_follow_ups_numbers_and_names():
    assert accept_condensed("What did the US pay Pakistan in 2011?", "And in 2012?") is None
    assert accept_condensed("What did the US pay Pakistan in 2012?", "And in 2012?") == "What did the US pay Pakistan in 2012?"
    assert accept_condensed("What did Obama say about Pakistan?", "What about Biden?") is None


def test_the_history_is_bounded_by_tokens_newest_first():
    words = len  # one token a character: a small budget
    history = [Exchange(f"Old question {i}?", f"Old answer {i}. Second sentence. Third sentence [2].") for i in range(30)]
    history.append(DAVIS)
    [message] = condense_messages(template("condense"), history, FOLLOW_UP, 400, words)
    text = message["content"]
    assert "Raymond Davis" in text and FOLLOW_UP in text and "Old question 0?" not in text
    assert "[1]" not in text and "Third sentence" not in text  # markers stripped, answers cut to two sentences
    assert len(text) - len(template("condense")) < 400 + len(FOLLOW_UP) + 100
    # the last turn goes in even when alone it is over the budget, cut
    [tight] = condense_messages(template("condense"), [DAVIS], FOLLOW_UP, 60, words)
    assert "Which CIA contractor" in tight["content"] and "\u2026" in tight["content"]


def test_reading_the_reply_stops_at_the_first_line():
    sent = []

    def deltas():
        for piece in ["How did Raymond", " Davis leave?", "\nAnswer: he", " paid blood money", " and more"]:
            sent.append(piece)
            yield piece

    assert read_reply(deltas(), FOLLOW_UP).strip().splitlines()[0] == "How did Raymond Davis leave?"
    assert len(sent) == 3  # the model was not read to its end


# --- through the answerer: a scripted model behind a real server -------------------------------------------


def _answerer(pipe, **overrides) -> Answerer:
    s = make_settings(pipe.settings.store.data_dir, pipe.settings.store.corpus_dir, llm_retries=0, llm_timeout_s=30, **overrides)
    return Answerer(s, pipe.retriever, pipe.answerer.extractive)


def _scripted(rewrite: str):
    """A model that rewrites with `rewrite` and answers by quoting passage [1]'s first sentence."""
    asked = []

    def reply(req):
        prompt = req["messages"][-1]["content"]
        asked.append(prompt)
        if "Rewritten question:" in prompt:
            return [rewrite]
        body = prompt.split("<passage>\n", 1)[1].split("\n</passage>", 1)[0]
        return [body.split(". ")[0].rstrip(".") + " [1]."]

    return FakeServer(ollama_handler(reply)), asked


def test_an_accepted_rewrite_is_what_is_searched(corpus_pipeline):
    srv, asked = _scripted("How did the CIA contractor Raymond Davis manage to leave Pakistan?")
    with srv:
        a = _answerer(corpus_pipeline, llm_backend="ollama", llm_base_url=srv.url, llm_model="fake")
        ans = a.ask(FOLLOW_UP, history=[DAVIS])
    assert ans.searched_for == "How did the CIA contractor Raymond Davis manage to leave Pakistan?"
    assert "Rewritten question:" in asked[0] and FOLLOW_UP in asked[0] and "Raymond Davis" in asked[0]
    assert ans.timings["condense_ms"] > 0


def test_a_rejected_rewrite_falls_back_to_the_rules(corpus_pipeline):
    srv, asked = _scripted("Raymond Davis left after blood money was paid [2].")
    with srv:
        a = _answerer(corpus_pipeline, llm_backend="ollama", llm_base_url=srv.url, llm_model="fake")
        ans = a.ask(FOLLOW_UP, history=[DAVIS])
    assert "Rewritten question:" in asked[0]
    assert ans.searched_for == RULES


def test_condense_llm_rewrites_for_the_extractive_answer_too(corpus_pipeline):
    srv, asked = _scripted("How did Raymond Davis get out of Pakistan afterwards?")
    with srv:
        a = _answerer(corpus_pipeline, llm_backend="ollama", llm_base_url=srv.url, llm_model="fake", conversation_condense="llm")
        ans = a.ask(FOLLOW_UP, backend="extractive", history=[DAVIS])
    assert ans.backend == "extractive" and len(asked) == 1  # the rewrite only
    assert ans.searched_for == "How did Raymond Davis get out of Pakistan afterwards?"


def test_a_question_without_a_cue_costs_no_model_call(corpus_pipeline):
    srv, asked = _scripted("What is the China-Pakistan Economic Corridor and Raymond Davis?")
    q = "What is the China-Pakistan Economic Corridor?"
    with srv:
        a = _answerer(corpus_pipeline, llm_backend="ollama", llm_base_url=srv.url, llm_model="fake")
        ans = a.ask(q, history=[DAVIS])
    assert ans.searched_for == q and not any("Rewritten question:" in p for p in asked)


def test_an_unreachable_model_falls_back_to_the_rules(corpus_pipeline):
    from tests.servers import free_port

    a = _answerer(corpus_pipeline, llm_backend="openai", llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_model="m")
    ans = a.ask(FOLLOW_UP, history=[DAVIS])
    assert ans.searched_for == RULES and ans.fallback  # the answer itself falls back too


# --- the real small model in process ---------------------------------------------------------------------


def test_smollm2_rewrite_is_used_only_when_it_passes_the_checks(corpus_pipeline, smol):
    """SmolLM2-135M tends to answer instead of rewriting: whatever it writes, what is searched is a
    checked rewrite or the rules' resolution, never its raw reply."""
    a = _answerer(corpus_pipeline, llm_backend="llamacpp", llm_model=str(smol), llm_threads=2, llm_max_tokens=48,
                  llm_context_tokens=2048)
    ans = a.ask(FOLLOW_UP, history=[DAVIS])
    assert ans.timings["condense_ms"] > 0
    assert ans.searched_for == RULES or accept_condensed(ans.searched_for, FOLLOW_UP) == ans.searched_for
