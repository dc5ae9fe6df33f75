"""What each line of the system prompt buys: the same dev questions answered by the local model with the
shipped rag/answer/prompts/system.txt and with that text minus exactly one part (a numbered rule, the
example, the data-not-instructions paragraph), variants interleaved per question so load falls on all alike.

    .venv/bin/python -m eval.prompt_ablation --model MODEL.gguf [--every 8] [--budget] [--data-dir DIR] [--out eval/reports]

Figures per variant as in eval.llm_bench, plus the questions whose correctness differs from the shipped
prompt's (gained, lost). Writes prompt_ablation.json (every answer) and prompt_ablation.md. Dev questions only.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path
from unittest import mock

from eval.corpora import Corpus, corpora, corpus_settings
from eval.llm_bench import Recorder, dev_sample_parser, figures, model_given, write_report
from eval.llm_figures import ask
from eval.runner import score_question
from rag.answer import prompt as prompt_module
from rag.answer.llms import as_messages
from rag.config import Settings

SHIPPED = "shipped"
_RULE = re.compile(r"^(\d+)\.\s")
_MARKER = re.compile(r"\[\d+(?:\s*[,;-]\s*\d+)*\]")


def dev_questions(corpus: Corpus, every: int) -> list:
    """The only question loader of the ablation: every `every`-th question of the dev split."""
    return corpus.questions("dev")[::every]


def parts(text: str) -> dict[str, list[int]]:
    """The ablatable parts of a system prompt, as line indexes: each numbered rule (`rule_N`), the
    example block (`example`, with the blank line before it) and the paragraph on passages being data."""
    lines = text.split("\n")
    found: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        m = _RULE.match(line)
        if m:
            found[f"rule_{m.group(1)}"] = [i]
    blocks, start = [], 0  # paragraphs as (first, last) line indexes
    for i, line in enumerate(lines + [""]):
        if not line.strip():
            if i > start:
                blocks.append((start, i - 1))
            start = i + 1
    for first, last in blocks:
        head = lines[first].strip().lower()
        name = "example" if head.startswith("example") else "data_not_instructions" if "not instructions" in head else None
        if name:
            found[name] = list(range(first - 1 if first and not lines[first - 1].strip() else first, last + 1))
    return found


def variants(text: str) -> dict[str, str]:
    """The shipped text first, then one variant per part: the text with that part's lines removed (the
    other rules keep their numbers, so each variant differs from the shipped prompt by that part alone)."""
    lines = text.split("\n")
    out = {SHIPPED: text}
    for name, drop in parts(text).items():
        out[f"no_{name}"] = "\n".join(line for i, line in enumerate(lines) if i not in set(drop))
    return out


class KeptStates(dict):
    """Saved system-prompt states for every variant: llamacpp.py keeps 4 (a product serves one system
    prompt), and nine variants in turn would each be evicted before their next use and processed again.
    The answers are the same either way; this only saves the time."""

    def __len__(self) -> int:
        return 0  # never "full", so llamacpp.py never evicts


class SystemRecorder(Recorder):
    """The bench's Recorder, also keeping the system message and prompt tokens of the last call."""

    def reset(self) -> None:
        super().reset()
        self.system, self.tokens = "", []

    def stream(self, prompt):
        messages = as_messages(prompt)
        self.system = messages[0]["content"] if messages and messages[0].get("role") == "system" else ""
        self.tokens, _ = self.llm._tokens(messages)
        yield from super().stream(prompt)

    def check_cache(self) -> None:
        """The KV cache the model answered from began with this prompt's tokens, not with a saved
        system-prompt prefix of another variant (llamacpp.py restores one per system prompt)."""
        live = self.llm._llama.input_ids[: len(self.tokens)].tolist()
        assert live == self.tokens, "the model's KV cache does not hold this prompt's tokens"


def answer_row(name: str, q, variant: str, answer, recorder: SystemRecorder, total: float) -> dict:
    """One scored answer, as llm_bench records it."""
    result = score_question(q, answer.to_dict(), [])
    return {
        "corpus": name, "id": q.id, "type": q.type, "variant": variant, "question": q.question,
        "answer": answer.answer, "model_text": recorder.text, "correct": result["correct"], "abstained": answer.abstained,
        "generated": answer.backend == "llamacpp" and recorder.prompt_tokens > 0,
        "restated": bool(answer.fallback and "restated" in answer.fallback["reason"]),
        "fallback": answer.fallback, "supported": [s.supported for s in answer.grounding or []],
        "ttft_s": 0.0, "total_s": round(total, 2),
        "prompt_tokens": recorder.prompt_tokens, "generated_tokens": recorder.generated_tokens,
    }


def run(model: str, every: int, limit: int | None, only: list[str] | None, updates: dict) -> dict:
    """Every variant on every chosen dev question, the system prompt swapped in the prompt module only."""
    from rag.wiring import Pipeline

    real = prompt_module.template
    shipped = real("system")
    texts = variants(shipped)
    current = {"text": shipped}
    base = Settings().updated(llm_backend="llamacpp", llm_model=model, **updates)
    rows: list[dict] = []
    load, t_run, started = [os.getloadavg()[1]], time.perf_counter(), time.strftime("%Y-%m-%d %H:%M")
    with mock.patch.object(prompt_module, "template", lambda name: current["text"] if name == "system" else real(name)):
        for name, corpus in corpora().items():
            if only and name not in only:
                continue
            questions = dev_questions(corpus, every)[:limit]
            settings = corpus_settings(base, corpus)
            pipe = Pipeline(settings)
            pipe.ingestor.ingest()
            pipe.warm()
            recorder = SystemRecorder(pipe.answerer.llm("llamacpp"))
            pipe.answerer._llms["llamacpp"] = recorder  # noqa: SLF001 - the ablation checks each prompt at the model
            recorder.llm._prefixes = KeptStates()  # noqa: SLF001
            for i, q in enumerate(questions):
                seen: dict[str, tuple[int, ...]] = {}
                for variant, text in texts.items():
                    current["text"] = text
                    recorder.reset()
                    answer, _, total = ask(pipe, q.question)
                    if recorder.prompt_tokens:
                        recorder.check_cache()
                        assert recorder.system == text.format(abstain=prompt_module.ABSTAIN_TEXT), variant
                        assert tuple(recorder.tokens) not in seen.values(), f"{variant} sent another variant's prompt"
                        seen[variant] = tuple(recorder.tokens)
                    rows.append(answer_row(name, q, variant, answer, recorder, total))
                done = [r for r in rows if r["id"] == q.id and r["corpus"] == name]
                print(f"{name} {i + 1}/{len(questions)} {q.id} {time.perf_counter() - t_run:.0f}s " + " ".join(
                    f"{r['variant']}:{'ok' if r['correct'] else 'x'}" for r in done), file=sys.stderr, flush=True)
            del pipe, recorder
    load.append(os.getloadavg()[1])
    setup = {"model": Path(model).name, "every": every, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
             "load_average_5min": [round(x, 2) for x in load], "wall_minutes": round((time.perf_counter() - t_run) / 60, 1),
             "started": started, "overrides": updates, "llm_settings": {
                 k: getattr(base.llm, k) for k in ("evidence", "evidence_tokens", "window_sentences", "prompt_passages", "max_tokens", "threads")},
             "variants": {v: [line for line in shipped.split("\n") if line not in t.split("\n")] for v, t in texts.items()}}
    return {"setup": setup, "figures": ablation_figures(rows), "answers": rows}


def ablation_figures(rows: list[dict]) -> dict:
    """llm_bench's quality figures per variant; the share of the model's texts with a [n] marker; and
    against the shipped prompt, the questions it gets right or wrong unlike it and those answered in other words."""
    out = figures(rows)
    shipped = {(r["corpus"], r["id"]): r for r in rows if r["variant"] == SHIPPED}
    for variant, f in out.items():
        mine = [(shipped[(r["corpus"], r["id"])], r) for r in rows if r["variant"] == variant]
        written = [r for _, r in mine if r["generated"]]
        f["marked"] = round(sum(bool(_MARKER.search(r.get("model_text", ""))) for r in written) / len(written), 3) if written else None
        f["gained"] = sum(not a["correct"] and b["correct"] for a, b in mine)
        f["lost"] = sum(a["correct"] and not b["correct"] for a, b in mine)
        f["answer_differs"] = sum(a["answer"] != b["answer"] for a, b in mine)
    return out


COLUMNS = [("questions", "questions"), ("model_written", "model wrote"), ("correct_answerable", "correct (answerable)"),
           ("abstains_unanswerable", "abstains (unanswerable)"), ("supported_sentences", "supported sentences"),
           ("restated_fallbacks", "restated fallbacks"), ("marked", "texts with a [n] marker"), ("generated_tokens_p50", "generated tokens p50"),
           ("prompt_tokens_p50", "prompt tokens p50"), ("total_p50_s", "total p50 (s)"), ("gained", "gained vs shipped"),
           ("lost", "lost vs shipped"), ("answer_differs", "answer differs from shipped")]


def markdown(report: dict) -> str:
    """The figures as a table, one row per variant."""
    s, f = report["setup"], report["figures"]
    lines = [
        "# System prompt ablation: the shipped prompt against it minus one part",
        "",
        f"Model `{s['model']}` via llamacpp on {s['machine']}; every {s['every']}th dev question of each corpus, "
        f"the {len(f)} variants interleaved per question. Run {s['started']}, {s['wall_minutes']} min, "
        f"5-min load average {s['load_average_5min'][0]} -> {s['load_average_5min'][1]}. LLM settings: {s['llm_settings']}"
        + (f" (overridden for this run: {s['overrides']})" if s["overrides"] else " (the product defaults)") + ".",
        "",
        "| variant | " + " | ".join(label for _, label in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for v, row in f.items():
        lines.append(f"| {v} | " + " | ".join("-" if row.get(k) is None else str(row[k]) for k, _ in COLUMNS) + " |")
    lines += ["", "Gained/lost count questions (answerable or not) whose correctness differs from the shipped prompt's;",
              "quality is over all questions, [n] markers, tokens and time over the texts the model wrote.", "",
              "What each variant leaves out (the other rules keep their numbers):", ""]
    lines += [f"- `{v}`: " + " / ".join(f'"{line}"' for line in removed) for v, removed in s.get("variants", {}).items() if removed]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = dev_sample_parser("prompt_ablation", __doc__, every=8)
    p.add_argument("--budget", action="store_true", help="quote the 240-token evidence budget instead of whole passages")
    p.add_argument("--threads", type=int, default=None, help="llamacpp threads (default: the product's)")
    p.add_argument("--data-dir", help="index the corpora under DIR/eval (default: the configured data dir; a private one "
                   "keeps a concurrent `rag eval` from re-ingesting an index under this run)")
    args = p.parse_args(argv)
    if not model_given(args, "prompt_ablation"):
        return 2
    updates = {"llm_evidence": "budget", "llm_evidence_tokens": 240, "llm_window_sentences": 1} if args.budget else {}
    if args.threads:
        updates["llm_threads"] = args.threads
    if args.data_dir:
        updates["data_dir"] = args.data_dir
    report = run(args.model, args.every, args.limit, args.corpus, updates)
    write_report(report, args.out, args.name, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
