"""How the way a question is typed changes its answer: every dev question asked as written, with one
typo, wrapped in chat, and all in lowercase.

- **swap** / **drop**: one typo in the question's longest lowercase word of six or more letters (the
  word that carries its subject): two neighbouring letters swapped, or one letter dropped, in its
  middle;
- **chat**: greetings, hedges and thanks around it, six framings in turn ("Hi, quick question: ...
  Thanks!", "Sorry if this is obvious, but ...", "... Any help appreciated!");
- **lower**: the whole question in lowercase, as many people type in a chat box;
- **quotes**: typographic apostrophes and quotes ("Pakistan’s", "‘Transparent’"), as phones and
  word processors type them (a question without any is asked as written);
- and in the dev conversations, each follow-up after an acknowledgement of the last answer ("Ok,
  thanks. and for binaries?", "Got it. ...", six in turn), against the follow-ups as written.

Each is scored as `rag eval` scores it: right answers among the answerable questions, abstentions
among the unanswerable ones. Reads only dev questions.

    .venv/bin/python -m eval.typed [--out eval/reports/typed.md]
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace

from eval import ROOT, markdown_report
from eval.corpora import Corpus, corpora, corpus_settings
from eval.runner import score_question
from rag.config import Settings
from rag.language import STOPWORDS

REPORT = ROOT / "eval" / "reports" / "typed.md"
VARIANTS = ("written", "swap", "drop", "chat", "lower", "quotes")


def _lower_first(s: str) -> str:
    return s if s[:2].isupper() else s[:1].lower() + s[1:]  # "GPLv3 ..." keeps its capitals


FRAMES = (
    lambda s: f"Hi, quick question: {_lower_first(s)} Thanks!",
    lambda s: f"Hello there! I was wondering: {_lower_first(s)}",
    lambda s: f"Hey, can you please tell me this: {_lower_first(s)} Thank you so much.",
    lambda s: f"Good morning. {s} Cheers",
    lambda s: f"Sorry if this is obvious, but {_lower_first(s)}",
    lambda s: f"{s} Any help appreciated!",
)


ACKNOWLEDGEMENTS = ("Thanks! ", "Ok, thanks. ", "Great, ", "Got it. ", "Cool, thank you! ", "Ok. ")


def dev_questions(corpus: Corpus):
    """The only question loader of the probe: the dev split."""
    return corpus.questions("dev")


def dev_conversations(corpus: Corpus):
    """The only conversation loader of the probe: the dev split."""
    return corpus.conversations("dev")


def acknowledged(conversation, start: int = 0):
    """The conversation with each follow-up opening with an acknowledgement, taken in turn from `start`."""
    turns = [conversation.turns[0]]
    for j, t in enumerate(conversation.turns[1:], start):
        q = ACKNOWLEDGEMENTS[j % len(ACKNOWLEDGEMENTS)] + _lower_first(t.question.question)
        turns.append(replace(t, question=replace(t.question, question=q)))
    return replace(conversation, turns=tuple(turns))


def followups(pipe, corpus: Corpus) -> dict[str, list[int]]:
    """Follow-ups right [right, asked], as written and after an acknowledgement."""
    from eval.conversation_runner import run_conversations

    chats, out, j = dev_conversations(corpus), {}, 0
    acked = []
    for c in chats:
        acked.append(acknowledged(c, j))
        j += len(c.turns) - 1
    for kind, convs in (("written", chats), ("acknowledged", acked)):
        rows, _ = run_conversations(pipe, convs)
        later = [r for r in rows if r["turn"] > 1]
        out[f"follow-ups {kind}"] = [sum(bool(r["correct"]) for r in later), len(later)]
    return out


def misspell(question: str, kind: str) -> str | None:
    """The question with one typo in its longest lowercase word of 6+ letters (None if it has none)."""
    candidates = [m for m in re.finditer(r"\b[a-z]{6,}\b", question) if m.group(0) not in STOPWORDS]
    if not candidates:
        return None
    m = max(candidates, key=lambda m: len(m.group(0)))  # the first of the longest
    w, i = m.group(0), len(m.group(0)) // 2
    typo = w[:i] + w[i + 1] + w[i] + w[i + 2:] if kind == "swap" else w[:i] + w[i + 1:]
    return question[: m.start()] + typo + question[m.end():]


def variant(question: str, kind: str, i: int) -> str | None:
    """The `i`-th question typed as `kind` (None when a typo has no word to fall on)."""
    if kind in ("swap", "drop"):
        return misspell(question, kind)
    return {"written": question, "chat": FRAMES[i % len(FRAMES)](question), "lower": question.lower(),
            "quotes": typographic(question)}[kind]


def typographic(s: str) -> str:
    """Apostrophes and quotes as a phone types them: ’ inside a word, ‘...’ and “...” around one."""
    s = re.sub(r"(\w)'(\w)", "\\1\u2019\\2", s)
    s = re.sub(r"'([^']*)'", "\u2018\\1\u2019", s)
    return re.sub(r'"([^"]*)"', "\u201c\\1\u201d", s)


def probe(settings: Settings) -> dict[str, dict[str, list[int]]]:
    """Per corpus, per variant: [right, asked] over answerable questions, [abstained, asked] over unanswerable."""
    from rag.wiring import Pipeline

    out: dict[str, dict[str, list[int]]] = {}
    i = 0
    for corpus in corpora().values():
        pipe = Pipeline(corpus_settings(settings, corpus))
        pipe.ingestor.ingest()
        counts = {f"{k} {part}": [0, 0] for k in VARIANTS for part in ("right", "abstains")}
        for q in dev_questions(corpus):
            for kind in VARIANTS:
                typed = variant(q.question, kind, i)
                if typed is None:
                    continue
                answer = pipe.answerer.ask(typed).to_dict()
                if q.type == "unanswerable":
                    cell, hit = counts[f"{kind} abstains"], answer["abstained"]
                else:
                    cell, hit = counts[f"{kind} right"], score_question(q, answer, [])["correct"]
                cell[0] += bool(hit)
                cell[1] += 1
            i += 1
        counts.update(followups(pipe, corpus))
        out[corpus.name] = counts
        print(corpus.name, json.dumps(counts), file=sys.stderr, flush=True)
    return out


def report(counts: dict[str, dict[str, list[int]]]) -> str:
    keys = next(iter(counts.values()))
    total = {k: [sum(c[k][0] for c in counts.values()), sum(c[k][1] for c in counts.values())] for k in keys}
    lines = ["# As typed: typos, chat around the question, lowercase, typographic quotes (dev split, extractive)", "",
             "`python -m eval.typed`. Cells: right answers / answerable questions asked that way; abstentions /",
             "unanswerable questions. A typo is made only where the question has a lowercase word of 6+ letters.", "",
             "| corpus | " + " | ".join(f"{k}: right" for k in VARIANTS) + " | " + " | ".join(f"{k}: abstains" for k in VARIANTS) + " |",
             "|---|" + "---|" * (2 * len(VARIANTS))]
    for name, c in [*counts.items(), ("**all**", total)]:
        cells = [f"{c[f'{k} {part}'][0]}/{c[f'{k} {part}'][1]}" for part in ("right", "abstains") for k in VARIANTS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Conversation follow-ups right / asked (the dev conversations, each turn with its history):", "",
              "| corpus | as written | after an acknowledgement |", "|---|---|---|"]
    for name, c in [*counts.items(), ("**all**", total)]:
        lines.append(f"| {name} | " + " | ".join(f"{c[k][0]}/{c[k][1]}" for k in ("follow-ups written", "follow-ups acknowledged")) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return markdown_report("eval.typed", __doc__, REPORT, lambda s: report(probe(s)), argv)


if __name__ == "__main__":
    sys.exit(main())
