"""The eval corpora: every set well formed, its questions and its conversations each split once into
disjoint dev and test, and the gate's tuning reads dev questions only (and no conversations of test)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from eval import corpora as ec
from eval import tune_gate
from rag.ingest.documents import read_document

CORPORA = ec.corpora()
TYPES = {"fact", "numeric", "multi", "why", "unanswerable", "false_premise"}


def test_there_are_four_corpora_of_different_genres():
    assert {"papers", "manuals", "webdocs", "licenses"} <= set(CORPORA)
    suffixes = {name: {p.suffix for p in c.docs.iterdir()} for name, c in CORPORA.items()}
    assert ".pdf" in suffixes["manuals"] and ".md" in suffixes["webdocs"] and ".txt" in suffixes["licenses"]


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_each_set_is_large_enough_and_mixed(name):
    qs = CORPORA[name].questions()
    counts = Counter(q.type for q in qs)
    assert len(qs) >= 60 and set(counts) <= TYPES
    assert counts["unanswerable"] / len(qs) >= 0.15
    assert counts["false_premise"] >= 4
    assert len({q.id for q in qs}) == len(qs)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_split_is_fixed_disjoint_and_complete(name):
    c = CORPORA[name]
    split = c.split_ids()
    ids = {q.id for q in c.questions()}
    assert set(split["dev"]).isdisjoint(split["test"])
    assert set(split["dev"]) | set(split["test"]) == ids
    # Made by the seeded assignment, batch by batch, and unchanged since: re-deriving it gives the same split.
    made = json.loads(c.split_path.read_text())
    assert ec.split_in_batches(c.questions(), name, made.get("batches", []), made.get("relabelled")) == split
    # Every type is in both halves, so test figures cover what dev tuned.
    for part in ("dev", "test"):
        assert {q.type for q in c.questions(part)} == {q.type for q in c.questions()}


@pytest.mark.parametrize("name", sorted(n for n, c in CORPORA.items() if c.conversations_path.exists()))
def test_the_conversation_split_is_fixed_disjoint_and_complete(name):
    c = CORPORA[name]
    split = c.conversation_split_ids()
    assert set(split["dev"]).isdisjoint(split["test"])
    assert set(split["dev"]) | set(split["test"]) == {conv.id for conv in c.conversations()}
    # Made once by the seeded assignment (half of each conversation's rarest kind), unchanged since.
    assert ec.conversation_split(c.conversations(), name) == split
    for part in ("dev", "test"):
        kinds = {t.kind for conv in c.conversations(part) for t in conv.turns}
        assert kinds == {t.kind for conv in c.conversations() for t in conv.turns}, part


def test_a_split_is_never_overwritten(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "docs").mkdir(parents=True)
    (folder / "questions.jsonl").write_text(json.dumps(
        {"id": "t1", "question": "q?", "type": "fact", "answer": "a", "must_contain": ["a"], "docs": [], "evidence": []}) + "\n")
    turns = [{"id": "tc001.1", "question": "q?", "type": "fact", "answer": "a", "must_contain": ["a"], "docs": [], "evidence": [],
              "kind": "first", "standalone": "q?"}]
    (folder / "conversations.jsonl").write_text(json.dumps({"id": "tc001", "turns": turns}) + "\n")
    corpus = ec.load_corpus(folder)
    for make in (ec.make_split, ec.make_conversation_split):
        make(corpus)
        with pytest.raises(FileExistsError):
            make(corpus)
    with pytest.raises(FileExistsError):  # the command refuses too, for a shipped corpus
        ec.main(["--make-conversation-split", "papers"])
    assert json.loads(corpus.conversation_split_path.read_text())["test"] == ["tc001"]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_every_evidence_quote_is_in_its_documents_as_the_product_reads_them(name):
    """Quotes must be findable in the text the product extracts (4-word shingles, as the eval's
    evidence matching allows a quote cut by cleaning or a chunk boundary)."""
    c = CORPORA[name]
    texts = {p.name: _norm(read_document(p).text) for p in c.docs.iterdir()}
    missing = []
    for q in c.questions():
        body = " ".join(texts[d] for d in q.docs)
        for quote in q.evidence:
            words = _norm(quote).split()
            grams = [" ".join(words[i:i + 4]) for i in range(max(1, len(words) - 3))]
            if sum(g in body for g in grams) / len(grams) < 0.6:
                missing.append((q.id, quote[:60]))
    assert len(missing) <= 0.05 * len(c.questions()), missing


def test_the_gate_is_tuned_on_dev_questions_only(monkeypatch):
    asked = []
    real_questions, real_conversations = ec.Corpus.questions, ec.Corpus.conversations

    def spy(self, split=None):
        asked.append(("questions", split))
        return real_questions(self, split)

    def spy_conversations(self, split=None):
        asked.append(("conversations", split))
        return real_conversations(self, split)

    monkeypatch.setattr(ec.Corpus, "questions", spy)
    monkeypatch.setattr(ec.Corpus, "conversations", spy_conversations)
    for corpus in CORPORA.values():
        dev = tune_gate.dev_questions(corpus)
        assert {q.id for q in dev} == set(corpus.split_ids()["dev"])
    assert set(asked) == {("questions", "dev")}  # and no conversation at all
    # The tuning module reaches questions through dev_questions alone, and never a conversation
    # of the test split (nor all of them, which holds the test split).
    source = open(tune_gate.__file__, encoding="utf-8").read()
    assert source.count(".questions(") == 1 and 'questions("dev")' in source
    assert "test" not in re.findall(r'questions\("(\w+)"\)', source)
    assert set(re.findall(r'conversations\((.*?)\)', source)) <= {'"dev"'}
    assert "conversation_split" not in source and "conversations.jsonl" not in source


def test_the_shipped_gate_names_its_provenance():
    from rag.answer.answerability import GATE_FILE, NAMES

    gate = json.loads(GATE_FILE.read_text(encoding="utf-8"))
    assert gate["weights"] and set(gate["weights"]) <= set(NAMES)
    assert "dev splits" in gate["fitted_on"] and set(gate["leave_one_corpus_out"]) == set(CORPORA)


def test_the_intervals_table_gives_each_share_its_count_and_95_percent_interval():
    from eval.metrics import wilson

    lo, hi = wilson(0.516, 31)
    assert (round(lo, 2), round(hi, 2)) == (0.35, 0.68)
    assert wilson(0.0, 10)[0] == 0.0 and wilson(1.0, 10)[1] == 1.0 and wilson(0.5, 0) == (0.0, 1.0)
    assert wilson(0.5, 400)[1] - wilson(0.5, 400)[0] < wilson(0.5, 40)[1] - wilson(0.5, 40)[0]  # more questions, narrower
    summary = {"answers": {"correctness": 0.516, "answerable": 31}, "abstention": {"correct_abstention": 0.5, "unanswerable": 8,
                                                                                  "false_abstention": 0.0},
               "conversations": {"followup": {"correctness": 0.425, "turns": 47}}}
    table = ec.intervals({"licenses": summary, "empty": {"answers": {}}})
    row = next(line for line in table.splitlines() if line.startswith("| licenses"))
    assert "0.516 (0.35-0.68, n=31)" in row and "0.500 (0.22-0.78, n=8)" in row and "n=47" in row
    assert "| empty | – | – | – | – |" in table


def test_questions_added_later_are_split_as_a_batch_and_none_moves(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "docs").mkdir(parents=True)

    def write(n):
        (folder / "questions.jsonl").write_text("".join(json.dumps(
            {"id": f"t{i:02d}", "question": "q?", "type": "fact" if i % 3 else "unanswerable", "answer": "a",
             "must_contain": ["a"], "docs": [], "evidence": []}) + "\n" for i in range(n)))

    write(12)
    corpus = ec.load_corpus(folder)
    first = ec.make_split(corpus)
    with pytest.raises(ValueError):  # nothing new to assign
        ec.extend_split(corpus)
    write(24)
    split = ec.extend_split(corpus)
    assert set(first["dev"]) <= set(split["dev"]) and set(first["test"]) <= set(split["test"])
    assert len(split["dev"]) == len(split["test"]) == 12  # half of each type of the new batch too
    assert corpus.split_ids() == split
    batches = json.loads(corpus.split_path.read_text())["batches"]
    assert batches == [[f"t{i:02d}" for i in range(12, 24)]]
    assert ec.split_in_batches(corpus.questions(), "tiny", batches) == split
