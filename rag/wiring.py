"""The assembled product: Settings -> embedder, store, keyword index, retriever, answerer.

Parts are built on first use, so `rag status` touches neither torch nor the model.
"""

from __future__ import annotations

from functools import cached_property

from rag.config import Settings
from rag.language import everyday_stems


class Pipeline:
    """One place that wires the components; the CLI, the web UI and the eval share it."""

    def __init__(self, settings: Settings, retrieval_mode: str = "hybrid"):
        self.settings = settings
        self.retrieval_mode = retrieval_mode

    @cached_property
    def embedder(self):
        from rag.index.embedding import Embedder

        return Embedder(self.settings)

    @cached_property
    def store(self):
        from rag.index.vectors import VectorStore

        return VectorStore(self.settings, self.embedder.model_id)

    @cached_property
    def sentences(self):
        from rag.index.sentence_index import SentenceIndex

        return SentenceIndex(self.store)

    @cached_property
    def keyword(self):
        from rag.index.keyword_index import KeywordIndex

        return KeywordIndex(self.settings.keyword_dir)

    @cached_property
    def manifest(self):
        """What is indexed (files, titles, authors): ingest keeps it current, retrieval reads authors from it."""
        from rag.ingest.manifest import Manifest

        return Manifest.load(self.settings.manifest_path)

    @cached_property
    def ingestor(self):
        from rag.ingest.ingestor import Ingestor

        return Ingestor(self.settings, self.embedder, self.store, self.keyword, sentences=self.sentences, manifest=self.manifest)

    @cached_property
    def retriever(self):
        from rag.retrieve.rerank import CrossEncoderReranker
        from rag.retrieve.query import document_names
        from rag.retrieve.retriever import Retriever

        reranker = CrossEncoderReranker(self.settings.retrieval.reranker_path) if self.settings.retrieval.reranker_path else None
        def authors() -> dict[str, tuple[str, ...]]:
            return {d.doc_id: tuple(d.authors) for d in self.manifest.documents.values()}

        def names() -> dict[str, tuple[str, ...]]:
            return {d.doc_id: document_names(d.title, d.source) for d in self.manifest.documents.values()}

        return Retriever(
            self.settings, self.embedder, self.store, self.keyword, reranker, mode=self.retrieval_mode, authors=authors,
            sentences=self.sentences, names=names,
        )

    @cached_property
    def answerer(self):
        from rag.answer.answerer import Answerer
        from rag.answer.extractive import ExtractiveAnswerer

        extractive = ExtractiveAnswerer(
            self.embedder, self.keyword.idf_of, self.settings.answer.answer_sentences, known=self.keyword.knows
        )
        speller = None
        if self.settings.retrieval.correct_spelling:
            from rag.retrieve.spelling import Speller, english_words

            speller = Speller(self.keyword.writes, self.keyword.knows, self.keyword.idf_of, lambda: english_words(self.embedder.words()))
        return Answerer(self.settings, self.retriever, extractive, speller=speller)

    def warm(self) -> None:
        """Load the models now (the server does this once, before the first question), and search
        once, so the first question does not also pay for importing llama-index and for Chroma
        loading its vector indexes, nor for the speller's English word list."""
        self.keyword.ensure_loaded()
        self.retriever.retrieve("warm up")
        everyday_stems()  # the gate's everyday English (the same word list)
        if self.answerer.speller is not None:
            self.answerer.speller.english  # noqa: B018 (loads the list)
