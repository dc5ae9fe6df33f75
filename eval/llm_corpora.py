"""The LLM backend on every eval corpus: the per-corpus figures of `rag eval`, and what the yes/no judge
(RAG_LLM_JUDGE) would change, measured in one run.

    RAG_LLM_MODEL=/path/model.gguf .venv/bin/python -m eval.llm_corpora --split test [--every 2] [--judge-only]

Each question is answered with the judge off (the answer the user gets by default); where the
answerability gate lets the question through, the judge is asked separately on the same evidence. The
"judge on" figures are the same answers with an abstention wherever the judge said no: generation is
deterministic (temperature 0) and does not depend on the verdict, so one run measures both settings.
`--judge-only` skips answering: the verdicts alone, cheap enough to choose the setting on dev.
Writes eval/reports/llm_corpora_<split>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from eval import ROOT
from eval.corpora import corpora, corpus_settings
from eval.llm_figures import ask, select
from eval.runner import score_question, summarize
from rag.answer.answerability import measure
from rag.answer.judge import judge, judged_passages
from rag.answer.prompt import ABSTAIN_TEXT
from rag.config import Settings
from rag.wiring import Pipeline

BACKEND = "llamacpp"


def verdict(pipe: Pipeline, question: str) -> tuple[bool | None, float | None]:
    """(the judge's verdict, seconds) where the gate lets `question` through; (None, None) where the
    gate abstains first (no model is asked, with or without the judge)."""
    a = pipe.answerer
    r = pipe.retriever.retrieve(question)
    ev = a.extractive.candidates(question, r.query_vector, r.passages)
    chosen = a.extractive.select(ev, r.passages)
    if not chosen or not a.gate.answers(measure(question, ev, r.passages, r.ranks, a.extractive),
                                        pipe.settings.answer.answerability_threshold):
        return None, None
    t0 = time.perf_counter()
    v = judge(a.llm(BACKEND), question, judged_passages(chosen, r.passages))
    return v, time.perf_counter() - t0


def run_corpus(settings: Settings, corpus, split: str, every: int, judge_only: bool) -> list[dict]:
    pipe = Pipeline(corpus_settings(settings, corpus))
    pipe.ingestor.ingest()
    rows = []
    questions = select(corpus.questions(split), every, None)
    for i, q in enumerate(questions, 1):
        v, judge_s = verdict(pipe, q.question)
        row = {"corpus": corpus.name, "id": q.id, "type": q.type, "question": q.question, "verdict": v, "judge_s": judge_s}
        if not judge_only:
            answer, ttft, total = ask(pipe, q.question)
            result = answer.to_dict()
            ranked = [p.text for p in pipe.retriever.retrieve(q.question, 10).passages]
            row["off"] = {**score_question(q, result, ranked), "answer": result["answer"], "fallback": result.get("fallback"),
                          "grounding": result.get("grounding"), "timings": {"ttft_ms": ttft * 1000, "total_ms": total * 1000}}
            on = result if v is not False else {**result, "answer": ABSTAIN_TEXT, "abstained": True, "grounding": None}
            row["on"] = score_question(q, on, ranked)
        rows.append(row)
        print(f"{corpus.name} {i}/{len(questions)} {q.id} verdict={v}", file=sys.stderr, flush=True)
    return rows


def figures(rows: list[dict], judge_only: bool) -> dict:
    judged = [r for r in rows if r["verdict"] is not None or r["judge_s"] is not None]
    unans = [r for r in judged if r["type"] == "unanswerable"]
    ans = [r for r in judged if r["type"] != "unanswerable"]
    out = {
        "questions": len(rows), "judged": len(judged),
        "judge_says_no_unanswerable": f"{sum(r['verdict'] is False for r in unans)} of {len(unans)}",
        "judge_says_no_answerable": f"{sum(r['verdict'] is False for r in ans)} of {len(ans)}",
        "judge_p50_s": round(statistics.median([r["judge_s"] for r in judged]), 2) if judged else None,
    }
    if not judge_only:
        for mode in ("off", "on"):
            s = summarize([r[mode] for r in rows], {})
            out[mode] = {"correct": s["answers"]["correctness"], "abstains": s["abstention"]["correct_abstention"],
                         "false_abstention": s["abstention"]["false_abstention"],
                         "false_premise": s["answers"]["by_type"].get("false_premise"),
                         "supported": s["grounding"]["supported_sentences"]}
        times = [r["off"]["timings"] for r in rows]
        out["ttft_p50_s"] = round(statistics.median(t["ttft_ms"] for t in times) / 1000, 2)
        out["total_p50_s"] = round(statistics.median(t["total_ms"] for t in times) / 1000, 2)
        out["fallbacks"] = sum(r["off"]["fallback"] is not None for r in rows)
    return out


def markdown(report: dict) -> str:
    m = report["setup"]
    lines = [f"# The LLM backend per corpus ({m['split']} split)", "",
             f"Model `{m['model']}`, backend {BACKEND}, every {m['every']} question(s) of each corpus's {m['split']} split, "
             f"{m['machine']}, {m['when']}, {m['minutes']} minutes. Written by `python -m eval.llm_corpora`.", ""]
    if not m["judge_only"]:
        lines += ["| corpus | questions | correct | abstains (unanswerable) | false abstention | false premise | supported | "
                  "with judge: correct | abstains | false abstention | false premise | TTFT p50 s | judge p50 s | fallbacks |",
                  "|---|" + "---|" * 13]
        for c, f in report["corpora"].items():
            o, j = f["off"], f["on"]
            lines.append(f"| {c} | {f['questions']} | {_f(o['correct'])} | {_f(o['abstains'])} | {_f(o['false_abstention'])} | "
                         f"{_f(o['false_premise'])} | {_f(o['supported'])} | {_f(j['correct'])} | {_f(j['abstains'])} | "
                         f"{_f(j['false_abstention'])} | {_f(j['false_premise'])} | {f['ttft_p50_s']} | {f['judge_p50_s']} | {f['fallbacks']} |")
        lines += ["", "Without the judge is the default. 'With judge' abstains wherever the judge said no "
                  "(RAG_LLM_JUDGE=true); its time is added before the first token.", ""]
    lines += ["| corpus | questions | asked to the judge | said no: unanswerable | said no: answerable | judge p50 s |",
              "|---|---|---|---|---|---|"]
    for c, f in report["corpora"].items():
        lines.append(f"| {c} | {f['questions']} | {f['judged']} | {f['judge_says_no_unanswerable']} | "
                     f"{f['judge_says_no_answerable']} | {f['judge_p50_s']} |")
    return "\n".join(lines) + "\n"


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.llm_corpora", description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    ap.add_argument("--corpus", default="all")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--judge-only", action="store_true")
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = ap.parse_args(argv)
    settings = Settings()
    settings = settings.updated(llm_backend=BACKEND, **({"llm_model": args.model} if args.model else {}))
    chosen = corpora() if args.corpus == "all" else {args.corpus: corpora()[args.corpus]}
    t0 = time.time()
    rows = {name: run_corpus(settings, c, args.split, args.every, args.judge_only) for name, c in chosen.items()}
    name = f"llm_corpora_{args.split}" + ("_judge" if args.judge_only else "")
    report = {
        "setup": {"split": args.split, "every": args.every, "judge_only": args.judge_only,
                  "model": Path(settings.llm.model or "?").name,
                  "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, load {os.getloadavg()[0]:.1f}",
                  "when": time.strftime("%Y-%m-%d %H:%M"), "minutes": round((time.time() - t0) / 60, 1)},
        "corpora": {c: figures(r, args.judge_only) for c, r in rows.items()},
        "answers": [r for rs in rows.values() for r in rs],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out / f"{name}.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
