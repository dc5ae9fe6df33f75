"""The evaluation corpora: several collections of different genres, each with its own questions
split once, fixed, into dev (tuning) and test (reporting).

A corpus is a folder eval/corpora/NAME/ holding docs/ and questions.jsonl (or a corpus.json naming
them elsewhere, as the shipped papers do) and split.json, written once by `make_split` and never
regenerated, so no setting can drift toward the test questions. Its multi-turn conversations, if it
has them, are conversations.jsonl (eval/conversations.py), split the same way by conversation into
conversation_split.json.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from eval import ROOT
from eval.conversation_runner import run_conversations
from eval.conversations import Conversation, load_conversations
from eval.metrics import wilson
from eval.runner import Question, load_questions, run_eval
from rag.config import Settings

CORPORA_DIR = ROOT / "eval" / "corpora"
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Corpus:
    name: str
    docs: Path
    questions_path: Path
    split_path: Path
    conversations_path: Path
    conversation_split_path: Path

    def questions(self, split: str | None = None) -> list[Question]:
        """The corpus's questions, all of them or one split's (`dev` or `test`)."""
        return _part(load_questions(self.questions_path), split, self.split_ids)

    def split_ids(self) -> dict[str, list[str]]:
        return _read_split(self.split_path, f"--make-split {self.name}")

    def conversations(self, split: str | None = None) -> list[Conversation]:
        """The corpus's conversations (none if it has no conversations.jsonl), all or one split's."""
        if not self.conversations_path.exists():
            return []
        return _part(load_conversations(self.conversations_path), split, self.conversation_split_ids)

    def conversation_split_ids(self) -> dict[str, list[str]]:
        return _read_split(self.conversation_split_path, f"--make-conversation-split {self.name}")


def _part(items: list, split: str | None, split_ids) -> list:
    if split in (None, "all"):
        return items
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose dev, test or all")
    ids = set(split_ids()[split])
    return [x for x in items if x.id in ids]


def _read_split(path: Path, make: str) -> dict[str, list[str]]:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m eval.corpora {make}` once")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {s: list(data[s]) for s in SPLITS}


def load_corpus(folder: Path) -> Corpus:
    spec = json.loads((folder / "corpus.json").read_text(encoding="utf-8")) if (folder / "corpus.json").exists() else {}
    docs = ROOT / spec["docs"] if "docs" in spec else folder / "docs"
    questions = ROOT / spec["questions"] if "questions" in spec else folder / "questions.jsonl"
    return Corpus(folder.name, docs, questions, folder / "split.json", folder / "conversations.jsonl",
                  folder / "conversation_split.json")


def corpora() -> dict[str, Corpus]:
    """Every corpus under eval/corpora, by name."""
    return {p.name: load_corpus(p) for p in sorted(CORPORA_DIR.iterdir())
            if p.is_dir() and ((p / "questions.jsonl").exists() or (p / "corpus.json").exists())}


def get_corpus(name: str) -> Corpus:
    found = corpora()
    if name not in found:
        raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(found)}")
    return found[name]


def assign_split(items: list, salt: str, stratum=lambda q: q.type) -> dict[str, list[str]]:
    """Half of each stratum (a question's type, a conversation's rarest kind) to dev and half to
    test, in an order fixed by a hash of the id (so the assignment depends on nothing but the ids and
    strata). An odd one out goes to test."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for q in items:
        by_type[stratum(q)].append(q.id)
    split: dict[str, list[str]] = {"dev": [], "test": []}
    for ids in by_type.values():
        ids.sort(key=lambda i: hashlib.sha256(f"{salt}:{i}".encode()).hexdigest())
        for n, qid in enumerate(ids):
            split["dev" if n % 2 else "test"].append(qid)
    return {s: sorted(v) for s, v in split.items()}


def make_split(corpus: Corpus) -> dict[str, list[str]]:
    """Write the corpus's split once; refuses to overwrite one that exists."""
    if corpus.split_path.exists():
        raise FileExistsError(f"{corpus.split_path} exists: a split is made once and never changed")
    split = assign_split(corpus.questions(), corpus.name)
    corpus.split_path.write_text(json.dumps({"made_by": "eval.corpora.assign_split", **split}, indent=1) + "\n",
                                 encoding="utf-8")
    return split


def split_in_batches(questions: list, name: str, batches: list[list[str]],
                     relabelled: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The split of questions written in batches: the first batch (every id in no later batch) as
    `assign_split` made it, each later batch on its own with its own salt, so adding questions never
    moves one already assigned. A question whose type was corrected after the split is stratified by
    the type it had then (`relabelled`: id -> old type), so a corrected label moves no question either."""
    old = relabelled or {}

    def stratum(q):
        return old.get(q.id, q.type)

    later = {qid for batch in batches for qid in batch}
    parts = [assign_split([q for q in questions if q.id not in later], name, stratum)]
    for i, batch in enumerate(batches, 2):
        ids = set(batch)
        parts.append(assign_split([q for q in questions if q.id in ids], f"{name}:batch{i}", stratum))
    return {s: sorted(qid for part in parts for qid in part[s]) for s in SPLITS}


def extend_split(corpus: Corpus) -> dict[str, list[str]]:
    """Assign the questions that no split holds yet, as a new batch (`split_in_batches`): half of each
    type to dev, half to test. Questions already assigned keep their side."""
    data = json.loads(corpus.split_path.read_text(encoding="utf-8"))
    assigned = set(data["dev"]) | set(data["test"])
    new = [q.id for q in corpus.questions() if q.id not in assigned]
    if not new:
        raise ValueError(f"{corpus.name}: every question is already in the split")
    batches = [*data.get("batches", []), new]
    relabelled = data.get("relabelled", {})
    split = split_in_batches(corpus.questions(), corpus.name, batches, relabelled)
    extra = {"relabelled": relabelled} if relabelled else {}
    corpus.split_path.write_text(json.dumps({"made_by": "eval.corpora.split_in_batches", **split, "batches": batches,
                                             **extra}, indent=1) + "\n", encoding="utf-8")
    return split


def conversation_split(conversations: list[Conversation], corpus_name: str) -> dict[str, list[str]]:
    """Half of the conversations of each stratum (Conversation.stratum) to test, by a hash of the id."""
    return assign_split(conversations, f"{corpus_name}:conversations", Conversation.stratum)


def make_conversation_split(corpus: Corpus) -> dict[str, list[str]]:
    """Write the corpus's conversation split once; refuses to overwrite one that exists."""
    if corpus.conversation_split_path.exists():
        raise FileExistsError(f"{corpus.conversation_split_path} exists: a split is made once and never changed")
    split = conversation_split(corpus.conversations(), corpus.name)
    corpus.conversation_split_path.write_text(
        json.dumps({"made_by": "eval.corpora.conversation_split", **split}, indent=1) + "\n", encoding="utf-8")
    return split


def corpus_settings(settings: Settings, corpus: Corpus) -> Settings:
    """The settings for one corpus's own index, kept under the data folder (re-ingest is incremental)."""
    return settings.updated(data_dir=settings.store.data_dir / "eval" / corpus.name, corpus_dir=corpus.docs, chroma_url=None)


class CorpusRun(NamedTuple):
    rows: list[dict]  # one per question
    summary: dict  # the questions' summary, with the conversations' under "conversations" when they ran
    turns: list[dict]  # one per conversation turn (eval/conversations.py)


def evaluate(settings: Settings, corpus: Corpus, split: str = "test", backend: str | None = None,
             k: int | None = None, progress=None, conversations: bool = True) -> CorpusRun:
    """Index the corpus (if needed) and answer and score one split of its questions, and of its
    conversations unless `conversations` is false."""
    from rag.wiring import Pipeline

    pipe = Pipeline(corpus_settings(settings, corpus))
    report = pipe.ingestor.ingest()
    if report.skipped:
        raise RuntimeError(f"{corpus.name}: documents skipped: {report.skipped}")
    rows, summary = run_eval(pipe, corpus.questions(split), k, backend, progress)
    chats = corpus.conversations(split) if conversations else []
    if not chats:
        return CorpusRun(rows, summary, [])
    turns, summary["conversations"] = run_conversations(pipe, chats, k, backend)
    return CorpusRun(rows, summary, turns)


TABLE = [("hit@5", ("retrieval", "hit@5")), ("MRR", ("retrieval", "mrr@10")), ("correct", ("answers", "correctness")),
         ("abstains (unanswerable)", ("abstention", "correct_abstention")),
         ("false abstention", ("abstention", "false_abstention")),
         ("false premise", ("answers", "by_type", "false_premise")), ("supported", ("grounding", "supported_sentences"))]
LOWER_IS_BETTER = {"false abstention"}


def metric(summary: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        summary = summary.get(key) if isinstance(summary, dict) else None
    return summary


def table(summaries: dict[str, dict]) -> str:
    """One row per corpus and a last row with the worst value of each column."""
    head = "| corpus | questions | " + " | ".join(t[0] for t in TABLE) + " |"
    lines = [head, "|" + "---|" * (len(TABLE) + 2)]
    worst: list[float | None] = []
    for label, path in TABLE:
        vals = [v for v in (metric(s, path) for s in summaries.values()) if v is not None]
        worse = max if label in LOWER_IS_BETTER else min
        worst.append(worse(vals) if vals else None)
    for name, s in summaries.items():
        cells = [_cell(metric(s, path)) for _, path in TABLE]
        lines.append(f"| {name} | {s['questions']} | " + " | ".join(cells) + " |")
    lines.append("| **worst** | | " + " | ".join(f"**{_cell(v)}**" for v in worst) + " |")
    return "\n".join(lines)


# Figure, and the count it is a share of, for the intervals table.
INTERVALS = [("correct", ("answers", "correctness"), ("answers", "answerable")),
             ("abstains (unanswerable)", ("abstention", "correct_abstention"), ("abstention", "unanswerable")),
             ("false abstention", ("abstention", "false_abstention"), ("answers", "answerable")),
             ("follow-up correct", ("conversations", "followup", "correctness"), ("conversations", "followup", "turns"))]


def intervals(summaries: dict[str, dict]) -> str:
    """Each corpus's main shares with their 95% Wilson intervals and counts: a split of a few dozen
    questions measures a rate only to within about 0.15, so a difference inside that is not news."""
    lines = ["| corpus | " + " | ".join(label for label, _, _ in INTERVALS) + " |", "|---|" + "---|" * len(INTERVALS)]
    for name, s in summaries.items():
        cells = []
        for _, path, count in INTERVALS:
            rate, n = metric(s, path), metric(s, count)
            if rate is None or not n:
                cells.append("–")
                continue
            lo, hi = wilson(rate, int(n))
            cells.append(f"{rate:.3f} ({lo:.2f}-{hi:.2f}, n={int(n)})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def check_gates(summaries: dict[str, dict], thresholds: dict) -> list[str]:
    """Failures of each corpus against its own thresholds (thresholds["corpora"][name], its
    conversations' under ["conversations"]); a corpus or a corpus's conversations without thresholds
    is a failure too, so a new set cannot slip past the gate."""
    from eval.runner import check_gate

    gates = thresholds.get("corpora", {})
    failures = []
    for name, summary in summaries.items():
        if name not in gates:
            failures.append(f"{name}: no thresholds in the gate file")
            continue
        failures.extend(f"{name}: {f}" for f in check_gate(summary, gates[name]))
        if "conversations" in summary and "conversations" not in gates[name]:
            failures.append(f"{name}: no conversation thresholds in the gate file")
        elif "conversations" in summary:
            failures.extend(f"{name}: conversations.{f}" for f in check_gate(summary["conversations"], gates[name]["conversations"]))
    return failures


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m eval.corpora", description=__doc__.splitlines()[0])
    ap.add_argument("--make-split", metavar="NAME", help="write NAME's split.json (once)")
    ap.add_argument("--make-conversation-split", metavar="NAME", help="write NAME's conversation_split.json (once)")
    ap.add_argument("--extend-split", metavar="NAME", help="assign NAME's questions that no split holds yet, as a new batch")
    args = ap.parse_args(argv)
    if args.extend_split:
        split = extend_split(get_corpus(args.extend_split))
        print(f"{args.extend_split}: dev {len(split['dev'])}, test {len(split['test'])}")
        return 0
    if args.make_split or args.make_conversation_split:
        name = args.make_split or args.make_conversation_split
        make = make_split if args.make_split else make_conversation_split
        split = make(get_corpus(name))
        print(f"{name}: dev {len(split['dev'])}, test {len(split['test'])}")
        return 0
    for c in corpora().values():
        qs, chats = c.questions(), c.conversations()
        made = c.conversation_split_path.exists()
        print(f"{c.name:10} {len(qs):4} questions  split: {'yes' if c.split_path.exists() else 'no'}  "
              f"{len(chats):3} conversations  split: {'yes' if made else 'no'}  docs: {c.docs.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
