"""Two eval runs compared: the metrics that moved, the answers that changed, and whether the change
is more than chance.

A setting is chosen on dev, and on a few hundred questions a gain of a few is easily luck: "+3 dev
turns" can be 6 gained and 3 lost, which an exact sign test puts at p = 0.51, a coin's odds. So each
comparison counts, per corpus and in all, the questions (and conversation turns) that went from
wrong to right and from right to wrong, with the two-sided p-value of that split (McNemar's exact
test on the changed pairs). Works on a single run's folder and on a `--corpus all` folder alike.
A test split's question text is never printed, only its ids: test questions are not for reading.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from eval.runner import flatten

ROWS = ("results.jsonl", "conversations.jsonl")  # single questions; conversation turns


def sign_test(gained: int, lost: int) -> float:
    """Two-sided exact p-value of `gained` against `lost` changed answers if either way were equally
    likely (no real difference): McNemar's exact test."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


@dataclass
class Changes:
    """Answers whose correctness differs between two runs of the same questions, by id."""

    gained: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    same: int = 0

    def __iadd__(self, other: Changes) -> Changes:
        self.gained += other.gained
        self.lost += other.lost
        self.same += other.same
        return self

    @property
    def p(self) -> float:
        return sign_test(len(self.gained), len(self.lost))

    def line(self, what: str) -> str:
        n = len(self.gained) + len(self.lost) + self.same
        verdict = "chance could do this" if self.p >= 0.05 else "unlikely by chance"
        return (f"{what}: {len(self.gained)} gained, {len(self.lost)} lost of {n} "
                f"(net {len(self.gained) - len(self.lost):+d}; sign test p = {self.p:.2f}: {verdict})")


def changes(a: list[dict], b: list[dict]) -> Changes:
    """Which rows (matched by id) are right in one run and wrong in the other."""
    right_a = {r["id"]: bool(r.get("correct")) for r in a}
    out = Changes()
    for r in b:
        if r["id"] not in right_a:
            continue
        before, after = right_a[r["id"]], bool(r.get("correct"))
        if before == after:
            out.same += 1
        elif after:
            out.gained.append(r["id"])
        else:
            out.lost.append(r["id"])
    return out


def runs(folder: Path) -> dict[str, Path]:
    """A report folder's runs by corpus name: itself ("") when it holds one run, else its sub-folders
    that do (the `--corpus all` layout)."""
    folder = Path(folder)
    if (folder / "summary.json").exists():
        return {"": folder}
    return {d.name: d for d in sorted(folder.iterdir()) if (d / "summary.json").exists()} if folder.is_dir() else {}


def compare(a: Path, b: Path) -> str:
    """What changed from run A to run B: metric by metric, answer by answer, and how likely by chance."""
    ra, rb = runs(a), runs(b)
    names = [n for n in ra if n in rb]
    if not names:
        raise ValueError(f"no eval run in common between {a} and {b} (each needs summary.json, or sub-folders with one)")
    lines = [f"metric changes {a} -> {b}:"]
    totals = {f: Changes() for f in ROWS}
    for name in names:
        sa, sb = (json.loads((r[name] / "summary.json").read_text(encoding="utf-8")) for r in (ra, rb))
        readable = sb.get("meta", {}).get("split") != "test"
        if name:
            lines.append(f"== {name}")
        fa, fb = flatten(sa), flatten(sb)
        for key in sorted(set(fa) | set(fb)):
            va, vb = fa.get(key), fb.get(key)
            if va != vb:
                delta = "" if va is None or vb is None else f" ({vb - va:+.3f})"
                lines.append(f"  {key}: {va} -> {vb}{delta}")
        for rows in ROWS:
            rows_a, rows_b = _rows(ra[name] / rows), _rows(rb[name] / rows)
            if not rows_b:
                continue
            c = changes(rows_a, rows_b)
            totals[rows] += c
            text = {r["id"]: r.get("question", "") for r in rows_b}
            what = "questions" if rows == ROWS[0] else "conversation turns"
            lines.append(c.line(what))
            for label, ids in (("newly wrong", c.lost), ("newly right", c.gained)):
                if ids:
                    lines.append(f"{label} ({len(ids)}):")
                    lines += [f"  {i}: {text[i]}" if readable else f"  {i}" for i in ids]
    if len(names) > 1:
        lines.append("== all corpora")
        lines += [totals[rows].line("questions" if rows == ROWS[0] else "conversation turns") for rows in ROWS
                  if totals[rows].gained or totals[rows].lost or totals[rows].same]
    return "\n".join(lines)


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
