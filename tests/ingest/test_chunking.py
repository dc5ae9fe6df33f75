"""Chunks: whole sentences, within the embedding model's limit, with metadata and stable ids."""

from rag.ingest.chunking import chunk_document, is_reference
from rag.ingest.documents import parse_document, read_document

from tests.conftest import CORPUS


def test_corpus_chunks_fit_the_model_and_carry_metadata(corpus_pipeline):
    embedder = corpus_pipeline.embedder
    s = corpus_pipeline.settings
    doc = read_document(CORPUS / "004_29f2909e5ffeaef2.txt")
    chunks = chunk_document(doc, embedder.count_tokens, s.chunking.tokens, s.chunking.overlap_tokens)
    assert len(chunks) > 20
    for c in chunks:
        assert c.text == doc.text[c.start : c.end]  # offsets index the cleaned text
        assert embedder.count_tokens(c.text) <= s.chunking.tokens
        # what the model reads (with the title/section header) still fits its 256-token window
        assert embedder.count_tokens(c.embedding_text(s.retrieval.embed_context)) <= embedder.max_tokens - 2
        assert c.source == "004_29f2909e5ffeaef2.txt"
        assert c.title.startswith("The Dynamics of Pakistan-US Relations")
        assert c.section
    assert any(c.section == "8.1.3. Counterterrorism" for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_chunks_end_on_sentence_boundaries_and_overlap():
    text = "A Heading For Testing\n\n" + " ".join(f"Sentence number {i} says something about topic {i}." for i in range(60))
    doc = parse_document(text, path=__import__("pathlib").Path("t.txt"))
    count = lambda t: len(t.split())  # noqa: E731 - a word count stands in for the tokenizer here
    chunks = chunk_document(doc, count, max_tokens=40, overlap_tokens=10)
    assert len(chunks) > 5
    assert chunks[0].title == "A Heading For Testing"
    for c in chunks:
        assert c.text.endswith(".")
        assert c.text.startswith(("Sentence number", "A Heading For Testing"))
        assert count(c.text) <= 40
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # consecutive chunks share trailing sentences


def test_a_chunk_never_ends_with_a_lead_in_cut_from_what_it_introduces():
    # Octave's manual: "The following example creates a 2-by-2 cell array containing empty matrices" ended a
    # chunk and its example began the next, so neither answered "how do I create an empty 2 by 2 cell array?"
    lead = "The following example creates a 2-by-2 cell array containing empty matrices"
    text = ("# Creating Cell Arrays\n\n" + " ".join(f"Sentence number {i} says something about topic {i}." for i in range(5))
            + f" {lead}\n\n```\nc = cell (2,2)\nc = {{ [1,1] = [](0x0) }}\n```\n\nThe size function also works for cell arrays.")
    doc = parse_document(text, path=__import__("pathlib").Path("t.md"))
    count = lambda t: len(t.split())  # noqa: E731 - a word count stands in for the tokenizer here
    budget = count(doc.text[:doc.text.index(lead) + len(lead)])  # the lead-in just fits the first chunk
    chunks = chunk_document(doc, count, max_tokens=budget, overlap_tokens=5)
    assert not any(c.text.endswith("empty matrices") for c in chunks)
    assert any(c.text.startswith(lead) and "c = cell (2,2)" in c.text for c in chunks)


def test_ids_are_content_derived_and_stable():
    doc = read_document(CORPUS / "000_f583a770491e03be.txt")
    count = lambda t: len(t.split())  # noqa: E731
    a = chunk_document(doc, count, 100, 20)
    b = chunk_document(doc, count, 100, 20)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)


def test_overlong_sentence_and_giant_token_are_cut_to_fit():
    text = "Title Here\n\n" + "word " * 500 + "end. " + "x" * 5000 + " done."
    doc = parse_document(text, path=__import__("pathlib").Path("long.txt"))
    count = lambda t: sum(max(1, len(w) // 4) for w in t.split())  # noqa: E731 - ~4 characters a token
    chunks = chunk_document(doc, count, max_tokens=50, overlap_tokens=10)
    assert all(count(c.text) <= 50 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") >= 5000


def test_reference_lists_are_flagged():
    assert is_reference("References", "Anything at all.")
    refs = "Smith, J. (2020). A book. https://example.org/a. Doe, K. (2019). Another. https://example.org/b."
    assert is_reference("Conclusion", refs)
    assert not is_reference("Conclusion", "Pakistan and the United States have had a long relationship with many ups and downs over the decades.")
