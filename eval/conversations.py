"""The multi-turn conversation sets (issue #16): each eval corpus's follow-up questions, loaded and
validated. eval/conversation_runner.py asks and scores them.

eval/corpora/NAME/conversations.jsonl holds one conversation a line, {"id": "pc001", "turns": [...]},
each turn an eval question (eval/runner.Question's keys) plus `kind` (KINDS) and `standalone` (the
question rewritten to stand alone). `python -m eval.conversations [NAME ...]` validates the files and
prints the count of each kind.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from eval.runner import ANSWERABLE, Question, read_jsonl

KINDS = ("first", "pronoun", "ellipsis", "what_about", "topic_change", "absent", "false_premise")
FOLLOW_UP = ("pronoun", "ellipsis", "what_about")  # answerable follow-ups that lean on the earlier turns
RARITY = ("false_premise", "absent", "topic_change", "what_about", "ellipsis", "pronoun")  # rarest first
KEYS = set(Question.__dataclass_fields__) | {"kind", "standalone"}
ID = re.compile(r"^[a-z]c\d{3,}$")


@dataclass(frozen=True)
class Turn:
    """One turn: the question as typed (scored as an eval question), its kind and its standalone form."""

    question: Question
    kind: str
    standalone: str


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]

    def stratum(self) -> str:
        """The rarest kind among its follow-ups: the split halves each stratum, so both have every kind."""
        kinds = {t.kind for t in self.turns[1:]}
        return next((k for k in RARITY if k in kinds), "first")


def load_conversations(path: Path) -> list[Conversation]:
    """The conversation set (JSONL); a malformed line is an error naming the line."""
    def parse(row: dict) -> Conversation:
        return Conversation(row["id"], tuple(Turn(Question.from_row(t), t["kind"], t["standalone"]) for t in row["turns"]))

    return read_jsonl(path, parse, "a conversation")


# --- validation ------------------------------------------------------------------------------

def _squash(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=64)
def document_texts(path: Path) -> tuple[str, ...]:
    """A document's text as the evidence quotes were taken from it, whitespace squashed: the file's
    text, or for a PDF pdftotext's outputs (plain, -raw and -layout, as the corpus READMEs allow)."""
    if path.suffix.lower() != ".pdf":
        return (_squash(path.read_text(encoding="utf-8")),)
    modes = ([], ["-raw"], ["-layout"])
    return tuple(_squash(subprocess.run(["pdftotext", *m, str(path), "-"], capture_output=True, text=True, check=True).stdout)
                 for m in modes)


def validate(path: Path, docs: Path) -> list[str]:
    """Everything wrong with a conversation file: JSON, keys, ids, kinds and types, gold fields,
    and evidence quotes not found in their documents (whitespace squashed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            conv = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {n}: not JSON ({e})")
            continue
        cid = conv.get("id")
        if not isinstance(cid, str) or not ID.match(cid) or cid in seen:
            problems.append(f"line {n}: bad or repeated conversation id {cid!r}")
        seen.add(str(cid))
        turns = conv.get("turns") or []
        if set(conv) != {"id", "turns"} or not 2 <= len(turns) <= 4:
            problems.append(f"{cid}: keys {sorted(conv)}, {len(turns)} turns (2 to 4)")
        for i, turn in enumerate(turns, 1):
            problems += [f"{cid}.{i}: {p}" for p in _turn_problems(turn, f"{cid}.{i}", i, docs)]
    return problems


def _turn_problems(t: dict, tid: str, i: int, docs: Path) -> list[str]:
    if set(t) != KEYS:
        return [f"keys {sorted(t)}"]
    out = []
    kind, qtype = t["kind"], t["type"]
    if t["id"] != tid:
        out.append(f"id {t['id']!r}, expected {tid!r}")
    if kind not in KINDS or (kind == "first") != (i == 1):
        out.append(f"kind {kind!r} at turn {i}")
    # An absent turn is unanswerable and a false_premise turn a false premise; the follow-ups that
    # lean on the history are answerable; a first turn or a change of topic may be any type.
    allowed = {"absent": {"unanswerable"}, "false_premise": {"false_premise"}}.get(
        kind, set(ANSWERABLE) - {"false_premise"} if kind in FOLLOW_UP else {*ANSWERABLE, "unanswerable"})
    if qtype not in allowed:
        out.append(f"type {qtype!r} with kind {kind!r}")
    if not (isinstance(t["question"], str) and t["question"].strip() and isinstance(t["standalone"], str) and t["standalone"].strip()):
        out.append("empty question or standalone")
    elif (t["standalone"] == t["question"]) != (kind in ("first", "topic_change")):
        out.append("standalone must equal the question exactly for first and topic_change turns, and differ otherwise")
    if qtype == "unanswerable":
        if t["answer"] is not None or t["must_contain"] or t["docs"] or t["evidence"]:
            out.append("unanswerable with gold fields")
        return out
    if not (isinstance(t["answer"], str) and t["must_contain"] and t["docs"] and t["evidence"]):
        return out + ["answerable without answer, must_contain, docs or evidence"]
    if any(m != m.lower() or not m.strip() for m in t["must_contain"]):
        out.append(f"must_contain not lowercase: {t['must_contain']}")
    if not any(m in t["answer"].lower() for m in t["must_contain"]):
        out.append(f"the gold answer holds no must_contain alternative {t['must_contain']}")
    missing = [d for d in t["docs"] if not (docs / d).is_file()]
    if missing:
        return out + [f"unknown docs {missing}"]
    texts = [text for d in t["docs"] for text in document_texts(docs / d)]
    for quote in t["evidence"]:
        if not any(_squash(quote) in text for text in texts):
            out.append(f"evidence not in {t['docs']}: {quote[:70]!r}")
    return out


def kind_counts(conversations: Sequence[Conversation]) -> Counter:
    return Counter(t.kind for c in conversations for t in c.turns)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from eval.corpora import corpora

    ap = argparse.ArgumentParser(prog="python -m eval.conversations", description="Validate the conversation sets: " + __doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="corpora to check (default: every corpus with a conversations.jsonl)")
    args = ap.parse_args(argv)
    found = {n: c for n, c in corpora().items() if c.conversations_path.exists() and (not args.names or n in args.names)}
    failed = 0
    for name, corpus in found.items():
        problems = validate(corpus.conversations_path, corpus.docs)
        convs = load_conversations(corpus.conversations_path) if not problems else []
        counts = kind_counts(convs)
        later = sum(v for k, v in counts.items() if k != "first")
        share = ", ".join(f"{k} {counts[k]} ({counts[k] / max(1, later):.0%})" for k in KINDS[1:])
        print(f"{name}: {len(convs)} conversations, {sum(counts.values())} turns; follow-ups: {share}")
        for p in problems:
            print(f"  {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
