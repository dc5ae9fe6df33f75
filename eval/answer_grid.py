"""Choose the extractive answer's length cut-off on the dev splits, validated leave-one-corpus-out.

A sentence joins the answer when it scores at least `CLOSE_TO_BEST` of the best one
(rag/answer/extractive.py). This asks every dev question once per cut-off, through the real
answerer, with each question's retrieval done once and replayed (the cut-off does not change it),
and reports the share answered correctly per corpus. Leave one corpus out: for each corpus, the
cut-off the other corpora choose (best mean, ties to the larger cut-off, the shorter answer) and what
it scores on the held-out one. Reads only dev questions.

    .venv/bin/python -m eval.answer_grid [--out eval/reports/answer_grid.md]
"""

from __future__ import annotations

import sys

import numpy as np

from eval import ROOT, markdown_report
from eval.corpora import Corpus, corpora, corpus_settings
from eval.runner import score_question
from rag.answer import extractive
from rag.config import Settings

CUTOFFS = (0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.0)
REPORT = ROOT / "eval" / "reports" / "answer_grid.md"


def dev_questions(corpus: Corpus):
    """The only question loader of the grid: the dev split."""
    return corpus.questions("dev")


def _replaying(retriever):
    """The retriever's fused search, each wording's result kept and returned again."""
    search, kept = retriever.retrieve_all, {}

    def retrieve_all(queries, k=None, **kw):
        key = (tuple(queries), k)
        if key not in kept:
            kept[key] = search(queries, k, **kw)
        return kept[key]

    return retrieve_all


def grid(settings: Settings, cutoffs=CUTOFFS) -> dict[str, dict[float, float]]:
    """Per corpus, per cut-off: the share of answerable dev questions answered correctly."""
    from rag.wiring import Pipeline

    shipped = extractive.CLOSE_TO_BEST
    out: dict[str, dict[float, float]] = {}
    try:
        for corpus in corpora().values():
            pipe = Pipeline(corpus_settings(settings, corpus))
            pipe.ingestor.ingest()
            answerer = pipe.answerer
            answerer.retriever.retrieve_all = _replaying(answerer.retriever)
            questions = [q for q in dev_questions(corpus) if q.type != "unanswerable"]
            out[corpus.name] = {}
            for cut in cutoffs:
                extractive.CLOSE_TO_BEST = cut
                right = [score_question(q, answerer.ask(q.question).to_dict(), [])["correct"] for q in questions]
                out[corpus.name][cut] = round(sum(right) / len(right), 3)
            print(corpus.name, out[corpus.name], file=sys.stderr, flush=True)
    finally:
        extractive.CLOSE_TO_BEST = shipped
    return out


def choose(scores: dict[str, dict[float, float]], among: list[str]) -> float:
    """The cut-off with the best mean over `among`; ties go to the larger one (shorter answers)."""
    cuts = sorted(next(iter(scores.values())), reverse=True)
    return max(cuts, key=lambda c: (round(float(np.mean([scores[n][c] for n in among])), 6), c))


def leave_one_corpus_out(scores: dict[str, dict[float, float]]) -> dict[str, tuple[float, float]]:
    """Per held-out corpus: the cut-off the others choose, and its correct share on the held-out one."""
    out = {}
    for held in scores:
        cut = choose(scores, [n for n in scores if n != held])
        out[held] = (cut, scores[held][cut])
    return out


def report(scores: dict[str, dict[float, float]]) -> str:
    cuts = sorted(next(iter(scores.values())), reverse=True)
    loco = leave_one_corpus_out(scores)
    lines = ["# Extractive answer length: cut-off grid on the dev splits", "",
             f"Share of answerable dev questions answered correctly when a sentence joins the answer at the given "
             f"share of the best sentence's score (shipped: {extractive.CLOSE_TO_BEST}). "
             "`python -m eval.answer_grid`.", "",
             "| corpus | " + " | ".join(str(c) for c in cuts) + " | left out: the others choose | its score there |",
             "|---|" + "---|" * (len(cuts) + 2)]
    for name, row in scores.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in cuts) + f" | {loco[name][0]} | {loco[name][1]:.3f} |")
    lines += ["", f"All corpora together choose {choose(scores, list(scores))}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return markdown_report("eval.answer_grid", __doc__, REPORT, lambda s: report(grid(s)), argv)


if __name__ == "__main__":
    raise SystemExit(main())
