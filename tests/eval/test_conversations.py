"""The conversation sets (eval/corpora/NAME/conversations.jsonl): every file valid, its evidence in
its documents as the quotes were taken and as the product reads them, and the validator catches
what a writer gets wrong."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from eval import conversations as ev
from eval.corpora import corpora
from rag.ingest.documents import read_document

WITH_CONVERSATIONS = {name: c for name, c in corpora().items() if c.conversations_path.exists()}


def test_every_corpus_has_a_conversation_set():
    assert set(WITH_CONVERSATIONS) == set(corpora())


@pytest.mark.parametrize("name", sorted(WITH_CONVERSATIONS))
def test_the_set_is_valid(name):
    """Ids unique, 2-4 turns, the first turn kind first, kinds and types agree, gold fields present,
    every evidence quote in its documents (the file text; pdftotext's text for a PDF)."""
    corpus = WITH_CONVERSATIONS[name]
    assert ev.validate(corpus.conversations_path, corpus.docs) == []


@pytest.mark.parametrize("name", sorted(WITH_CONVERSATIONS))
def test_the_set_is_large_enough_and_mixed(name):
    convs = WITH_CONVERSATIONS[name].conversations()
    kinds = ev.kind_counts(convs)
    later = sum(kinds.values()) - kinds["first"]
    assert len(convs) >= 40 and kinds["first"] == len(convs)
    assert set(kinds) == set(ev.KINDS)
    # Roughly the brief's mix: most follow-ups lean on the history, a tenth change topic or ask what is absent.
    assert sum(kinds[k] for k in ev.FOLLOW_UP) / later >= 0.6
    assert kinds["topic_change"] / later >= 0.08 and kinds["absent"] / later >= 0.08 and kinds["false_premise"] >= 4
    assert len({c.id for c in convs}) == len(convs)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize("name", sorted(WITH_CONVERSATIONS))
def test_evidence_is_findable_in_the_text_the_product_reads(name):
    """The evidence hit@5 matches quotes against indexed passages: nearly every quote must be in the
    product's own reading of its document (4-word shingles, as the eval's matching allows)."""
    corpus = WITH_CONVERSATIONS[name]
    texts = {p.name: _norm(read_document(p).text) for p in corpus.docs.iterdir()}
    quotes = missing = 0
    for conv in corpus.conversations():
        for turn in conv.turns:
            body = " ".join(texts[d] for d in turn.question.docs)
            for quote in turn.question.evidence:
                words = _norm(quote).split()
                grams = [" ".join(words[i:i + 4]) for i in range(max(1, len(words) - 3))]
                quotes += 1
                missing += sum(g in body for g in grams) / len(grams) < 0.6
    assert missing <= 0.05 * quotes, f"{missing} of {quotes} quotes"


def _turn(cid: str, i: int, kind: str, question: str, standalone: str | None = None, **gold) -> dict:
    row = {"id": f"{cid}.{i}", "question": question, "type": "fact", "answer": "Raymond Davis.",
           "must_contain": ["davis"], "docs": ["a.txt"], "evidence": ["Raymond Davis killed two pedestrians in Lahore"],
           "kind": kind, "standalone": standalone or question}
    return {**row, **gold}


def test_the_validator_names_what_is_wrong(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("A CIA contractor, Raymond Davis killed two\n pedestrians in Lahore.", encoding="utf-8")
    good = {"id": "pc001", "turns": [_turn("pc001", 1, "first", "Who killed two people in Lahore?"),
                                     _turn("pc001", 2, "pronoun", "Where did he kill them?", "Where did Raymond Davis kill two people?")]}
    bad = {"id": "pc001", "turns": [
        _turn("pc001", 1, "pronoun", "Who was he?", "Who was Raymond Davis?"),
        _turn("pc001", 2, "ellipsis", "And when?"),  # a follow-up whose standalone form is the question itself
        _turn("pc001", 3, "absent", "How much?", "How much was paid?"),  # absent but answerable
        _turn("pc001", 4, "what_about", "What about Karachi?", "Did he kill anyone in Karachi?", evidence=["not in the text"]),
    ]}
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert ev.validate(path, tmp_path / "docs") == []  # whitespace in the document does not matter
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\nnot json\n", encoding="utf-8")
    problems = "\n".join(ev.validate(path, tmp_path / "docs"))
    for expected in ("repeated conversation id 'pc001'", "pc001.1: kind 'pronoun' at turn 1", "pc001.2: standalone must",
                     "pc001.3: type 'fact' with kind 'absent'", "pc001.4: evidence not in", "line 3: not JSON"):
        assert expected in problems, problems


def test_a_malformed_line_is_named(tmp_path):
    path = tmp_path / "conversations.jsonl"
    path.write_text('{"id": "pc001", "turns": [{"id": "pc001.1"}]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="conversations.jsonl:1"):
        ev.load_conversations(path)


def test_a_conversation_is_split_by_its_rarest_follow_up_kind():
    convs = ev.load_conversations(WITH_CONVERSATIONS["papers"].conversations_path)
    strata = Counter(c.stratum() for c in convs)
    assert set(strata) <= set(ev.RARITY) and strata["false_premise"] == ev.kind_counts(convs)["false_premise"]
