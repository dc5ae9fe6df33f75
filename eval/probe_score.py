"""Score a probe's answers: how many of its questions the bot got right.

    python -m eval.probe_score eval/probes/QUESTIONS.jsonl ANSWERS.jsonl [--misses]

ANSWERS is `rag ask --json --batch` output (eval/reports/probes/ holds the committed ones). A question
of type "unanswerable" is right when the answer abstained; any other when it did not abstain and every
`must_contain` string is in the answer, case aside. Answers are matched to questions by their text;
lines that are no JSON object (a stray "}" of the batch output) are skipped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def is_right(question: dict, answer: dict) -> bool:
    """Did the answer get the probe question right?"""
    if question.get("type") == "unanswerable":
        return bool(answer.get("abstained"))
    text = (answer.get("answer") or "").lower()
    return not answer.get("abstained") and all(m.lower() in text for m in question.get("must_contain", []))


def score(questions: Path, answers: Path) -> tuple[list[str], list[str]]:
    """The ids of the questions answered right and of those answered wrong (questions with no answer count wrong)."""
    asked = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    given = {}
    for line in answers.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("{"):
            row = json.loads(line)
            given[row.get("question")] = row
    right = [q["id"] for q in asked if q["question"] in given and is_right(q, given[q["question"]])]
    return right, [q["id"] for q in asked if q["id"] not in right]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("answers", type=Path)
    ap.add_argument("--misses", action="store_true", help="also list the questions answered wrong")
    args = ap.parse_args(argv)
    right, wrong = score(args.questions, args.answers)
    print(f"{len(right)} of {len(right) + len(wrong)} right")
    if args.misses and wrong:
        print("wrong:", " ".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
