"""The LLM section of the benchmarks: one run, the same dev questions, each answered by the local
model every way in VARIANTS (prompt settings spelled out: whole passages, the product default, and
token budgets), and by llama-index's starter query engine (1024-token chunks, top 2, its default QA
prompt) on the same model, interleaved question by question so machine load falls on all alike.

    .venv/bin/python -m eval.llm_bench --model MODEL.gguf [--every 3] [--starter-every 3] [--out eval/reports]

Figures per variant: time to first token and total time (p50, p95), prompt and generated tokens, correctness
(the eval's must_contain scoring), supported-sentence rate (the citation checker) and restatement fallbacks.
Writes llm_bench.json (every answer) and llm_bench.md. Dev questions only: the prompt settings are chosen here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from eval import ROOT
from eval.corpora import corpora, corpus_settings
from eval.llm_figures import ask
from eval.metrics import percentile
from eval.runner import score_question
from rag.answer.llms import as_messages
from rag.config import Settings

VARIANTS = {
    # The run in eval/reports/llm_bench.md: each variant spelled out, so a change of defaults cannot change it.
    "passages": {"llm_evidence": "passages", "llm_prompt_passages": 20, "llm_max_tokens": 384},
    "budget160_r1": {"llm_evidence": "budget", "llm_evidence_tokens": 160, "llm_window_sentences": 1},
    "budget240_r1": {"llm_evidence": "budget", "llm_evidence_tokens": 240, "llm_window_sentences": 1},
}


class Recorder:
    """Wraps the answerer's LLM to count the prompt and generated tokens of each call."""

    def __init__(self, llm):
        self.llm, self.name = llm, llm.name
        self.reset()

    def reset(self) -> None:
        """Forget the last call's counts (before each question)."""
        self.prompt_tokens = self.generated_tokens = 0
        self.text = ""

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(self, prompt):
        # Each answer starts from the system prompt alone in the KV cache, as a new question does: without
        # this, a variant quoting the same passages as the one before would reuse their processed tokens.
        self.llm._llama.reset()
        tokens, _ = self.llm._tokens(as_messages(prompt))
        self.prompt_tokens, parts = len(tokens), []
        for delta in self.llm.stream(prompt):
            parts.append(delta)
            yield delta
        self.text = "".join(parts)
        self.generated_tokens = len(self.llm._llama.tokenize("".join(parts).encode("utf-8"), add_bos=False, special=False))


def starter_engine(settings: Settings, embedder, recorder: Recorder):
    """llama-index's starter: VectorStoreIndex.from_documents(...).as_query_engine(streaming=True), our
    embedder and model, the documents as our reader reads them (llama-index reads no PDF without an extra)."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    from rag.ingest.documents import find_files, read_document

    class Model(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=settings.llm.context_tokens, num_output=settings.llm.max_tokens)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw) -> CompletionResponse:
            return CompletionResponse(text="".join(recorder.stream([{"role": "user", "content": prompt}])))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw):
            text = ""
            for delta in recorder.stream([{"role": "user", "content": prompt}]):
                text += delta
                yield CompletionResponse(text=text, delta=delta)

    files, _ = find_files([settings.store.corpus_dir])
    docs = [Document(text=d.text, metadata={"file_name": f.name}) for f in files for d in [read_document(f)]]
    index = VectorStoreIndex.from_documents(docs, embed_model=embedder.as_llama_index())
    return index.as_query_engine(llm=Model(), streaming=True)


def ask_starter(engine, question: str) -> tuple[str, list[str], float, float]:
    t0 = time.perf_counter()
    response = engine.query(question)
    first, parts = None, []
    for delta in response.response_gen:
        first = first or time.perf_counter() - t0
        parts.append(delta)
    total = time.perf_counter() - t0
    return "".join(parts), [n.node.get_content() for n in response.source_nodes], first or total, total


def run(model: str, every: int, starter_every: int, limit: int | None, only: list[str] | None = None) -> dict:
    from rag.wiring import Pipeline

    base = Settings().updated(llm_backend="llamacpp", llm_model=model)
    rows: list[dict] = []
    load = [os.getloadavg()[1]]
    t_run = time.perf_counter()
    for name, corpus in corpora().items():
        if only and name not in only:
            continue
        questions = corpus.questions("dev")[::every][:limit]
        settings = corpus_settings(base, corpus)
        pipe = Pipeline(settings)
        pipe.ingestor.ingest()
        pipe.warm()
        recorder = Recorder(pipe.answerer.llm("llamacpp"))
        pipe.answerer._llms["llamacpp"] = recorder  # noqa: SLF001 - the bench counts tokens at the model
        engine = starter_engine(settings, pipe.embedder, recorder) if starter_every else None
        for _ in recorder.stream("Reply with the word ready."):
            pass
        for i, q in enumerate(questions):
            for variant, updates in VARIANTS.items():
                pipe.answerer.settings = settings.updated(**updates)
                recorder.reset()
                answer, ttft, total = ask(pipe, q.question)
                result = answer.to_dict()
                row = score_question(q, result, [])
                rows.append({
                    "corpus": name, "id": q.id, "type": q.type, "variant": variant, "question": q.question,
                    "answer": answer.answer, "model_text": recorder.text, "correct": row["correct"], "abstained": answer.abstained,
                    "generated": answer.backend == "llamacpp" and recorder.prompt_tokens > 0,
                    "restated": bool(answer.fallback and "restated" in answer.fallback["reason"]),
                    "fallback": answer.fallback, "supported": [s.supported for s in answer.grounding or []],
                    "ttft_s": round(ttft, 2), "total_s": round(total, 2),
                    "prompt_tokens": recorder.prompt_tokens, "generated_tokens": recorder.generated_tokens,
                })
            if engine is not None and i % starter_every == 0:
                text, sources, ttft, total = ask_starter(engine, q.question)
                abstained = not text.strip() or "not" in text.lower() and "context" in text.lower() and len(text) < 200
                row = score_question(q, {"answer": text, "abstained": abstained}, sources)
                rows.append({
                    "corpus": name, "id": q.id, "type": q.type, "variant": "starter", "question": q.question,
                    "answer": text, "correct": row["correct"], "abstained": abstained, "generated": True,
                    "restated": False, "fallback": None, "supported": [],
                    "ttft_s": round(ttft, 2), "total_s": round(total, 2),
                    "prompt_tokens": recorder.prompt_tokens, "generated_tokens": recorder.generated_tokens,
                })
            done = [r for r in rows if r["id"] == q.id and r["corpus"] == name]
            print(f"{name} {i + 1}/{len(questions)} {q.id} " + " ".join(
                f"{r['variant']}:{r['ttft_s']}/{r['total_s']}s,{r['prompt_tokens']}t,{'ok' if r['correct'] else 'x'}" for r in done),
                file=sys.stderr, flush=True)
        del pipe, recorder, engine
    load.append(os.getloadavg()[1])
    setup = {"model": Path(model).name, "every": every, "starter_every": starter_every, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
             "load_average_5min": [round(x, 2) for x in load], "wall_minutes": round((time.perf_counter() - t_run) / 60, 1),
             "started": time.strftime("%Y-%m-%d %H:%M"), "window_settings": {
                 k: getattr(base.llm, k) for k in ("evidence", "evidence_tokens", "window_sentences", "window_best", "prompt_passages", "max_tokens")}}
    return {"setup": setup, "figures": figures(rows), "answers": rows}


def figures(rows: list[dict]) -> dict:
    """Per variant: timings over the answers the model wrote, quality over all its questions."""
    out = {}
    for variant in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == variant]
        gen = [r for r in rs if r["generated"]]
        answerable = [r for r in rs if r["type"] != "unanswerable"]
        unanswerable = [r for r in rs if r["type"] == "unanswerable"]
        checked = [s for r in rs if not r["abstained"] for s in r["supported"]]

        def p(key: str, q: float, pool=gen) -> float | None:
            return round(percentile([r[key] for r in pool], q / 100), 2) if pool else None

        out[variant] = {
            "questions": len(rs), "model_written": len(gen),
            "ttft_p50_s": p("ttft_s", 50), "ttft_p95_s": p("ttft_s", 95),
            "total_p50_s": p("total_s", 50), "total_p95_s": p("total_s", 95),
            "prompt_tokens_p50": p("prompt_tokens", 50), "generated_tokens_p50": p("generated_tokens", 50),
            "generated_tokens_p95": p("generated_tokens", 95),
            "correct_answerable": round(sum(r["correct"] for r in answerable) / len(answerable), 3) if answerable else None,
            "abstains_unanswerable": round(sum(r["abstained"] for r in unanswerable) / len(unanswerable), 3) if unanswerable else None,
            "supported_sentences": round(sum(checked) / len(checked), 3) if checked else None,
            "restated_fallbacks": round(sum(r["restated"] for r in rs) / len(rs), 3) if rs else None,
        }
    return out


def markdown(report: dict) -> str:
    s, f = report["setup"], report["figures"]
    cols = [("questions", "questions"), ("model_written", "answers the model wrote"), ("ttft_p50_s", "first token p50 (s)"),
            ("ttft_p95_s", "first token p95 (s)"), ("total_p50_s", "total p50 (s)"), ("total_p95_s", "total p95 (s)"),
            ("prompt_tokens_p50", "prompt tokens p50"), ("generated_tokens_p50", "generated tokens p50"),
            ("generated_tokens_p95", "generated tokens p95"), ("correct_answerable", "correct (answerable)"),
            ("abstains_unanswerable", "abstains (unanswerable)"), ("supported_sentences", "supported sentences"),
            ("restated_fallbacks", "restated-question fallbacks")]
    variants = list(f)
    lines = [
        "# LLM answers: prompt variants on the same dev questions",
        "",
        f"Model `{s['model']}` via llamacpp on {s['machine']}; every {s['every']}th dev question of each corpus "
        f"(the starter on every {s['starter_every']}th of those), variants interleaved per question. Run {s['started']}, "
        f"{s['wall_minutes']} min, 5-min load average {s['load_average_5min'][0]} -> {s['load_average_5min'][1]}. "
        f"Product prompt settings: {s['window_settings']}.",
        "",
        "| figure | " + " | ".join(variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for key, label in cols:
        lines.append(f"| {label} | " + " | ".join("-" if f[v].get(key) is None else str(f[v][key]) for v in variants) + " |")
    lines += ["", "Timings are over the answers the model wrote (questions abstained before generation take no model time);",
              "quality is over all questions. `passages` is the previous prompt; `starter` has no citations to check.", ""]
    return "\n".join(lines)


def write_report(report: dict, out: Path, name: str, markdown) -> None:
    """NAME.json (every answer) and NAME.md (the table) under `out`; the table is printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / f"{name}.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


def dev_sample_parser(module: str, doc: str, every: int) -> argparse.ArgumentParser:
    """The options every LLM script over a sample of the dev questions shares: the model, which
    questions (every N-th, at most a limit, some corpora) and where the report goes (`--out`/`--name`)."""
    p = argparse.ArgumentParser(prog=f"python -m eval.{module}", description=doc.splitlines()[0])
    p.add_argument("--model", default=os.environ.get("RAG_LLM_MODEL"), help="GGUF file (default: RAG_LLM_MODEL)")
    p.add_argument("--every", type=int, default=every, help="every N-th dev question of each corpus")
    p.add_argument("--limit", type=int, default=None, help="at most this many questions per corpus")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable; default: all)")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    p.add_argument("--name", default=module)
    return p


def model_given(args: argparse.Namespace, module: str) -> bool:
    """Is there a model to run? If not, says how to give one."""
    if not args.model:
        print(f"{module}: give --model PATH.gguf or set RAG_LLM_MODEL", file=sys.stderr)
    return bool(args.model)


def main(argv: list[str] | None = None) -> int:
    p = dev_sample_parser("llm_bench", __doc__, every=3)
    p.add_argument("--starter-every", type=int, default=3, help="the starter on every N-th of those (0: not at all)")
    args = p.parse_args(argv)
    if not model_given(args, "llm_bench"):
        return 2
    report = run(args.model, args.every, args.starter_every, args.limit, args.corpus)
    write_report(report, args.out, args.name, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
