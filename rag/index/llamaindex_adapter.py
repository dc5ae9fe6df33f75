"""The llama-index boundary. The retriever's vector searches go through llama-index's vector-store
interface (a `VectorStoreQuery` on its `ChromaVectorStore`), and the product's embedder and
retriever are offered as llama-index components for its indexes and query engines.

Other modules import this one only when they search: llama-index takes about 1.5 s to import, which
`rag status` and an unchanged `rag ingest` do not pay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryResult
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr


class IdsOnlyChromaVectorStore(ChromaVectorStore):
    """ChromaVectorStore whose queries return ids and cosine similarities, without nodes.

    The stock store also fetches every hit's text and metadata and parses them into nodes, which
    costs Chroma more than the search itself (metadata for ~150 hits was a large part of the 209 ms
    p95 at 87k chunks before); the retriever fetches the passages once, for all its candidates
    together, with `VectorStore.get`."""

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The public llama-index query, answered with ids and similarities only (no filters needed here)."""
        got = self.client.query(
            query_embeddings=[query.query_embedding], n_results=query.similarity_top_k, include=["distances"], **kwargs
        )
        # The stock store reports exp(-distance); in the cosine space 1 - distance is the cosine itself.
        return VectorStoreQueryResult(ids=got["ids"][0], similarities=[1.0 - float(d) for d in got["distances"][0]])


class VectorSearch:
    """The k nearest ids of a Chroma collection, with their cosine similarity, through llama-index.

    `collection` is called for the collection to search, so a store that recreates its collection
    (a rebuild) is searched without being told."""

    def __init__(self, collection: Callable[[], Any]):
        self._collection = collection
        self._store: IdsOnlyChromaVectorStore | None = None

    @property
    def store(self) -> IdsOnlyChromaVectorStore:
        collection = self._collection()
        if self._store is None or self._store.client is not collection:
            self._store = IdsOnlyChromaVectorStore(chroma_collection=collection)
        return self._store

    def nearest(self, vector, k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity), best first."""
        result = self.store.query(VectorStoreQuery(query_embedding=[float(x) for x in vector], similarity_top_k=k))
        return list(zip(result.ids or [], result.similarities or []))


class LlamaIndexEmbedding(BaseEmbedding):
    """The product's embedder (either backend) as a llama-index embedding model."""

    _embedder = PrivateAttr()

    def __init__(self, embedder, **kw):
        super().__init__(model_name=embedder.model_id, embed_batch_size=embedder.batch_size, **kw)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_query(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class LlamaIndexRetriever(BaseRetriever):
    """The product's hybrid retriever as a llama-index retriever: passages become scored TextNodes
    carrying their source, title, section and character offsets."""

    def __init__(self, retriever, k: int | None = None):
        super().__init__()
        self._inner, self._k = retriever, k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._inner.retrieve(query_bundle.query_str, self._k).passages
        return [NodeWithScore(node=passage_node(p), score=p.score) for p in passages]


def passage_node(p) -> TextNode:
    """A Passage as a llama-index TextNode."""
    return TextNode(
        id_=p.id, text=p.text, start_char_idx=p.start, end_char_idx=p.end,
        metadata={"source": p.source, "title": p.title, "section": p.section, "doc_id": p.doc_id,
                  "authors": "; ".join(p.authors), "index": p.index},
    )
