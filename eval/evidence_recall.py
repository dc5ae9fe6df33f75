"""How often the prompt's evidence holds the answer, by prompt size: a model-free measure for issue #17.

A local model's wait is its prompt, and a model cannot state an answer it was not shown. For every
answerable dev question the gate lets through, this builds the LLM prompt each way (whole passages, and
the token budget at several sizes) and counts how often one of the question's must_contain strings is
in the quoted evidence, with the evidence tokens each way took (the model's tokenizer). No answer is
generated: one run over all dev questions takes a minute, where the LLM bench takes 20 for a quarter.

    .venv/bin/python -m eval.evidence_recall --model MODEL.gguf [--out eval/reports/evidence_recall.json]
"""

from __future__ import annotations

import json
import re
import statistics
import sys

from eval import probe_args
from eval.corpora import corpora, corpus_settings
from rag.config import Settings

WAYS = {
    "passages": {"llm_evidence": "passages", "llm_prompt_passages": 20},
    **{f"budget{n}_r{r}": {"llm_evidence": "budget", "llm_evidence_tokens": n, "llm_window_sentences": r}
       for n in (120, 160, 200, 240, 320) for r in (0, 1)},
}
_PASSAGE = re.compile(r"<passage>\n(.*?)\n</passage>", re.S)


class Shown:
    """Stands in for the model: keeps the prompt it is given and answers nothing, so no time is spent."""

    def __init__(self, llm):
        self.llm, self.name, self.messages = llm, llm.name, None

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(self, messages):
        self.messages = messages
        yield "."


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def run(model: str) -> list[dict]:
    from rag.wiring import Pipeline

    rows = []
    for name, corpus in corpora().items():
        settings = corpus_settings(Settings().updated(llm_backend="llamacpp", llm_model=model), corpus)
        pipe = Pipeline(settings)
        pipe.ingestor.ingest()
        shown = Shown(pipe.answerer.llm("llamacpp"))
        pipe.answerer._llms["llamacpp"] = shown  # noqa: SLF001 - the probe reads the prompt at the model
        for q in corpus.questions("dev"):
            if q.type == "unanswerable":
                continue
            row = {"corpus": name, "id": q.id}
            for way, updates in WAYS.items():
                pipe.answerer.settings = settings.updated(**updates)
                shown.messages = None
                pipe.answerer.ask(q.question, backend="llamacpp")
                if shown.messages is None:  # the gate abstained: no prompt was built
                    break
                evidence = "\n".join(_PASSAGE.findall(shown.messages[-1]["content"]))
                row[way] = {"holds": any(_normal(m) in _normal(evidence) for m in q.must_contain),
                            "tokens": shown.count_tokens(shown.messages[-1]["content"])}
            else:
                rows.append(row)
                print(name, q.id, " ".join(f"{w}:{int(row[w]['holds'])}/{row[w]['tokens']}" for w in WAYS), file=sys.stderr, flush=True)
    return rows


def summary(rows: list[dict]) -> dict:
    """Per way: the share of questions whose prompt holds the answer, and the prompt's user-message tokens (p50)."""
    return {way: {"holds": round(sum(r[way]["holds"] for r in rows) / len(rows), 3),
                  "user_tokens_p50": statistics.median(r[way]["tokens"] for r in rows)} for way in WAYS} if rows else {}


def main(argv: list[str] | None = None) -> int:
    args = probe_args("eval.evidence_recall", __doc__, "evidence_recall.json", "GGUF file (its tokenizer counts the tokens)", argv)
    rows = run(args.model)
    report = {"questions": len(rows), "summary": summary(rows), "rows": rows}
    args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
