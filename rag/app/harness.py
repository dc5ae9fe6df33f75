"""The harness commands, `rag eval` and `rag bench`: they run the eval package (outside the
product), imported only when asked for."""

from __future__ import annotations

import json
import sys

from rag.config import Settings


def run_bench_command(settings: Settings, args) -> int:
    from eval.bench.runner import BenchPlan, run_bench

    try:
        sizes = tuple(int(x) for x in args.sizes.split(",") if x.strip())
    except ValueError:
        print(f"rag: --sizes takes whole numbers separated by commas, not {args.sizes!r}", file=sys.stderr)
        return 2
    plan = BenchPlan(runs=max(1, args.runs), sizes=sizes, real_ingest_max=args.real_ingest_max, cold_start=not args.no_cold)
    if args.out:
        plan.out_dir = args.out
    _, paths = run_bench(settings, plan)
    print("\n".join(str(p) for p in paths))
    return 0


def run_eval_command(settings: Settings, args) -> int:
    import time

    import eval.runner as evaluation
    from eval import ROOT as PROJECT_ROOT

    if args.compare:
        from eval.comparison import compare

        print(compare(*args.compare))
        return 0
    if args.gate and args.dataset:
        raise ValueError("--gate judges every eval corpus's test split (eval/thresholds.json); leave out --dataset")
    if args.gate and getattr(args, "no_conversations", False):
        raise ValueError("--gate judges the corpora's conversations too; leave out --no-conversations")
    if args.corpus or args.gate:
        # The gate is judged on every corpus's test split: the worst corpus is what counts.
        args.corpus = args.corpus or "all"
        return _eval_corpora(settings, args)
    from rag.wiring import Pipeline

    from rag.app.cli import _require_index

    _require_index(settings)
    dataset = args.dataset or PROJECT_ROOT / "eval" / "questions.jsonl"
    questions = evaluation.load_questions(dataset)
    pipe = Pipeline(settings, retrieval_mode=args.retrieval)
    backend = args.backend or settings.llm.backend

    def progress(i, n):
        print(f"\r{i}/{n} questions", end="" if i < n else "\n", file=sys.stderr, flush=True)

    rows, summary = evaluation.run_eval(pipe, questions, args.k, args.backend, progress if sys.stderr.isatty() else None)
    when = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or PROJECT_ROOT / "eval" / "runs" / f"{when}-{backend}"
    meta = {"dataset": str(dataset), "backend": backend, "k": args.k or settings.retrieval.top_k, "when": when, "retrieval": args.retrieval}
    evaluation.write_report(out, rows, summary, meta)
    print(evaluation.markdown(summary, meta))
    print(f"report: {out}")
    return 0


def _eval_corpora(settings: Settings, args) -> int:
    """`rag eval --corpus NAME|all`: one split of each corpus (its questions and conversations), a
    report per corpus and tables with the worst."""
    import time

    from eval import ROOT as PROJECT_ROOT
    from eval import conversation_runner
    from eval import corpora as ec
    from eval import runner as evaluation

    chosen = list(ec.corpora().values()) if args.corpus == "all" else [ec.get_corpus(args.corpus)]
    backend = args.backend or settings.llm.backend
    when = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or PROJECT_ROOT / "eval" / "runs" / f"{when}-{backend}-{args.split}"
    summaries = {}
    for corpus in chosen:
        print(f"{corpus.name}: indexing and asking the {args.split} questions and conversations …", file=sys.stderr, flush=True)
        rows, summary, turns = ec.evaluate(settings, corpus, args.split, args.backend, args.k,
                                           conversations=not getattr(args, "no_conversations", False))
        meta = {"dataset": f"{corpus.name} ({args.split})", "backend": backend, "k": args.k or settings.retrieval.top_k,
                "when": when, "split": args.split}
        evaluation.write_report(out / corpus.name, rows, summary, meta, turns)
        summaries[corpus.name] = summary
    text = f"# Per-corpus evaluation ({args.split} split, backend {backend})\n\n{ec.table(summaries)}\n"
    chats = conversation_runner.table(summaries)
    if chats:
        text += f"\n## Conversations (turn by turn, with the history)\n\n{chats}\n"
    text += f"\n## How sure: 95% intervals (Wilson score) and counts\n\n{ec.intervals(summaries)}\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "corpora.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"report: {out}")
    return _gate(ec.check_gates(summaries, json.loads(args.gate.read_text(encoding="utf-8")))) if args.gate else 0


def _gate(failures: list[str]) -> int:
    for f in failures:
        print(f"GATE FAILED: {f}", file=sys.stderr)
    if failures:
        return 1
    print("gate passed")
    return 0
