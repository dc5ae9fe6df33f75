"""Conversations asked turn by turn (issue #16): each turn through Answerer.ask with the earlier
(question, answer) exchanges as history, each later turn once more alone in its standalone wording,
both scored like single eval questions, and summed up as first-turn, follow-up, standalone,
topic-change and absent-detail figures (docs/evaluation.md, "Conversations").
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from eval.conversations import FOLLOW_UP, Conversation
from eval.metrics import percentile
from eval.runner import Question, score_question
from rag.retrieve.conversation import continued_documents

def run_conversations(pipeline, conversations: Sequence[Conversation], k: int | None = None, backend: str | None = None,
                      progress=None) -> tuple[list[dict], dict]:
    """Ask each conversation turn by turn, the earlier (question, answer) exchanges as history, and
    each later turn once more alone in its standalone form; one row per turn (the alone run under
    "alone") and the summary."""
    from rag.domain import Exchange

    rows = []
    for n, conv in enumerate(conversations, 1):
        history: list[Exchange] = []
        for i, turn in enumerate(conv.turns, 1):
            row, answer = _ask(pipeline, turn.question, turn.question.question, tuple(history), k, backend)
            row.update(conversation=conv.id, turn=i, kind=turn.kind, standalone=turn.standalone)
            if i > 1:
                alone, _ = _ask(pipeline, turn.question, turn.standalone, (), k, backend)
                row["alone"] = {key: alone.get(key) for key in ("correct", "abstained", "rank", "hit5", "rr", "answer", "searched_for")}
            rows.append(row)
            history.append(Exchange.of(turn.question.question, answer))
        if progress:
            progress(n, len(conversations))
    return rows, summarize_conversations(rows)


def _ask(pipeline, q: Question, text: str, history: tuple, k: int | None, backend: str | None):
    """The turn's scored row, and its Answer (the next turn's history)."""
    t0 = time.perf_counter()
    answer = pipeline.answerer.ask(text, k, backend=backend, history=history) if history else pipeline.answerer.ask(text, k, backend=backend)
    total = (time.perf_counter() - t0) * 1000
    result = answer.to_dict()
    searched = getattr(answer, "searched_for", None) or text
    queries = searched_queries(pipeline, text, history, searched)
    ranked = [p.text for p in pipeline.retriever.retrieve_all(queries, 10, prefer=continued_documents(history, text, searched)).passages]
    row = score_question(q, result, ranked)
    row.update(question=text, searched_for=searched, answer=result["answer"], backend=result["backend"],
               grounding=result.get("grounding"), fallback=result.get("fallback"),
               timings={**result["timings"], "total_ms": round(total, 1)})
    return row, answer


def searched_queries(pipeline, question: str, history: Sequence, searched_for: str) -> tuple[str, ...]:
    """The wordings the answerer searched for this turn, for the evidence ranking: the question
    alone, or the rules' resolved query with the question as typed (when the rules wrote it), or an
    LLM's rewrite beside the question as typed (rag/answer/answerer.py, Answerer._standalone)."""
    if not history:
        return (question,)
    followups = getattr(pipeline.answerer, "followups", None)
    if followups is not None:
        rules = followups.standalone(question, list(history)[-pipeline.settings.conversation.max_turns:])
        if rules.query == searched_for:
            return tuple(rules.queries)
    return (question,) if searched_for == question else (searched_for, question)


def _rate(values: list) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _p(values: list[float]) -> dict | None:
    return {"p50": round(percentile(values, 0.5), 1), "p95": round(percentile(values, 0.95), 1)} if values else None


def summarize_conversations(rows: list[dict]) -> dict:
    """The conversation figures (defined in docs/evaluation.md, "Conversations"):
    - first: turn 1 of each conversation (asked with no history);
    - followup: the pronoun, ellipsis and what_about turns, asked with the history, and `standalone`:
      the same turns asked alone in their standalone wording; `gap` is followup minus standalone;
    - topic_change: `robustness` is the share whose correctness and evidence hit@5 equal those of the
      same question asked alone; `untouched` the share searched exactly as typed;
    - absent: the share that abstained (alone: asked in standalone form); false_premise: correct."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    first = [r for r in by_kind["first"] if r["type"] != "unanswerable"]
    follow = [r for k in FOLLOW_UP for r in by_kind[k]]
    alone = [r["alone"] for r in follow]
    topic = by_kind["topic_change"]
    answered = [r for r in rows if r["type"] != "unanswerable" and not r["abstained"]]
    summary = {
        "conversations": len({r["conversation"] for r in rows}), "turns": len(rows),
        "first": {"turns": len(first), "hit@5": _rate([r.get("hit5") for r in first]), "correctness": _rate([r["correct"] for r in first])},
        "followup": {"turns": len(follow), "hit@5": _rate([r.get("hit5") for r in follow]), "mrr@10": _rate([r.get("rr") for r in follow]),
                     "correctness": _rate([r["correct"] for r in follow]),
                     "resolved": _rate([r["searched_for"] != r["question"] for r in follow]),
                     "by_kind": {k: _rate([r["correct"] for r in by_kind[k]]) for k in FOLLOW_UP if by_kind[k]}},
        "standalone": {"turns": len(alone), "hit@5": _rate([a.get("hit5") for a in alone]), "mrr@10": _rate([a.get("rr") for a in alone]),
                       "correctness": _rate([a["correct"] for a in alone])},
        "topic_change": {"turns": len(topic), "robustness": _rate([_same(r) for r in topic]),
                         "untouched": _rate([r["searched_for"] == r["question"] for r in topic]),
                         "correctness": _rate([r["correct"] for r in topic]), "alone_correctness": _rate([r["alone"]["correct"] for r in topic])},
        "absent": {"turns": len(by_kind["absent"]), "abstention": _rate([r["abstained"] for r in by_kind["absent"]]),
                   "alone_abstention": _rate([r["alone"]["abstained"] for r in by_kind["absent"]])},
        "false_premise": {"turns": len(by_kind["false_premise"]), "correctness": _rate([r["correct"] for r in by_kind["false_premise"]])},
        "grounding": {"supported_sentences": _rate([r.get("checker_supported") for r in answered])},
    }
    for part in ("hit@5", "correctness"):
        a, b = summary["followup"][part], summary["standalone"][part]
        summary.setdefault("gap", {})[part] = None if a is None or b is None else round(a - b, 4)
    later = [r for r in rows if r["turn"] > 1]
    summary["latency_ms"] = {stage: p for stage, p in (("condense_ms", _p([r["timings"]["condense_ms"] for r in later if "condense_ms" in r["timings"]])),
                                                        ("total_ms", _p([r["timings"]["total_ms"] for r in rows]))) if p}
    return summary


def _same(row: dict) -> bool:
    """Does a turn score as its alone run did: the same correctness and, with evidence, the same hit@5?"""
    alone = row["alone"]
    return row["correct"] == alone["correct"] and row.get("hit5") == alone.get("hit5")


# --- reports -----------------------------------------------------------------------------------

COLUMNS = [("convs", ("conversations",)), ("first hit@5", ("first", "hit@5")), ("first correct", ("first", "correctness")),
           ("follow-up hit@5", ("followup", "hit@5")), ("standalone hit@5", ("standalone", "hit@5")),
           ("follow-up correct", ("followup", "correctness")), ("standalone correct", ("standalone", "correctness")),
           ("topic change robust", ("topic_change", "robustness")), ("absent abstains", ("absent", "abstention")),
           ("false premise", ("false_premise", "correctness")), ("condense p50 ms", ("latency_ms", "condense_ms", "p50"))]


def _get(summary: dict, path: tuple[str, ...]):
    for key in path:
        summary = summary.get(key) if isinstance(summary, dict) else None
    return summary


def table(summaries: dict[str, dict]) -> str:
    """One row per corpus with conversations (summaries[name]["conversations"]) and the worst value of each rate."""
    runs = {name: s["conversations"] for name, s in summaries.items() if s.get("conversations")}
    if not runs:
        return ""
    lines = ["| corpus | " + " | ".join(c for c, _ in COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for name, s in runs.items():
        lines.append(f"| {name} | " + " | ".join(_cell(_get(s, p), c) for c, p in COLUMNS) + " |")
    rates = [c for c, _ in COLUMNS if c != "convs" and "ms" not in c]  # the worst of a count or a time means nothing
    worst = [min((v for v in (_get(s, p) for s in runs.values()) if v is not None), default=None) if c in rates else None
             for c, p in COLUMNS]
    lines.append("| **worst** | " + " | ".join(f"**{_cell(v, c)}**" if v is not None else "" for v, (c, _) in zip(worst, COLUMNS)) + " |")
    return "\n".join(lines)


def _cell(v, column: str) -> str:
    return "–" if v is None else str(v) if column == "convs" else f"{v:.1f}" if "ms" in column else f"{v:.3f}"


def markdown_lines(summary: dict) -> list[str]:
    """The conversation figures as rows of a report's metric table."""
    def walk(d: dict, prefix: str):
        for key, value in d.items():
            if isinstance(value, dict):
                yield from walk(value, f"{prefix}{key}.")
            elif value is not None:
                shown = value if isinstance(value, int) else f"{value:.1f} ms" if "_ms." in prefix else f"{value:.3f}"
                yield f"| conversations | {prefix}{key} | {shown} |"
    return list(walk(summary, ""))
