"""A check shared by the tuning scripts' tests: a script reads dev questions and nothing else."""

import re

from eval import corpora as ec


def spy_on_questions(monkeypatch) -> list:
    """The splits every Corpus.questions call asks for, from now on in this test."""
    asked = []
    real = ec.Corpus.questions

    def spy(self, split=None):
        asked.append(split)
        return real(self, split)

    monkeypatch.setattr(ec.Corpus, "questions", spy)
    return asked


def assert_source_reads_only_dev(module) -> None:
    """The module's one question loader names the dev split, and any conversation set it reads is dev's."""
    source = open(module.__file__, encoding="utf-8").read()
    assert source.count(".questions(") == 1 and re.findall(r'questions\("(\w+)"\)', source) == ["dev"]
    assert source.count(".conversations(") == source.count('.conversations("dev")') <= 1
