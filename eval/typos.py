"""How much one typo costs: every answerable dev question asked as written and with one realistic typo.

The typo falls on the question's longest lowercase word of six or more letters (the word that
carries its subject, the one a user is likeliest to fumble): two neighbouring letters swapped, or
one letter dropped, in its middle. Each question is answered as written and with the typo, with
spelling correction on (the product) and off, and scored as `rag eval` scores it. Reads only dev
questions.

    .venv/bin/python -m eval.typos [--out eval/reports/typos.md]
"""

from __future__ import annotations

import json
import re
import sys

from eval import ROOT, markdown_report
from eval.corpora import Corpus, corpora, corpus_settings
from eval.runner import score_question
from rag.config import Settings
from rag.language import STOPWORDS

REPORT = ROOT / "eval" / "reports" / "typos.md"
KINDS = ("swap", "drop")


def dev_questions(corpus: Corpus):
    """The only question loader of the probe: the dev split."""
    return corpus.questions("dev")


def misspell(question: str, kind: str) -> str | None:
    """The question with one typo in its longest lowercase word of 6+ letters (None if it has none)."""
    candidates = [m for m in re.finditer(r"\b[a-z]{6,}\b", question) if m.group(0) not in STOPWORDS]
    if not candidates:
        return None
    m = max(candidates, key=lambda m: len(m.group(0)))  # the first of the longest
    w, i = m.group(0), len(m.group(0)) // 2
    typo = w[:i] + w[i + 1] + w[i] + w[i + 2:] if kind == "swap" else w[:i] + w[i + 1:]
    return question[: m.start()] + typo + question[m.end():]


def probe(settings: Settings) -> dict[str, dict[str, int]]:
    """Per corpus: answerable dev questions with a typo to make, and how many are right as written,
    with each kind of typo, with spelling correction on and off."""
    from rag.wiring import Pipeline

    out: dict[str, dict[str, int]] = {}
    for corpus in corpora().values():
        on = Pipeline(corpus_settings(settings, corpus))
        on.ingestor.ingest()
        off = Pipeline(on.settings.updated(correct_spelling=False))
        counts = dict.fromkeys(["questions", "written", *(f"{k} {s}" for k in KINDS for s in ("on", "off")),
                                *(f"{k} abstained {s}" for k in KINDS for s in ("on", "off"))], 0)
        for q in dev_questions(corpus):
            if q.type == "unanswerable" or misspell(q.question, "swap") is None:
                continue
            counts["questions"] += 1
            counts["written"] += score_question(q, on.answerer.ask(q.question).to_dict(), [])["correct"]
            for kind in KINDS:
                typed = misspell(q.question, kind)
                for state, pipe in (("on", on), ("off", off)):
                    answer = pipe.answerer.ask(typed).to_dict()
                    counts[f"{kind} {state}"] += score_question(q, answer, [])["correct"]
                    counts[f"{kind} abstained {state}"] += answer["abstained"]
        out[corpus.name] = counts
        print(corpus.name, json.dumps(counts), file=sys.stderr, flush=True)
    return out


def report(counts: dict[str, dict[str, int]]) -> str:
    names = list(counts)
    total = {k: sum(c[k] for c in counts.values()) for k in next(iter(counts.values()))}
    lines = ["# One typo per question (dev split, extractive)", "",
             "Right answers of the answerable dev questions that have a word to misspell (`python -m eval.typos`);",
             "in brackets, how many of them abstained.", "",
             "| corpus | questions | as written | swapped letters, corrected | swapped, not corrected | dropped letter, corrected | dropped, not corrected |",
             "|---|---|---|---|---|---|---|"]
    for name, c in [*((n, counts[n]) for n in names), ("**all**", total)]:
        cells = [f"{c[f'{k} {s}']} ({c[f'{k} abstained {s}']})" for k in KINDS for s in ("on", "off")]
        lines.append(f"| {name} | {c['questions']} | {c['written']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return markdown_report("eval.typos", __doc__, REPORT, lambda s: report(probe(s)), argv)


if __name__ == "__main__":
    sys.exit(main())
