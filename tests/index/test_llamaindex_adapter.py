"""The llama-index boundary: searches through llama-index's vector store agree with Chroma itself, and
the product's retriever and embedder work as llama-index components."""

import numpy as np
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText

from rag.index.llamaindex_adapter import LlamaIndexRetriever, VectorSearch


def test_vector_search_matches_a_direct_chroma_query(corpus_pipeline):
    store = corpus_pipeline.store
    vector = corpus_pipeline.embedder.embed_query("When did the United States withdraw from Afghanistan?")
    direct = store.collection.query(query_embeddings=[vector.tolist()], n_results=10, include=["distances"])
    hits = VectorSearch(lambda: store.collection).nearest(vector, 10)
    assert [i for i, _ in hits] == direct["ids"][0]
    assert np.allclose([s for _, s in hits], [1 - d for d in direct["distances"][0]], atol=1e-6)
    # The similarity is the cosine of the question and the chunk's own vector.
    stored = store.collection.get(ids=[hits[0][0]], include=["embeddings"])["embeddings"][0]
    assert abs(float(np.dot(vector, stored)) - hits[0][1]) < 1e-4
    assert hits == sorted(hits, key=lambda h: -h[1])


def test_the_retriever_searches_through_llama_index(corpus_pipeline, monkeypatch):
    calls = []
    nearest = VectorSearch.nearest

    def spy(self, vector, k):
        calls.append(k)
        return nearest(self, vector, k)

    monkeypatch.setattr(VectorSearch, "nearest", spy)
    assert corpus_pipeline.retriever.retrieve("What is the Doha agreement?").passages
    assert len(calls) == 2  # the chunk search and the sentence search


def test_retriever_as_llama_index_gives_the_same_passages_as_nodes(corpus_pipeline):
    question = "Why did relations between the US and Pakistan deteriorate?"
    passages = corpus_pipeline.retriever.retrieve(question, 4).passages
    li = corpus_pipeline.retriever.as_llama_index(k=4)
    assert isinstance(li, LlamaIndexRetriever)
    nodes = li.retrieve(question)
    assert [n.node.node_id for n in nodes] == [p.id for p in passages]
    first, p = nodes[0], passages[0]
    assert first.node.get_content() == p.text and first.score == p.score
    assert first.node.metadata["source"] == p.source and first.node.metadata["section"] == p.section
    assert (first.node.start_char_idx, first.node.end_char_idx) == (p.start, p.end)
    # It plugs into a llama-index query engine: NO_TEXT returns the sources without calling the LLM.
    engine = RetrieverQueryEngine(li, response_synthesizer=NoText(llm=MockLLM()))
    response = engine.query(question)
    assert [n.node.node_id for n in response.source_nodes] == [p.id for p in passages]


def test_embedder_as_llama_index_builds_an_index(corpus_pipeline):
    embedder = corpus_pipeline.embedder
    model = embedder.as_llama_index()
    assert np.allclose(model.get_query_embedding("Doha agreement"), embedder.embed_query("Doha agreement"), atol=1e-6)
    docs = [Document(text="Heavy rain fell across the valley in April."), Document(text="The orchestra played a symphony.")]
    index = VectorStoreIndex.from_documents(docs, embed_model=model)
    hit = index.as_retriever(similarity_top_k=1).retrieve("Which concert music was performed?")[0]
    assert "orchestra" in hit.node.get_content()
