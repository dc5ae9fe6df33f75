"""The evaluation: every eval question through the chat's code path, scored for retrieval,
citations, correctness, grounding, abstention and latency; reports, comparison and the CI gate.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import evidence_hit, first_hit_rank, hit_at, percentile, reciprocal_rank
from rag.citations import cited_numbers, strip_markers
from rag.language import content_words

ANSWERABLE = ("fact", "numeric", "multi", "why", "false_premise")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str
    answer: str | None
    must_contain: list[str]
    docs: list[str]
    evidence: list[str]

    @classmethod
    def from_row(cls, row: dict) -> Question:
        return cls(**{k: row.get(k) for k in cls.__dataclass_fields__})


def read_jsonl(path: Path, parse, what: str) -> list:
    """Each line of a JSONL file through `parse`; a malformed line is an error naming the line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(parse(json.loads(line)))
        except (json.JSONDecodeError, TypeError, KeyError) as e:
            raise ValueError(f"{path}:{n}: not {what} ({type(e).__name__}: {e})") from None
    return out


def load_questions(path: Path) -> list[Question]:
    """The eval set (JSONL); a malformed line is an error naming the line."""
    return read_jsonl(path, Question.from_row, "an eval question")


def split_sentences_with_citations(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the citation numbers that follow them."""
    parts = re.split(r"(?<=\])\s+|(?<=[.!?])\s+(?=[A-Z])", answer)
    out = []
    for p in parts:
        nums = cited_numbers(p)
        text = strip_markers(p)
        if text:
            out.append((text, nums))
    return out


def lexical_support(sentence: str, passages: list[str], threshold: float = 0.6) -> bool:
    """An independent check of grounding: most of the sentence's content words are in its passages."""
    words = set(content_words(sentence))
    if not words:
        return True
    have = set(content_words(" ".join(passages)))
    return len(words & have) / len(words) >= threshold


def score_question(q: Question, result: dict, ranked_texts: list[str]) -> dict:
    """Per-question metrics from the answer (as `rag ask --json` gives it) and the retrieval ranking."""
    answer = result.get("answer", "")
    abstained = bool(result.get("abstained"))
    citations = {c["n"]: c for c in result.get("citations", [])}
    cited = sorted(n for n in cited_numbers(answer) if n in citations)
    row: dict = {"id": q.id, "type": q.type, "abstained": abstained, "cited": cited}
    if q.type == "unanswerable":
        row["correct"] = abstained
    else:
        text = answer.lower()
        row["correct"] = (not abstained) and any(m.lower() in text for m in q.must_contain)
        rank = first_hit_rank(ranked_texts, q.evidence) if q.evidence else None
        row.update(rank=rank, hit1=hit_at(rank, 1), hit5=hit_at(rank, 5), rr=reciprocal_rank(rank, 10))
        if cited:
            row["cite_doc_precision"] = sum(citations[n]["source"] in q.docs for n in cited) / len(cited)
            row["cite_evidence_precision"] = sum(evidence_hit(citations[n]["text"], q.evidence) for n in cited) / len(cited)
            row["cite_doc_recall"] = len({citations[n]["source"] for n in cited} & set(q.docs)) / max(1, len(q.docs))
            row["cite_evidence_recall"] = float(any(evidence_hit(citations[n]["text"], q.evidence) for n in cited))
    sentences = split_sentences_with_citations(answer) if not abstained else []
    if sentences:
        row["lexical_supported"] = sum(
            lexical_support(s, [citations[n]["text"] for n in nums if n in citations]) for s, nums in sentences
        ) / len(sentences)
    grounding = result.get("grounding")
    if grounding and grounding.get("sentences") and not abstained:
        row["checker_supported"] = grounding.get("supported_fraction")
    return row


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def summarize(rows: list[dict], timings: dict[str, list[float]]) -> dict:
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    with_evidence = [r for r in answerable if "rank" in r]
    by_type = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r["correct"])
    summary = {
        "questions": len(rows),
        "retrieval": {
            "hit@1": _mean(with_evidence, "hit1"), "hit@5": _mean(with_evidence, "hit5"), "mrr@10": _mean(with_evidence, "rr"),
        },
        "citations": {
            "doc_precision": _mean(answerable, "cite_doc_precision"),
            "evidence_precision": _mean(answerable, "cite_evidence_precision"),
            "doc_recall": _mean(answerable, "cite_doc_recall"),
            "evidence_recall": _mean(answerable, "cite_evidence_recall"),
        },
        "answers": {
            "answerable": len(answerable),
            "correctness": round(sum(r["correct"] for r in answerable) / max(1, len(answerable)), 4),
            "by_type": {t: round(sum(v) / len(v), 4) for t, v in sorted(by_type.items())},
        },
        "grounding": {
            "supported_sentences": _mean(answerable, "checker_supported"),
            "lexical_supported_sentences": _mean(answerable, "lexical_supported"),
        },
        "abstention": {
            "unanswerable": len(unanswerable),
            "correct_abstention": round(sum(r["abstained"] for r in unanswerable) / max(1, len(unanswerable)), 4),
            "false_abstention": round(sum(r["abstained"] for r in answerable) / max(1, len(answerable)), 4),
        },
        "latency_ms": {
            stage: {"p50": round(percentile(v, 0.5), 1), "p95": round(percentile(v, 0.95), 1)} for stage, v in timings.items()
        },
    }
    return summary


def run_eval(pipeline, questions: list[Question], k: int | None = None, backend: str | None = None, progress=None) -> tuple[list[dict], dict]:
    """Answer and score every question; returns (per-question rows, summary)."""
    rows, timings = [], defaultdict(list)
    for i, q in enumerate(questions):
        t0 = time.perf_counter()
        answer = pipeline.answerer.ask(q.question, k, backend=backend)
        total = (time.perf_counter() - t0) * 1000
        result = answer.to_dict()
        ranked = [p.text for p in pipeline.retriever.retrieve(q.question, 10).passages]
        row = score_question(q, result, ranked)
        row.update(question=q.question, answer=result["answer"], backend=result["backend"],
                   citations=[{k2: c[k2] for k2 in ("n", "source", "section", "score")} for c in result["citations"]],
                   grounding=result.get("grounding"), timings={**result["timings"], "total_ms": round(total, 1)},
                   fallback=result.get("fallback"))
        rows.append(row)
        for stage, ms in row["timings"].items():
            timings[stage].append(ms)
        if progress:
            progress(i + 1, len(questions))
    return rows, summarize(rows, timings)


# --- reports -----------------------------------------------------------------

def write_report(out: Path, rows: list[dict], summary: dict, meta: dict, turns: list[dict] | None = None) -> None:
    """results.jsonl, summary.json/.md/.png, and conversations.jsonl (one row per turn) when given."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    if turns:
        with open(out / "conversations.jsonl", "w", encoding="utf-8") as f:
            for r in turns:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps({"meta": meta, **summary}, indent=2), encoding="utf-8")
    chart = _chart(out / "summary.png", rows, summary)
    (out / "summary.md").write_text(markdown(summary, meta, chart), encoding="utf-8")


def markdown(summary: dict, meta: dict, chart: str | None = None) -> str:
    lines = [f"# Evaluation: {meta.get('dataset', '')}", "",
             f"backend `{meta.get('backend')}`, k={meta.get('k')}, {summary['questions']} questions, {meta.get('when', '')}", ""]
    lines += ["| group | metric | value |", "|---|---|---|"]
    for group in ("retrieval", "citations", "answers", "grounding", "abstention"):
        for name, value in summary[group].items():
            if isinstance(value, dict):
                for t, v in value.items():
                    lines.append(f"| {group} | {name}: {t} | {_fmt(v)} |")
            else:
                lines.append(f"| {group} | {name} | {_fmt(value)} |")
    for stage, v in summary["latency_ms"].items():
        lines.append(f"| latency | {stage} p50 / p95 | {v['p50']:.0f} / {v['p95']:.0f} ms |")
    if summary.get("conversations"):
        from eval.conversation_runner import markdown_lines

        lines += markdown_lines(summary["conversations"])
    if chart:
        lines += ["", f"![correctness by type and latency]({chart})"]
    return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _chart(path: Path, rows: list[dict], summary: dict) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    types = summary["answers"]["by_type"]
    a.bar(list(types), list(types.values()), color="#4a7bd0")
    a.set_ylim(0, 1)
    a.set_title("correct by question type")
    a.tick_params(axis="x", rotation=30)
    b.hist([r["timings"]["total_ms"] for r in rows], bins=20, color="#d08a4a")
    b.set_title("answer latency (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path.name


# --- figures and gate ----------------------------------------------------------

def flatten(summary: dict, prefix: str = "") -> dict[str, float]:
    """A summary's figures by dotted name ("retrieval.hit@5"), its `meta` left out."""
    out = {}
    for key, value in summary.items():
        if key == "meta":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def check_gate(summary: dict, thresholds: dict) -> list[str]:
    """Failures: metrics below their minimum (or above their maximum) in the thresholds file."""
    flat = flatten(summary)
    failures = []
    for key, bound in thresholds.get("min", {}).items():
        value = flat.get(key)
        if value is None or value < bound:
            failures.append(f"{key} = {value} is below the minimum {bound}")
    for key, bound in thresholds.get("max", {}).items():
        value = flat.get(key)
        if value is None or value > bound:
            failures.append(f"{key} = {value} is above the maximum {bound}")
    return failures
