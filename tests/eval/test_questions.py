"""Checks on the evaluation question set in eval/questions.jsonl.

Every answerable question must point at corpus files and carry verbatim evidence quotes, so that
the gold set stays honest when the corpus or the questions change.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.conftest import ROOT

QUESTIONS = ROOT / "eval" / "questions.jsonl"
CORPUS = ROOT / "corpus"

KEYS = {"id", "question", "type", "answer", "must_contain", "docs", "evidence"}
TYPES = {"fact", "numeric", "multi", "why", "unanswerable", "false_premise"}
ID_RE = re.compile(r"^q\d{3,}$")


def _load() -> list[dict]:
    rows = []
    with QUESTIONS.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - reported as a failure
                pytest.fail(f"line {lineno} is not valid JSON: {e}")
    return rows


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    assert QUESTIONS.exists(), f"missing {QUESTIONS}"
    return _load()


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


def _answerable(q: dict) -> bool:
    return q["type"] != "unanswerable"


def test_every_line_is_a_json_object(questions):
    with QUESTIONS.open(encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip()]
    assert len(lines) == len(questions)
    for q in questions:
        assert isinstance(q, dict)


def test_exact_keys(questions):
    for q in questions:
        assert set(q) == KEYS, f"{q.get('id')}: keys {sorted(q)}"


def test_field_types(questions):
    for q in questions:
        qid = q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), qid
        assert isinstance(q["must_contain"], list), qid
        assert all(isinstance(m, str) for m in q["must_contain"]), qid
        assert isinstance(q["docs"], list) and all(isinstance(d, str) for d in q["docs"]), qid
        assert isinstance(q["evidence"], list) and all(isinstance(e, str) for e in q["evidence"]), qid
        if _answerable(q):
            assert isinstance(q["answer"], str) and q["answer"].strip(), qid
        else:
            assert q["answer"] is None, qid


def test_ids_unique_and_well_formed(questions):
    ids = [q["id"] for q in questions]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    bad = [i for i in ids if not isinstance(i, str) or not ID_RE.match(i)]
    assert not bad, f"malformed ids: {bad}"


def test_questions_unique(questions):
    texts = [q["question"].strip().lower() for q in questions]
    dupes = [t for t, n in Counter(texts).items() if n > 1]
    assert not dupes, f"duplicate questions: {dupes}"


def test_types_valid(questions):
    bad = [(q["id"], q["type"]) for q in questions if q["type"] not in TYPES]
    assert not bad, f"invalid types: {bad}"


def test_counts(questions):
    counts = Counter(q["type"] for q in questions)
    assert len(questions) >= 80, f"only {len(questions)} questions"
    assert counts["unanswerable"] >= 12, counts
    assert counts["false_premise"] >= 5, counts


def test_docs_exist(questions, corpus):
    for q in questions:
        for d in q["docs"]:
            assert d in corpus, f"{q['id']}: unknown doc {d!r}"
        assert len(set(q["docs"])) == len(q["docs"]), f"{q['id']}: repeated doc"


def test_unanswerable_have_no_gold(questions):
    for q in questions:
        if not _answerable(q):
            assert q["must_contain"] == [], q["id"]
            assert q["docs"] == [], q["id"]
            assert q["evidence"] == [], q["id"]


def test_answerable_have_docs_and_evidence(questions):
    for q in questions:
        if _answerable(q):
            assert q["docs"], f"{q['id']}: no docs"
            assert q["evidence"], f"{q['id']}: no evidence"


def test_multi_spans_documents(questions):
    for q in questions:
        if q["type"] == "multi":
            assert len(q["docs"]) >= 2, f"{q['id']}: multi question with fewer than two docs"


def test_evidence_is_verbatim(questions, corpus):
    missing = []
    for q in questions:
        for ev in q["evidence"]:
            if not any(ev in corpus[d] for d in q["docs"] if d in corpus):
                missing.append((q["id"], ev[:80]))
    assert not missing, f"evidence not found verbatim in its docs: {missing}"


def test_evidence_length(questions):
    bad = []
    for q in questions:
        for ev in q["evidence"]:
            n = len(ev.split())
            if not 8 <= n <= 40:
                bad.append((q["id"], n, ev[:60]))
    assert not bad, f"evidence quotes outside 8-40 words: {bad}"


def test_evidence_is_single_line(questions):
    for q in questions:
        for ev in q["evidence"]:
            assert "\n" not in ev and "\r" not in ev, q["id"]


def test_must_contain_lowercase_nonempty(questions):
    for q in questions:
        mc = q["must_contain"]
        if _answerable(q):
            assert 1 <= len(mc) <= 3, f"{q['id']}: must_contain needs 1-3 entries"
        for m in mc:
            assert m.strip(), f"{q['id']}: empty must_contain entry"
            assert m == m.lower(), f"{q['id']}: must_contain {m!r} not lowercase"


def test_must_contain_matches_gold_answer(questions):
    bad = []
    for q in questions:
        if _answerable(q) and q["evidence"]:
            answer = q["answer"].lower()
            if not any(m.lower() in answer for m in q["must_contain"]):
                bad.append((q["id"], q["must_contain"]))
    assert not bad, f"gold answer lacks every must_contain string: {bad}"


def test_all_documents_covered(questions, corpus):
    used = {d for q in questions for d in q["docs"]}
    uncovered = sorted(set(corpus) - used)
    assert not uncovered, f"documents without questions: {uncovered}"
