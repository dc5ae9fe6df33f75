"""The vector store: Chroma (embedded PersistentClient or a Chroma server). Chunks go in and
Passages come out; Chroma objects stop here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass, replace

from rag.config import Settings
from rag.domain import Chunk, Passage

log = logging.getLogger(__name__)


# Chunks per page when reading the whole collection: Chroma's memory for a `get` grows with the
# page (about 130 MB kept after 5,000-chunk pages of text and metadata, 40 MB after 1,000-chunk
# ones, measured) and smaller pages are no slower.
PAGE = 1000


class StoreError(RuntimeError):
    """The vector store cannot be opened or used; the message says what to do."""


SERVER_HINT = (
    "Start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, or unset RAG_CHROMA_URL "
    "to use the embedded store; nothing in the index is lost"
)


@contextlib.contextmanager
def _server_errors(location: str):
    """A lost connection to the Chroma server as a StoreError that says what to do."""
    try:
        yield
    except Exception as e:
        if not _is_connection_error(e):
            raise
        raise StoreError(f"the Chroma server at {location} is not answering ({e}). {SERVER_HINT}") from None


def _is_connection_error(e: Exception) -> bool:
    try:
        import httpx

        if isinstance(e, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - chromadb's HTTP client depends on httpx
        pass
    return isinstance(e, ConnectionError) or "Could not connect to a Chroma server" in str(e)


class _ServerCollection:
    """A Chroma HTTP collection whose calls raise StoreError while the server is down. The HTTP
    client reconnects on its next request, so the same object works again once the server is back."""

    def __init__(self, collection, location: str):
        self._collection = collection
        self._location = location

    def __getattr__(self, name):
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            with _server_errors(self._location):
                return attr(*args, **kwargs)

        return call


# HNSW's search breadth. Chroma's default (100) missed 1.5% of the 120 nearest sentences, and which
# ones changed from one process to the next (a collection under Chroma's sync threshold is rebuilt
# from its log on every open, by several threads), so the same question could rank its passages
# differently between two runs. At 512 it finds 99.9% of them (eval/reports/hnsw_recall.md: 0.985
# before) and answers from the same passages in every run, in well under a millisecond more.
SEARCH_EF = 512


def _search_widely(collection) -> None:
    """Raise the collection's HNSW search breadth to SEARCH_EF (a setting Chroma lets change later)."""
    config = getattr(collection, "configuration", None) or {}
    hnsw = (config.get("hnsw") if isinstance(config, dict) else None) or {}
    if hnsw.get("ef_search", 0) < SEARCH_EF:
        try:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
        except Exception as e:  # noqa: BLE001 - an older server without the setting searches as before
            log.warning("could not widen the HNSW search of %s: %s", collection.name, e)


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.store.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.store.chroma_url)
        try:
            port = url.port
        except ValueError:
            port = -1
        if url.scheme not in ("http", "https") or not url.hostname or port == -1:
            raise StoreError(f"RAG_CHROMA_URL must look like http://HOST:PORT, not {settings.store.chroma_url!r}")
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https", settings=chroma_settings,
            )
        except Exception as e:
            raise StoreError(f"cannot reach the Chroma server at {settings.store.chroma_url}: {e}. {SERVER_HINT}") from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def drop_collection(settings: Settings) -> None:
    """Delete the collection (for a rebuild); a missing one is fine."""
    client = _client(settings)
    for name in (settings.store.collection, f"{settings.store.collection}__sentences"):
        _delete_collection(client, name, settings.store.chroma_url or str(settings.chroma_dir))


def _delete_collection(client, name: str, location: str) -> None:
    """Delete one collection; a missing one is fine, a server that does not answer is a StoreError."""
    with _server_errors(location):
        try:
            client.delete_collection(name)
        except Exception as e:  # chromadb raises different errors for a missing collection across versions
            if _is_connection_error(e):
                raise
            log.debug("no collection %s to drop: %s", name, e)


@dataclass(frozen=True)
class StoredChunk:
    """What the store knows of a chunk (for the keyword index and the library view)."""

    id: str
    doc_id: str
    text: str
    context: str
    source: str
    title: str
    section: str
    index: int
    is_reference: bool = False

    @property
    def sort_key(self) -> tuple:
        return (self.source, self.doc_id, self.index)


class VectorStore:
    """One Chroma collection that records the embedding model which built it."""

    def __init__(self, settings: Settings, embed_model_id: str):
        self.settings = settings
        self.embed_model_id = embed_model_id
        self.location = settings.store.chroma_url or str(settings.chroma_dir)
        try:
            self.client = _client(settings)
            self.collection = self.open_collection(settings.store.collection)
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(f"cannot open the Chroma collection at {self.location}: {e}") from None
        built_with = (self.collection.metadata or {}).get("embed_model")
        if built_with and built_with != embed_model_id:
            raise StoreError(
                f"the index at {self.location} was built with embedding model {built_with!r}, "
                f"not {embed_model_id!r}; use that model or rebuild with `rag ingest --rebuild`"
            )

    def open_collection(self, name: str):
        """A collection of this store's client (created if missing), recording the embedding model."""
        collection = self.client.get_or_create_collection(
            name,
            metadata={"hnsw:space": "cosine", "embed_model": self.embed_model_id},
            embedding_function=None,  # we always pass vectors; Chroma's default would download a model
        )
        _search_widely(collection)
        return _ServerCollection(collection, self.location) if self.settings.store.chroma_url else collection

    def recreate_collection(self, name: str):
        """Drop a collection and open it again empty."""
        _delete_collection(self.client, name, self.location)
        with _server_errors(self.location):
            return self.open_collection(name)

    # --- writes ------------------------------------------------------------
    def clear(self) -> None:
        """Remove every chunk by recreating the collection: a rebuilt index starts from an empty
        vector index, as a first ingest does, rather than one whose HNSW graph still holds every
        deleted entry, and no per-document deletes are needed."""
        self.collection = self.recreate_collection(self.settings.store.collection)

    # Written straight to Chroma: llama-index's ChromaVectorStore built a TextNode per chunk, turned
    # each vector into a list of Python floats and stored the node again as JSON in the metadata,
    # work and disk that nothing here reads (indexes written by it stay readable and deletable).
    def add(self, chunks: list[Chunk], embeddings) -> None:
        """Add chunks with their vectors (ids are content-derived, so a re-add is a no-op)."""
        import numpy as np

        if not chunks:
            return
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if len(embeddings) != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} vectors")
        with _server_errors(self.location):
            self.collection.add(
                ids=[c.id for c in chunks], embeddings=embeddings, documents=[c.text for c in chunks],
                metadatas=[_metadata(c) for c in chunks],
            )

    def delete_ids(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 5000):
            with _server_errors(self.location):
                self.collection.delete(ids=ids[i : i + 5000])

    def delete_document(self, doc_id: str) -> None:
        with _server_errors(self.location):
            self.collection.delete(where={"doc_id": doc_id})

    # --- reads -------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def all_ids(self) -> list[str]:
        total = self.count()
        return [i for off in range(0, total, PAGE) for i in self.collection.get(include=[], limit=PAGE, offset=off)["ids"]]

    def ids_of(self, doc_id: str) -> set[str]:
        return set(self.collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def doc_ids(self) -> set[str]:
        return {m["doc_id"] for m in self._metadatas() if m and "doc_id" in m}

    def _metadatas(self, batch: int = PAGE):
        total = self.count()
        for offset in range(0, total, batch):
            yield from self.collection.get(include=["metadatas"], limit=batch, offset=offset)["metadatas"]

    def iter_chunks(self, batch: int = PAGE):
        """Every chunk with its text, in store order, a batch at a time (memory stays bounded)."""
        for offset in range(0, self.count(), batch):
            got = self.collection.get(include=["documents", "metadatas"], limit=batch, offset=offset)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield _stored(cid, text or "", meta or {})

    def all_chunks(self, batch: int = PAGE) -> list[StoredChunk]:
        """Every chunk with its text, in a stable order."""
        return sorted(self.iter_chunks(batch), key=lambda c: c.sort_key)

    def get(self, ids: list[str], vector=None) -> list[Passage]:
        """The chunks with these ids, in that order; scored by cosine similarity to `vector` if given."""
        if not ids:
            return []
        include = ["documents", "metadatas"] + (["embeddings"] if vector is not None else [])
        got = self.collection.get(ids=ids, include=include)
        if vector is None:
            scores = [0.0] * len(got["ids"])
        else:
            import numpy as np

            scores = (np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1) @ np.asarray(vector, dtype=np.float32)).tolist()
        by_id = {cid: _passage(cid, text or "", meta or {}, score)
                 for cid, text, meta, score in zip(got["ids"], got["documents"], got["metadatas"], scores)}
        return [by_id[i] for i in ids if i in by_id]

    def neighbour(self, passage: Passage, offset: int) -> Passage | None:
        found = self.chunk_at(passage.doc_id, passage.index + offset)
        return None if found is None else replace(found, score=passage.score)

    def chunk_at(self, doc_id: str, index: int) -> Passage | None:
        """The chunk at a position in a document (0 = its front matter), or None."""
        got = self.collection.get(
            where={"$and": [{"doc_id": doc_id}, {"index": index}]}, include=["documents", "metadatas"]
        )
        if not got["ids"]:
            return None
        return _passage(got["ids"][0], got["documents"][0] or "", got["metadatas"][0] or {}, 0.0)

    def nearest(self, vector, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, best first: ids only, since
        fetching metadata costs Chroma more than the search (`get` fetches what is needed)."""
        return self.search.nearest(vector, k)

    @functools.cached_property
    def search(self):
        from rag.index.llamaindex_adapter import VectorSearch

        return VectorSearch(lambda: self.collection)


HEADING_SEP = " > "  # heading_path is stored flat: "2 R Basics > 2.5 How can R be installed?"


def _metadata(c: Chunk) -> dict:
    meta = {
        "doc_id": c.doc_id, "source": c.source, "title": c.title, "section": c.section, "start": c.start, "end": c.end,
        "index": c.index, "authors": "; ".join(c.authors), "is_reference": c.is_reference,
        "heading_path": HEADING_SEP.join(c.heading_path),
    }
    if c.page is not None:  # Chroma keeps no None values: unpaginated files have no page keys
        meta["page"] = c.page
        meta["page_end"] = c.page_end if c.page_end is not None else c.page
    return meta


def _page(meta: dict, key: str) -> int | None:
    value = meta.get(key)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _passage(cid: str, text: str, meta: dict, score: float) -> Passage:
    authors = tuple(a for a in str(meta.get("authors", "")).split("; ") if a)
    return Passage(
        id=cid, source=str(meta.get("source", "")), title=str(meta.get("title", "")), section=str(meta.get("section", "")),
        text=text, score=score, start=int(meta.get("start", 0)), end=int(meta.get("end", 0)), authors=authors,
        doc_id=str(meta.get("doc_id", "")), index=int(meta.get("index", 0)),
        is_reference=bool(meta.get("is_reference", False)), page=_page(meta, "page"), page_end=_page(meta, "page_end"),
        heading_path=tuple(h for h in str(meta.get("heading_path", "")).split(HEADING_SEP) if h),
    )


def _stored(cid: str, text: str, meta: dict) -> StoredChunk:
    p = _passage(cid, text, meta, 0.0)
    chunk = Chunk(id=cid, doc_id=p.doc_id, source=p.source, title=p.title, section=p.section, text=text,
                  start=p.start, end=p.end, index=p.index, authors=p.authors, is_reference=p.is_reference,
                  page=p.page, page_end=p.page_end, heading_path=p.heading_path)
    return StoredChunk(id=cid, doc_id=p.doc_id, text=text, context=chunk.context, source=p.source,
                       title=p.title, section=p.section, index=p.index, is_reference=p.is_reference)
