"""A conversation as clients hold it: earlier turns sent with a question (the `/ask` API, the web
chat's browser storage), checked before use, and exported as Markdown with its citations.

The server keeps no conversation: a client sends its earlier turns with each question, so what
comes in is untrusted and bounded here (number of turns, text lengths, types)."""

from __future__ import annotations

from rag.answer.answerer import QuestionError
from rag.citations import cited_numbers
from rag.config import Settings
from rag.domain import Answer, Exchange

MAX_ANSWER_CHARS = 20_000  # an earlier answer sent back (answers are a few sentences; this is generous)
MAX_CITATIONS = 50  # of an earlier turn (answers cite a handful)
EXCERPT_CHARS = 600  # of each cited passage, kept for the export


def exchanges(history: object, settings: Settings) -> list[Exchange]:
    """The earlier turns a client sent, oldest first, as Exchanges; QuestionError saying what is
    wrong otherwise. None or [] is no history. A turn may carry the `citations` its answer came
    with: the documents cited are where a follow-up may search harder (RAG_CONTINUITY_BOOST)."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise QuestionError('history must be a list of {"question": ..., "answer": ...} turns')
    most = settings.conversation.max_turns
    if len(history) > most:
        raise QuestionError(f"history has {len(history)} turns; the limit is {most} (setting RAG_CONVERSATION_MAX_TURNS)")
    out = []
    for i, turn in enumerate(history, 1):
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str) or not isinstance(turn.get("answer"), str):
            raise QuestionError(f'history turn {i} must be {{"question": text, "answer": text}}')
        if len(turn["question"]) > settings.answer.max_question_chars or len(turn["answer"]) > MAX_ANSWER_CHARS:
            raise QuestionError(f"history turn {i} is too long (question up to {settings.answer.max_question_chars} "
                                f"characters, answer up to {MAX_ANSWER_CHARS})")
        out.append(Exchange(turn["question"], turn["answer"], _documents(turn.get("citations"), turn["answer"], i)))
    return out


def _documents(citations: object, answer: str, i: int) -> tuple[str, ...]:
    """The documents a turn's answer cites by its [n] markers, in that order, from the `citations`
    it came back with (each with its "n" and "doc_id"); a turn sent without them has none."""
    if citations is None:
        return ()
    if not isinstance(citations, list) or len(citations) > MAX_CITATIONS:
        raise QuestionError(f"history turn {i}: citations must be a list of at most {MAX_CITATIONS} objects")
    by_n = {c["n"]: c.get("doc_id") for c in citations if isinstance(c, dict) and isinstance(c.get("n"), int)}
    ids = [by_n.get(n) for n in cited_numbers(answer)]
    return tuple(dict.fromkeys(d for d in ids if isinstance(d, str) and 0 < len(d) <= 200))


def record(answer: Answer) -> dict:
    """What the browser keeps of an answered turn: the exchange, what was searched, and the cited
    passages (shortened) for the export."""
    cited = set(cited_numbers(answer.answer))
    shown = [c for c in answer.citations if c.n in cited] if not answer.abstained else []
    return {
        "question": answer.question, "answer": answer.answer, "searched_for": answer.searched_for,
        "abstained": answer.abstained,
        "citations": [{"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": c.source, "section": c.section, "pages": c.pages,
                       "text": c.text if len(c.text) <= EXCERPT_CHARS else c.text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " \u2026"}
                      for c in shown],
    }


def to_markdown(turns: list[dict], title: str = "Conversation") -> str:
    """The conversation as Markdown: each question, what was searched when it differs, the answer
    with its [n] markers, and the passages it cites."""
    lines = [f"# {title}", ""]
    for i, t in enumerate(turns, 1):
        question = _one_line(t.get("question", ""))
        lines += [f"## {i}. {question}", ""]
        searched = _one_line(t.get("searched_for") or "")
        if searched and searched != question:
            lines += [f"*searched for: {searched}*", ""]
        lines += [str(t.get("answer", "")).strip(), ""]
        citations = t.get("citations") or []
        if citations:
            lines += ["Sources:", ""]
            for c in citations:
                where = ", ".join(x for x in (c.get("source"), c.get("pages")) if x)
                section = f" \u2014 {_one_line(c['section'])}" if c.get("section") and c.get("section") != c.get("title") else ""
                lines.append(f"- [{c.get('n')}] **{_one_line(c.get('title', ''))}**{section} ({where})")
                lines.append(f"  > {_one_line(c.get('text', ''))}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())
