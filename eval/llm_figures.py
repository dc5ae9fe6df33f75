"""Measure the llamacpp backend on the eval set: answered-correct rate, supported sentences, abstention on
unanswerable questions, time to first token and total answer time (p50), the figures behind the LLM docs.

    RAG_DATA_DIR=... .venv/bin/python -m eval.llm_figures --model /path/to/model.gguf [--every 2] [--out eval/reports]

Writes llm_llamacpp.json (every answer, its checks and timings) and llm_llamacpp.md (the figures).
Uses the index in the configured data dir (ingesting the corpus first if there is none).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

from eval import ROOT
from rag.answer.grounding import check, support_text
from rag.config import Settings
from rag.domain import Answer
from rag.wiring import Pipeline

_MARK = re.compile(r"\s*\[\d+(?:\s*[,;-]\s*\d+)*\]")


def select(questions: list[dict], every: int, limit: int | None) -> list[dict]:
    """A fixed, deterministic subset: every `every`-th question from the first, at most `limit`."""
    chosen = questions[::every]
    return chosen[:limit] if limit else chosen


def is_correct(q: dict, text: str, abstained: bool) -> bool:
    """Did it answer (not abstain) with any of the must_contain strings, case-insensitive?"""
    if abstained or q["type"] == "unanswerable":
        return False
    text = " ".join(_MARK.sub("", text).lower().split())
    return any(m.lower() in text for m in q["must_contain"])


def strict_version(answer: Answer, settings: Settings) -> tuple[str, bool]:
    """What strict mode (RAG_STRICT=true) makes of this answer: unsupported sentences dropped, and an
    abstention when none is left. Same checker, same passages, so one run measures both modes."""
    if answer.abstained:
        return answer.answer, True
    sources = [support_text(c.title, c.section, c.text, c.authors) for c in answer.citations]
    g = check(answer.answer, sources, strict=True, min_coverage=settings.answer.citation_min_coverage, question=answer.question)
    return g.text, g.abstain


def ask(pipe: Pipeline, question: str) -> tuple[Answer, float, float]:
    """The answer, seconds to its first text, seconds to the finished answer."""
    t0 = time.perf_counter()
    first = None
    answer = None
    for item in pipe.answerer.stream(question, backend="llamacpp"):
        if isinstance(item, Answer):
            answer = item
        elif first is None and item:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return answer, first if first is not None else total, total


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def p50(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 2) if xs else None


def figures(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    generated = [r for r in rows if r["generated"]]
    checked = [s for r in rows if not r["abstained"] for s in r["grounding"]]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answered_correct_rate": round(sum(r["correct"] for r in answerable) / len(answerable), 3) if answerable else None,
        "strict_answered_correct_rate": round(sum(r["strict_correct"] for r in answerable) / len(answerable), 3) if answerable else None,
        "supported_sentence_fraction": round(sum(s["supported"] for s in checked) / len(checked), 3) if checked else None,
        "checked_sentences": len(checked),
        "abstention_rate_unanswerable": round(sum(r["abstained"] for r in unanswerable) / len(unanswerable), 3) if unanswerable else None,
        "abstention_rate_answerable": round(sum(r["abstained"] for r in answerable) / len(answerable), 3) if answerable else None,
        "strict_abstention_rate_unanswerable": round(sum(r["strict_abstained"] for r in unanswerable) / len(unanswerable), 3) if unanswerable else None,
        "strict_abstention_rate_answerable": round(sum(r["strict_abstained"] for r in answerable) / len(answerable), 3) if answerable else None,
        "answers_with_citations": round(sum(bool(r["cited"]) for r in rows if not r["abstained"]) / max(1, sum(not r["abstained"] for r in rows)), 3),
        "fallbacks": sum(r["fallback"] is not None for r in rows),
        "fallbacks_correct": sum(r["fallback"] is not None and r["correct"] for r in answerable),
        "llm_generated": len(generated),
        "ttft_p50_s": p50([r["ttft_s"] for r in rows]),
        "total_p50_s": p50([r["total_s"] for r in rows]),
        "ttft_p50_s_generated": p50([r["ttft_s"] for r in generated]),
        "total_p50_s_generated": p50([r["total_s"] for r in generated]),
    }


def markdown(report: dict) -> str:
    f, m = report["figures"], report["setup"]
    by_type: dict[str, list[dict]] = {}
    for r in report["answers"]:
        by_type.setdefault(r["type"], []).append(r)
    lines = [
        "# LLM answers: llamacpp backend on the eval set",
        "",
        f"Model `{m['model']}`, {m['questions']}, top_k {m['top_k']}, context {m['context_tokens']} tokens, "
        f"max answer {m['max_tokens']} tokens, temperature {m['temperature']}, strict {m['strict']}, "
        f"threads {m['threads']}, on {m['machine']}, load average {m['load_average'][0]} -> {m['load_average'][1]}. "
        f"Run {m['started']}, {m['wall_minutes']} minutes.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| answered correctly (answerable; contains a must_contain string, did not abstain) | {f['answered_correct_rate']} of {f['answerable']} |",
        f"| supported sentences (citation checker, non-abstained answers) | {f['supported_sentence_fraction']} of {f['checked_sentences']} |",
        f"| abstained on unanswerable questions | {f['abstention_rate_unanswerable']} of {f['unanswerable']} |",
        f"| abstained on answerable questions | {f['abstention_rate_answerable']} |",
        f"| answers carrying citations | {f['answers_with_citations']} |",
        f"| fallbacks to extractive (model failed, or restated the question) / of them answered correctly | {f['fallbacks']} / {f.get('fallbacks_correct', '-')} |",
        f"| answers not written by the model (abstained before generation, or the extractive fallback) | {f['questions'] - f['llm_generated']} of {f['questions']} |",
        f"| strict mode: answered correctly / abstained on unanswerable / abstained on answerable | "
        f"{f['strict_answered_correct_rate']} / {f['strict_abstention_rate_unanswerable']} / {f['strict_abstention_rate_answerable']} |",
        f"| time to first token, p50 (all / LLM-generated only) | {f['ttft_p50_s']} s / {f['ttft_p50_s_generated']} s |",
        f"| total answer time, p50 (all / LLM-generated only) | {f['total_p50_s']} s / {f['total_p50_s_generated']} s |",
        "",
        "Times are from the question to the first streamed text and to the finished, checked answer (retrieval included);",
        "'all' includes questions abstained before generation (no LLM call). Strict-mode figures apply strict mode",
        "(unsupported sentences dropped, abstain when none is left) to the same answers with the same checker.",
        "",
        "| type | n | correct | abstained |",
        "|---|---|---|---|",
    ]
    for t, rs in sorted(by_type.items()):
        lines.append(f"| {t} | {len(rs)} | {sum(r['correct'] for r in rs)} | {sum(r['abstained'] for r in rs)} |")
    lines += ["", "## Answers", ""]
    for r in report["answers"]:
        mark = "abstained" if r["abstained"] else ("correct" if r["correct"] else "wrong")
        sup = f"{sum(s['supported'] for s in r['grounding'])}/{len(r['grounding'])} supported" if r["grounding"] else "-"
        lines.append(f"- **{r['id']}** ({r['type']}, {mark}, {sup}, {r['total_s']} s) {r['question']}  ")
        lines.append(f"  {r['answer'][:400]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.llm_figures", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="GGUF file (default: setting RAG_LLM_MODEL)")
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--every", type=int, default=1, help="take every N-th question (a fixed subset, for slow machines)")
    p.add_argument("--limit", type=int, default=None, help="at most this many questions")
    p.add_argument("--ids", default=None, help="only these question ids, comma-separated")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    p.add_argument("--name", default="llm_llamacpp", help="report file name, without extension")
    p.add_argument("--rewrite-md", action="store_true", help="only rewrite the .md from an existing .json")
    args = p.parse_args(argv)
    if args.rewrite_md:
        report = json.loads((args.out / f"{args.name}.json").read_text(encoding="utf-8"))
        report["figures"] = figures(report["answers"])
        (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        (args.out / f"{args.name}.md").write_text(markdown(report), encoding="utf-8")
        return 0

    settings = Settings()
    updates = {"llm_backend": "llamacpp"}
    if args.model:
        updates["llm_model"] = args.model
    settings = settings.updated(**updates)
    if not settings.llm.model:
        print("llm_figures: give --model PATH.gguf or set RAG_LLM_MODEL", file=sys.stderr)
        return 2
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = select(questions, max(1, args.every), args.limit)
    if args.ids:
        wanted = set(args.ids.split(","))
        chosen = [q for q in questions if q["id"] in wanted]
    pipe = Pipeline(settings)
    if not settings.manifest_path.exists():
        print(f"llm_figures: no index in {settings.store.data_dir}; ingesting {settings.store.corpus_dir}", file=sys.stderr)
        pipe.ingestor.ingest()
    pipe.warm()
    llm = pipe.answerer.llm("llamacpp")  # load the model before the clock starts
    for _ in llm.stream("Reply with the word ready."):
        pass

    started = time.strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()[1]
    t_run = time.perf_counter()
    rows = []
    for i, q in enumerate(chosen, 1):
        answer, ttft, total = ask(pipe, q["question"])
        strict_text, strict_abstained = strict_version(answer, settings)
        row = {
            "id": q["id"], "type": q["type"], "question": q["question"], "answer": answer.answer,
            "abstained": answer.abstained, "correct": is_correct(q, answer.answer, answer.abstained),
            "strict_abstained": strict_abstained, "strict_correct": is_correct(q, strict_text, strict_abstained),
            "backend": answer.backend, "fallback": answer.fallback, "generated": "first_token_ms" in answer.timings,
            "cited": sorted({n for s in (answer.grounding or []) for n in s.citations}),
            "grounding": [{"sentence": s.sentence, "citations": list(s.citations), "supported": s.supported, "score": round(s.score, 3)}
                          for s in (answer.grounding or [])],
            "ttft_s": round(ttft, 2), "total_s": round(total, 2),
        }
        rows.append(row)
        state = "abstain" if row["abstained"] else ("ok" if row["correct"] else "--")
        print(f"[{i}/{len(chosen)}] {q['id']} {q['type']:<13} {state:<7} ttft {ttft:5.1f}s total {total:5.1f}s  {answer.answer[:90]!r}", flush=True)

    subset = f"{len(chosen)} of {len(questions)} questions" + (f" (every {_ordinal(args.every)} one, from the first)" if args.every > 1 else "")
    if args.limit or args.ids:
        subset += " (limited)"
    report = {
        "setup": {
            "model": Path(settings.llm.model).name, "questions": subset, "top_k": settings.retrieval.top_k,
            "context_tokens": settings.llm.context_tokens, "max_tokens": settings.llm.max_tokens,
            "temperature": settings.llm.temperature, "strict": settings.answer.strict, "threads": settings.llm.threads or "default",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores (shared)", "started": started,
            "wall_minutes": round((time.perf_counter() - t_run) / 60, 1),
            # Other work on the machine slows generation: the 5-minute load average before and after.
            "load_average": [round(load_before, 1), round(os.getloadavg()[1], 1)],
        },
        "figures": figures(rows),
        "answers": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / f"{args.name}.md").write_text(markdown(report), encoding="utf-8")
    print(json.dumps(report["figures"], indent=1))
    print(f"wrote {args.out / (args.name + '.json')} and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
