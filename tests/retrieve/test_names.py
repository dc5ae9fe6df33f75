"""Names a question gives: the ones a passage about the same thing would spell out."""

from __future__ import annotations

import pytest

from rag.retrieve.names import specific_names


@pytest.mark.parametrize("question, names", [
    ("What does the US-Pakistan 'Green Alliance' framework involve?", ["Green Alliance"]),
    ("How do I make pip refuse unpinned packages, using --require-hashes mode?", ["--require-hashes"]),
    ("Where does pg_createcluster put the data directory?", ["pg_createcluster"]),
    ("How do I set up unattended-upgrades on my Debian 12 machine?", ["Debian 12"]),
    ("Which law governs disputes under the Apache License 2.0?", ["Apache License 2.0"]),
])
def test_names_a_passage_would_spell_out(question, names):
    assert specific_names(question) == names


@pytest.mark.parametrize("question", [
    "Under MPL 2.0, how long do I have to cure a breach?",  # "Under" opens the sentence; "MPL" is an acronym
    "My ACM paper is too long. What can I do?",
    "What's the maximum number of user-defined keywords I'm allowed?",  # apostrophes quote nothing
    "Why does the GPLv3 require modified versions to be marked?",
    "Which firmware packages come on Debian's install media?",
    # people and bodies go by several names, acronyms are spelled out as often as not
    "Which UN Security Council resolution ended the war?",
    "What did General Pervez Musharraf promise?",
])
def test_no_specific_name(question):
    assert specific_names(question) == []

