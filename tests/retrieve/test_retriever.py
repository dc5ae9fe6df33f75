"""Hybrid retrieval on the real store: each retriever's strengths survive fusion; results are clean."""

import pytest

from rag.wiring import Pipeline
from rag.retrieve.query import answering_document, document_names, titled_documents
from rag.retrieve.retriever import _overlap, is_authorship_question, mentioned_documents

from tests.conftest import make_settings

DOCS = {
    "medicine.txt": "Clinic Notes On Care\n\nThe physician prescribed medication for the child's fever after the examination at the clinic.",
    "parts.txt": "Parts Catalogue Entries\n\nThe replacement valve carries the catalogue code XQ-47 Zephyr and fits the older pumps in the depot.",
    "weather.txt": "Weather Diary For Spring\n\nHeavy rain fell across the valley in April and the river rose above its banks near the old mill.",
    "trade.txt": "Trade Report For Textiles\n\nExports of cotton textiles grew by a fifth last year as new markets opened in the region.",
    "music.txt": "Concert Review Of The Season\n\nThe orchestra performed a symphony by a young composer to a full hall on Saturday evening.",
}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    pipe = Pipeline(make_settings(root / "data", docs, top_k=2, candidates=3))
    pipe.ingestor.ingest()
    return pipe


def _sources(pipe, mode, question):
    retriever = Pipeline(pipe.settings, retrieval_mode=mode).retriever
    return [p.source for p in retriever.retrieve(question, 2).passages]


def test_keyword_only_match_is_found_by_hybrid(toy):
    q = "Which item has code XQ-47?"
    assert _sources(toy, "keyword", q)[0] == "parts.txt"
    assert toy.retriever.retrieve(q, 2).passages[0].source == "parts.txt"


def test_dense_only_match_is_found_by_hybrid(toy):
    q = "Which doctor gave drugs to a kid with a temperature?"  # no word in common with the passage
    assert "medicine.txt" not in _sources(toy, "keyword", q)
    assert _sources(toy, "dense", q)[0] == "medicine.txt"
    assert toy.retriever.retrieve(q, 2).passages[0].source == "medicine.txt"


def test_no_two_results_overlap_beyond_the_limit(corpus_pipeline):
    limit = corpus_pipeline.settings.retrieval.max_overlap
    for q in ("What did Pakistan do after 9/11?", "Why did relations between the US and Pakistan deteriorate?"):
        passages = corpus_pipeline.retriever.retrieve(q, 10).passages
        assert len(passages) == 10
        for i, a in enumerate(passages):
            for b in passages[i + 1 :]:
                assert _overlap(a, b) <= limit


def test_scores_are_cosine_similarities_and_ranked_results_are_sorted_by_relevance(corpus_pipeline):
    passages = corpus_pipeline.retriever.retrieve("Doha agreement between the US and the Taliban", 5).passages
    assert all(-1.0 <= p.score <= 1.0 for p in passages)
    assert any("Doha" in p.text for p in passages[:2])


def test_who_wrote_question_brings_the_front_matter(corpus_pipeline):
    passages = corpus_pipeline.retriever.retrieve("Who wrote the paper that applies dependency theory?", 5).passages
    assert passages[0].source == "004_29f2909e5ffeaef2.txt"
    assert any(p.index == 0 and "Kashaf Imran" in p.text for p in passages[:2])


def test_author_names_in_a_question():
    authors = {"a": ("Nasreen Akhtar", "Kenneth Holland"), "b": ("Taimur Shamil",), "c": ("Kashaf Imran",)}
    assert mentioned_documents("What do Akhtar and Holland argue?", authors)[0] == {"a"}
    named, rest = mentioned_documents("According to Shamil, how long has it lasted?", authors)
    assert named == {"b"} and "Shamil" not in rest
    assert mentioned_documents("Why did Imran Khan visit Moscow?", authors)[0] == set()  # someone else
    assert is_authorship_question("Who wrote the policy outlook?")
    assert not is_authorship_question("Who leads the Taliban?")


LICENCES = {
    "gpl-2.0": document_names("GNU GENERAL PUBLIC LICENSE Version 2, June 1991", "gpl-2.0.txt"),
    "gpl-3.0": document_names("GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007", "gpl-3.0.txt"),
    "lgpl-3.0": document_names("GNU LESSER GENERAL PUBLIC LICENSE Version 3, 29 June 2007", "lgpl-3.0.txt"),
    "mpl-2.0": document_names("Mozilla Public License Version 2.0", "mpl-2.0.txt"),
    "apache-2.0": document_names("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "apache-2.0.txt"),
}
MANUALS = {
    "refcard": document_names("Debian Reference Card", "debian-refcard.pdf"),
    "tutorial": document_names("Debian Packaging Tutorial", "packaging-tutorial.pdf"),
    "guide": document_names("Guide for Debian Maintainers", "debmake-doc.pdf"),
    "logging": document_names("Logging HOWTO", "logging-howto.md"),
}


def test_a_question_names_a_document_by_its_title_or_file_name():
    assert titled_documents("I broke the GPLv2; do my users lose their rights?", LICENCES) == {"gpl-2.0"}
    assert titled_documents("I never signed the GPL version 2, so why am I bound?", LICENCES) == {"gpl-2.0"}
    assert titled_documents("Under LGPLv3, how many days do I have?", LICENCES) == {"lgpl-3.0"}
    # The title was read badly; the file name still names it, with 'License' between its words.
    assert titled_documents("Why does the Apache License 2.0 forbid that?", LICENCES) == {"apache-2.0"}
    assert titled_documents("Which port does the reference card give for CUPS?", MANUALS) == {"refcard"}
    assert titled_documents("What does the maintainers' guide suggest?", MANUALS) == {"guide"}


def test_a_topic_word_alone_names_no_document():
    assert titled_documents("Does version 2 of anything apply?", LICENCES) == set()  # 'version 2' is in two names
    assert titled_documents("How do I turn logging off?", MANUALS) == set()  # one title word is the topic
    # 'package' and 'Debian' are both in the tutorial's title, but 'file' between them is no name word.
    assert titled_documents("Which package did a file on my Debian system come from?", MANUALS) == set()


def test_the_one_document_a_question_names_as_a_name_is_the_one_that_answers():
    assert answering_document("Why does the Apache License 2.0 forbid that?", LICENCES) == {"apache-2.0"}
    assert answering_document("I broke the GPLv2; do my users lose their rights?", LICENCES) == {"gpl-2.0"}
    # two documents named: a comparison, which either may answer
    assert answering_document("Does MPL 2.0 or Apache License 2.0 allow a warranty fee?", LICENCES) == frozenset()
    # lowercase title words name a topic as often as a document: "license free" is in the GFDL's title
    names = {**LICENCES, "gfdl-1.3": document_names("GNU Free Documentation License Version 1.3", "gfdl-1.3.txt")}
    assert titled_documents("Does Debian consider the BSD license free?", names) == {"gfdl-1.3"}
    assert answering_document("Does Debian consider the BSD license free?", names) == frozenset()
    # or the one document whose author it names
    authors = {"a": ("Nasreen Akhtar", "Kenneth Holland"), "b": ("Taimur Shamil",)}
    assert answering_document("According to Shamil, what can the US do?", {}, authors) == {"b"}
    assert answering_document("Do Shamil and Holland agree?", {}, authors) == frozenset()  # two documents


def test_the_document_a_question_names_ranks_first(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    clause = "The warranty on the pump lasts {} months from the day of purchase, and covers seals and valves."
    (docs / "pump-manual-2.txt").write_text("Pump Manual Edition 2\n\n" + clause.format("twelve"), encoding="utf-8")
    # Edition 3 words the clause closer to the question, so only the named edition can put edition 2 first.
    (docs / "pump-manual-3.txt").write_text(
        "Pump Manual Edition 3\n\n" + clause.format("eighteen") + " How long is the pump warranty? Eighteen months.",
        encoding="utf-8")
    pipe = Pipeline(make_settings(tmp_path / "data", docs, top_k=2, candidates=3))
    pipe.ingestor.ingest()
    assert pipe.retriever.retrieve("How long is the pump warranty under edition 2 of the pump manual?").passages[0].source == "pump-manual-2.txt"
    assert pipe.retriever.retrieve("How long is the pump warranty?").passages[0].source == "pump-manual-3.txt"
    # and only the named edition answers, though edition 3 words the clause closer to the question
    answer = pipe.answerer.ask("How long is the pump warranty under Pump Manual Edition 2?")
    assert not answer.abstained and "twelve" in answer.answer and "ighteen" not in answer.answer
    assert {c.source for c in answer.citations if f"[{c.n}]" in answer.answer} == {"pump-manual-2.txt"}


def test_removed_document_cannot_be_found_by_keyword_or_sentence(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    pipe = Pipeline(make_settings(tmp_path / "data", docs))
    pipe.ingestor.ingest()
    assert pipe.keyword.search("XQ-47 Zephyr valve", 5)
    sentences_before = pipe.sentences.count()
    (docs / "parts.txt").unlink()
    pipe.ingestor.ingest()
    assert pipe.keyword.search("XQ-47 Zephyr valve", 5) == []
    assert pipe.sentences.count() == sentences_before - 1
    assert all(p.source != "parts.txt" for p in pipe.retriever.retrieve("XQ-47 Zephyr valve", 5).passages)


def test_several_wordings_are_fused_and_scored_against_the_first(corpus_pipeline):
    r = corpus_pipeline.retriever
    resolved, typed = "How did Raymond Davis manage to leave Pakistan afterwards?", "How did he manage to leave Pakistan afterwards?"
    one = r.retrieve(resolved, 5)
    assert [p.id for p in r.retrieve_all([resolved], 5).passages] == [p.id for p in one.passages]  # one wording: retrieve itself
    both = r.retrieve_all([resolved, typed], 5)
    assert len(both.passages) == 5 and any("allowed to leave Pakistan" in p.text for p in both.passages)
    assert r.retrieve(typed, 10).passages[0].id in {p.id for p in both.passages}  # the typed wording's best keeps a place
    by_resolved = {p.id: p.score for p in r.retrieve(resolved, 10).passages}
    assert all(abs(p.score - by_resolved[p.id]) < 1e-3 for p in both.passages if p.id in by_resolved)
    assert set(both.ranks) == {p.id for p in both.passages}
    limit = corpus_pipeline.settings.retrieval.max_overlap
    assert all(_overlap(a, b) <= limit for i, a in enumerate(both.passages) for b in both.passages[i + 1:])
    assert (both.query_vector == one.query_vector).all()


def test_a_follow_up_searches_the_documents_the_last_answer_cited_harder(toy):
    """`prefer` (a follow-up's last cited documents) lifts their passages by `continuity_boost`;
    with no documents to prefer, or a boost of 0, the ranking is the plain one."""
    q = "What rose last year in the region near the valley?"
    plain = toy.retriever.retrieve(q, 2).passages
    runner_up = plain[1]
    boosted = Pipeline(toy.settings.updated(continuity_boost=5.0)).retriever
    assert [p.id for p in boosted.retrieve(q, 2).passages] == [p.id for p in plain]  # nothing preferred
    lifted = boosted.retrieve_all([q, "What rose?"], 2, prefer=frozenset({runner_up.doc_id})).passages
    assert lifted[0].doc_id == runner_up.doc_id
    off = Pipeline(toy.settings.updated(continuity_boost=0.0)).retriever
    assert [p.id for p in off.retrieve(q, 2, frozenset({runner_up.doc_id})).passages] == [p.id for p in plain]
