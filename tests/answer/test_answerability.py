"""Answerability's reading of a question (does it ask for a value, of what unit; who held a role)
and of a sentence (does it state one), and the gate's decision from the fitted weights."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer.answerability import Gate, Signals, asked_role, asks_someone, names_role, names_someone


def test_who_held_a_role():
    assert asked_role("Who was the ambassador to Pakistan in 2011?") == "ambassador"
    assert names_role("Cameron Munter, the US ambassador, resigned.", "ambassador")
    assert not names_role("the ministry summoned the ambassador over the remark.", "ambassador")


def test_who_did_something_is_answered_by_a_name_the_question_lacks():
    assert asks_someone("Who wrote libtasn1?") and asks_someone("and whom did he blame?")
    assert asks_someone("Who is the author of the zoo paper?")
    assert not asks_someone("Who was Raymond Davis?") and not asks_someone("What is the WHO?")
    q = "Who wrote libtasn1?"
    assert names_someone(q, "Fabio Fiorina Simon Josefsson (help-libtasn1@gnu.org)")
    assert names_someone(q, "It was written by Guido van Rossum.") and names_someone(q, "It is maintained by the FSF.")
    # what a real manual's best sentences held instead of a name: a file name, a label, a sentence opener
    assert not names_someone(q, "The header file of this library is libtasn1.h.")
    assert not names_someone(q, "asn1_perror (int error) [Function] error: is an error returned by a libtasn1 function.")
    assert not names_someone(q, "Note that since libtasn1 3.7 the ider parameters can be omitted.")
    # a title whose words the question holds, and a date, name nobody
    q = "Who maintains the shared MIME-info specification?"
    assert not names_someone(q, "This is version 0.21 of the Shared MIME-info Database specification, updated 2 October 2018.")


def test_the_gate_weighs_only_its_fitted_signals():
    gate = Gate.load()
    strong = Signals(semantic=0.9, coverage=0, focus=0, answer_type=1, value=1, margin=0, agreement=0, known=1, score=0.9,
                     passage=0.9)
    weak = Signals(semantic=0.2, coverage=1, focus=1, answer_type=1, value=0, margin=1, agreement=1, known=0.3, score=0.2,
                   passage=0.2)
    assert gate.answers(strong) and not gate.answers(weak)
    assert not gate.answers(None)
    assert set(gate.weights) <= set(Signals.__dataclass_fields__)


def test_everyday_words_the_collection_lacks_do_not_count_against_the_question():
    """The `known` signal: "gave" and "lose" are everyday English, "violin" is a subject the collection lacks."""
    from rag.answer.answerability import measure
    from rag.answer.extractive import Evidence
    from rag.domain import Passage

    class Extractive:  # the collection's vocabulary and IDF, as the answerer's extractive scorer gives them
        @staticmethod
        def known(term):
            return term in {"peopl", "copi", "right"}

        @staticmethod
        def idf(term):
            return 1.0

    sentence = "The rights of people who received copies are not terminated."
    evidence = [Evidence(text=sentence, passage=0, score=0.6, semantic=0.6)]
    passages = [Passage(id="c1", source="gpl.txt", title="GPL", section="", text=sentence, score=0.6)]

    def known(question):
        return measure(question, evidence, passages, {}, Extractive).known

    assert known("Do the people I gave copies to lose their rights?") == 1.0
    assert known("Do the people who play the violin lose their rights?") == pytest.approx(4 / 5)
    # the passage signal is the cosine of the best sentence's whole passage (its retrieval score), not the sentence's
    assert measure("Who keeps their rights?", evidence, [replace(passages[0], score=0.35)], {}, Extractive).passage == 0.35


def test_a_name_the_question_gives_must_be_in_a_retrieved_passage():
    """A near miss that names what the documents lack ("Green Alliance", "--require-hashes") is
    not answered from passages about its neighbours; spacing and punctuation do not hide a name."""
    from rag.answer.answerability import measure, mentions
    from rag.answer.extractive import Evidence
    from rag.domain import Passage

    def passage(text):
        return Passage(id="c1", source="a.pdf", title="Tutorial", section="", text=text, score=0.6)

    assert mentions([passage("Licensed under the Apache License, Version 2.0 (the License).")], "Apache License 2.0")
    assert mentions([passage("ld: undefined reference to symbol ’ ceil@@GLIBC_2 .2.5 ’")],
                    "undefined reference to symbol ceil@@GLIBC_2.2.5")
    assert not mentions([passage("The US and Pakistan formed an alliance in 1954 against the Soviet Union. Green energy came later.")], "Green Alliance")
    assert mentions([passage("An alliance on green energy was formed.")], "Green Alliance")  # near and in any order
    assert not mentions([passage("Pip checks hashes when you require them.")], "--require-hashes")
    # a name's number is the user's setting unless the documents give the name another one
    assert mentions([passage("Windows: %LocalAppData%\\pip\\Cache")], "Windows 10")
    assert not mentions([passage("Upgrading from Debian 11 bullseye is described here.")], "Debian 12")
    assert mentions([passage("Packages should use Python 3 only.")], "Python 3.12")
    assert not mentions([passage("Packages should use Python 2.7 only.")], "Python 3.12")
    # an abbreviation is held where its words are spelled out; a what-about item must be held too
    assert mentions([passage("This is the GNU General Public License version 2 of June 1991.")], "GPLv2")
    assert not mentions([passage("MacOS: ~/Library/Caches/pip Linux: ~/.cache/pip")], "FreeBSD")

    class Extractive:
        known = None

        @staticmethod
        def idf(term):
            return 1.0

    sentence = "The US and Pakistan formed an alliance to cooperate on climate and agriculture."
    evidence = [Evidence(text=sentence, passage=0, score=0.7, semantic=0.7)]
    q = "What does the 'Green Alliance' on climate and agriculture involve?"
    assert measure(q, evidence, [passage(sentence)], {}, Extractive).value == 0.0
    # in a conversation only the names typed now count: the resolved query carries the last turn's
    cache = "MacOS: ~/Library/Caches/pip Linux: ~/.cache/pip"
    evidence_cache = [Evidence(text=cache, passage=0, score=0.7, semantic=0.7)]
    asked = "where does pip put its cache? and on FreeBSD?"
    assert measure(asked, evidence_cache, [passage(cache)], {}, Extractive, typed="and on FreeBSD?").value == 0.0
    assert measure(asked, evidence_cache, [passage(cache)], {}, Extractive, typed="and on Linux?").value == 1.0
    resolved = "What does it involve? (Green Alliance climate agriculture)"
    assert measure(resolved, evidence, [passage(sentence)], {}, Extractive, typed="What does it involve?").value == 1.0


def test_a_sentence_repeated_by_overlapping_chunks_counts_once_among_the_best_three():
    """debian-policy: "Who should be listed as maintainer of an orphaned package?" The definition
    sentence sits in two overlapping chunks and had taken two of the three places the who check
    reads, so "Debian QA Group", fourth, was never seen and the question was refused."""
    from rag.answer.answerability import measure
    from rag.answer.extractive import Evidence
    from rag.domain import Passage

    class Extractive:
        known = None

        @staticmethod
        def idf(term):
            return 1.0

    texts = ["Every package must have a maintainer, except for orphaned packages as described below.",
             "An orphaned package is one with no current maintainer.",
             "An orphaned package is one with no current maintainer.",
             "Orphaned packages should have their Maintainer control field set to Debian QA Group <packages@qa.debian.org>."]
    evidence = [Evidence(text=t, passage=i, score=0.8 - 0.05 * i, semantic=0.8) for i, t in enumerate(texts)]
    passages = [Passage(id=f"c{i}", source="policy.html", title="Binary packages", section="", text=t, score=0.6)
                for i, t in enumerate(texts)]
    q = "Who should be listed as maintainer of an orphaned package?"
    assert measure(q, evidence, passages, {}, Extractive).value == 1.0
    assert measure(q, evidence[:3] + [evidence[1]], passages, {}, Extractive).value == 0.0  # no name at all


def test_a_thing_is_no_one():
    # a word with a capital inside names a thing ("StructuredText", Docutils' FAQ), not the person asked for
    q = "Who came up with the name?"
    assert not names_someone(q, 'The name came from a combination of "StructuredText", one of its predecessors.')
    assert names_someone(q, "The name was proposed by DeVito.") and names_someone(q, "It was McCarthy's idea.")
