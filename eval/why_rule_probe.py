"""A probe of issue #17's restated answers: does one more system-prompt rule for "why" questions help?

Answers every dev question that asks why (each corpus) with the local model twice, with the product's
system prompt (A) and with one rule added (B), and counts right answers, restatement fallbacks and
abstentions. The product prompt is not changed by it; docs/benchmarks.md has the result.

    .venv/bin/python -m eval.why_rule_probe --model MODEL.gguf [--out eval/reports/why_rule_probe.json]
"""

from __future__ import annotations

import json
import sys

import rag.answer.prompt as prompt
from eval import probe_args
from eval.corpora import corpora, corpus_settings
from eval.llm_figures import ask
from eval.runner import score_question
from rag.config import Settings

RULE = ('7. If the question asks why, answer with the reason the passages give (often after "because", "so that", '
        '"to" or "since"), not with the question\'s own words.\n')


def variants() -> dict[str, str]:
    """The system prompt as shipped (A) and with the why rule before its example (B)."""
    shipped = prompt.template("system")
    return {"A": shipped, "B": shipped.replace("\nExample:", RULE + "\nExample:", 1)}


def run(model: str) -> list[dict]:
    from rag.wiring import Pipeline

    shipped_template, rows = prompt.template, []
    systems = variants()
    try:
        for name, corpus in corpora().items():
            questions = [q for q in corpus.questions("dev") if q.type == "why" or q.question.lower().lstrip().startswith("why")]
            pipe = Pipeline(corpus_settings(Settings().updated(llm_backend="llamacpp", llm_model=model), corpus))
            pipe.ingestor.ingest()
            for q in questions:
                for variant, system in systems.items():
                    prompt.template = lambda n, _s=system: _s if n == "system" else shipped_template(n)
                    answer, _, _ = ask(pipe, q.question)
                    row = score_question(q, answer.to_dict(), [])
                    rows.append({"corpus": name, "id": q.id, "variant": variant, "correct": row["correct"],
                                 "restated": bool(answer.fallback and "restated" in answer.fallback["reason"]),
                                 "abstained": answer.abstained, "answer": answer.answer})
                    print(name, q.id, variant, row["correct"], file=sys.stderr, flush=True)
    finally:
        prompt.template = shipped_template
    return rows


def main(argv: list[str] | None = None) -> int:
    args = probe_args("eval.why_rule_probe", __doc__, "why_rule_probe.json", "GGUF file", argv)
    rows = run(args.model)
    summary = {v: {k: sum(r[k] for r in rows if r["variant"] == v) for k in ("correct", "restated", "abstained")}
               | {"questions": sum(r["variant"] == v for r in rows)} for v in variants()}
    args.out.write_text(json.dumps({"rule": RULE, "summary": summary, "answers": rows}, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
