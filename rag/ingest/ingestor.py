"""Incremental ingest: documents -> cleaned -> chunked -> embedded -> stored, tracked by a manifest.

Unchanged files are skipped by content hash; a changed file only embeds its new chunks (ids are
content-derived); removed files lose their chunks. The manifest is saved after each document and
chunks are keyed by content, so a crash at any point is repaired by running ingest again.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from rag.ingest.chunking import CHUNKING_VERSION, chunk_document, document_id
from rag.config import Settings
from rag.ingest.documents import CLEANING_VERSION, DocumentError, find_files, read_document
from rag.index.protocols import KeywordIndex, SentenceIndex, TextEmbedder, VectorIndex
from rag.ingest.manifest import DocRecord, Manifest, ManifestError
from rag.ingest.progress import Progress, ProgressCallback
from rag.index.sentence_index import sentences_of
from rag.domain import IngestReport

log = logging.getLogger(__name__)


class Ingestor:
    """Keeps the index (vector store, keyword index, manifest) in step with files on disk."""

    def __init__(
        self, settings: Settings, embedder: TextEmbedder, store: VectorIndex, keyword: KeywordIndex | None = None,
        progress: bool = True, sentences: SentenceIndex | None = None, manifest: Manifest | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.keyword = keyword
        self.sentences = sentences
        self.progress = progress and sys.stderr.isatty()
        self.manifest = manifest if manifest is not None else Manifest.load(settings.manifest_path)
        self._saved_at, self._save_s, self._unsaved = 0.0, 0.0, False
        self._progress = Progress()

    def ingest(self, paths: list[Path] | None = None, sync: bool = True, progress: ProgressCallback | None = None) -> IngestReport:
        """Bring the index up to date with `paths` (default: the corpus folder).

        With `sync`, documents previously ingested from under these folders that no longer exist
        are removed from the index. `progress` is called at each page read and batch embedded.
        """
        t0 = time.perf_counter()
        self._progress = Progress(progress, bars=self.progress)
        paths = [Path(p).resolve() for p in (paths or [self.settings.store.corpus_dir])]
        report = IngestReport()
        files, report.skipped = find_files(paths)
        for name, why in report.skipped.items():
            log.warning("skipped %s: %s", name, why)
        self.manifest.embed_model = self.embedder.model_id
        changed = self._reset_if_config_changed()
        self._writes, self._keyword_warm = _Writer(), False
        try:
            for f in files:
                changed |= self._ingest_file(f, report)
            self._writes.wait()
            if sync:
                changed |= self._remove_missing(paths, {str(f) for f in files}, report)
        finally:
            self._progress.close()
            self._writes.close()
            self._save_manifest(force=True)
        if sync:
            changed |= self._remove_orphans()
        if self.keyword is not None and (changed or not self.keyword.is_current(self.store)):
            self.keyword.rebuild(self.store)
        report.chunks_total = self.store.count()
        report.seconds = time.perf_counter() - t0
        return report

    def index_config(self) -> dict:
        """The settings that shape chunks and vectors: when one changes, the index is rebuilt."""
        s = self.settings
        return {"chunk_tokens": s.chunking.tokens, "chunk_overlap_tokens": s.chunking.overlap_tokens,
                "embed_context": s.retrieval.embed_context, "cleaning": CLEANING_VERSION, "chunking": CHUNKING_VERSION}

    def _reset_if_config_changed(self) -> bool:
        config = self.index_config()
        if self.manifest.index_config == config:
            return False
        if self.manifest.documents or self.store.count():
            log.warning("index settings changed (%s -> %s); re-chunking and re-embedding every document",
                        self.manifest.index_config or "unknown", config)
            if self.sentences is not None:
                self.sentences.clear()
            self.store.clear()
            self.manifest.documents.clear()
        self.manifest.index_config = config
        self.manifest.save()
        return True

    def _ingest_file(self, f: Path, report: IngestReport) -> bool:
        try:
            sha = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError as e:
            report.skipped[f.name] = f"cannot read ({e.strerror or e})"
            return False
        doc_id = document_id(str(f))
        record = self.manifest.documents.get(doc_id)
        if record and record.sha256 == sha:
            report.unchanged.append(f.name)
            return False
        try:
            doc = read_document(f, progress=self._progress.pages(f.name))
        except DocumentError as e:
            # The old chunks (if any) stay: a file that went bad loses nothing already indexed.
            report.skipped[f.name] = str(e).removeprefix(f"{f.name}: ")
            log.warning("skipped %s", e)
            return False
        chunks = chunk_document(doc, self.embedder.count_tokens, self.settings.chunking.tokens, self.settings.chunking.overlap_tokens)
        # Which of its chunks the store holds: asked only for a document the manifest lists, since
        # a metadata filter scans the whole collection in Chroma. A new document's chunks left by a
        # crashed run are simply added again (a no-op for the same ids), and any of another version
        # are removed with the orphans.
        existing = self.store.ids_of(doc_id) if record else set()
        new_ids = {c.id for c in chunks}
        todo = [c for c in chunks if c.id not in existing]
        self._embed_and_add(f.name, todo)
        stale = sorted(existing - new_ids)
        report.chunks_embedded += len(todo)
        (report.updated if record or existing else report.added).append(f.name)
        done = DocRecord(
            doc_id=doc_id, path=str(f), source=doc.source, title=doc.title, authors=list(doc.authors),
            sha256=sha, chunk_ids=[c.id for c in chunks], ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            notes=list(doc.notes),
        )
        if doc.notes:
            report.notes[f.name] = list(doc.notes)
        self._writes.submit(self._finish_document, done, stale)
        return True

    def _finish_document(self, record: DocRecord, stale: list[str]) -> None:
        """After a document's new chunks are stored: drop its old ones, then list it in the manifest."""
        if self.sentences is not None:
            self.sentences.delete_chunks(stale)
        self.store.delete_ids(stale)
        self.manifest.documents[record.doc_id] = record
        self._save_manifest()

    def _save_manifest(self, force: bool = False) -> None:
        """Save the manifest after a document, unless saving has taken more than a tenth of the time.

        The manifest lists every chunk id, so one save costs time in proportion to the whole index
        and saving after each of thousands of documents made ingest quadratic. Skipping a save loses
        no consistency: chunks of a document the saved manifest does not list are removed as
        orphans on the next run and the document is ingested again."""
        now = time.perf_counter()
        if not force and now - self._saved_at < 10 * self._save_s:
            self._unsaved = True
            return
        if force and not self._unsaved:
            return
        self.manifest.save()
        self._saved_at = time.perf_counter()
        self._save_s, self._unsaved = self._saved_at - now, False

    def _embed_and_add(self, name: str, chunks) -> None:
        batch = self.settings.embedding.batch_size * 4
        if chunks and self.keyword is not None and not self._keyword_warm:
            # The keyword index is rebuilt at the end; its imports run beside the model instead.
            self._writes.submit(self.keyword.warm)
            self._keyword_warm = True
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            texts = [c.embedding_text(self.settings.retrieval.embed_context) for c in part]
            sentences = [sentences_of(c) for c in part] if self.sentences is not None else []
            self._writes.release()
            vectors = self._embed(texts + [s for group in sentences for s in group])
            if self.sentences is not None:
                # Sentences first: a chunk in the store means its sentences are there too.
                self._writes.submit(self.sentences.add, part, sentences, vectors[len(part):])
            self._writes.submit(self.store.add, part, vectors[: len(part)])
            self._progress.step(name, "passage", i + len(part), len(chunks))

    def _embed(self, texts: list[str]):
        """Vectors for texts, each distinct text embedded once: the sentences in the overlap of two
        neighbouring chunks belong to both."""
        unique = list(dict.fromkeys(texts))
        vectors = self.embedder.embed(unique)
        if len(unique) == len(texts):
            return vectors
        row = {t: i for i, t in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def _remove_missing(self, roots: list[Path], present: set[str], report: IngestReport) -> bool:
        gone = [
            r for r in self.manifest.documents.values()
            if r.path not in present and any(_under(Path(r.path), root) for root in roots)
        ]
        for r in gone:
            self._delete_document(r.doc_id)
            del self.manifest.documents[r.doc_id]
            self._save_manifest()
            report.removed.append(r.source)
        return bool(gone)

    def _remove_orphans(self) -> bool:
        """Chunks the manifest doesn't list are dropped: those of a document it doesn't know, and
        those of a new version of a known one (a crash, or an upload killed, before its save)."""
        orphans = self.store.doc_ids() - set(self.manifest.documents)
        for doc_id in orphans:
            self._delete_document(doc_id)
        listed = {cid for d in self.manifest.documents.values() for cid in d.chunk_ids}
        strays = sorted(set(self.store.all_ids()) - listed)
        if self.sentences is not None:
            self.sentences.delete_chunks(strays)
        self.store.delete_ids(strays)
        return bool(orphans or strays)

    def _delete_document(self, doc_id: str) -> None:
        if self.sentences is not None:
            self.sentences.delete_document(doc_id)
        self.store.delete_document(doc_id)

    def remove(self, doc_id: str) -> str:
        """Remove one document from the index; returns its file name."""
        record = self.manifest.documents.get(doc_id)
        if record is None:
            raise KeyError(f"no document with id {doc_id}")
        self._delete_document(doc_id)
        del self.manifest.documents[doc_id]
        self.manifest.save()
        if self.keyword is not None:
            self.keyword.rebuild(self.store)
        return record.source


class _Writer:
    """The index writes of one ingest, run in order on one background thread, so that the store's
    work overlaps the embedding of what comes next.

    Submitted writes are held until `release`, which ingest calls just before the model runs:
    Chroma's client keeps the GIL while it writes, so a write started any earlier would stall the
    reading and chunking of the next document instead of running beside the model (which releases
    it). At most `depth` released writes wait, so memory stays bounded. A failed write cancels every
    later one (they depend on it: a manifest entry on its document's chunks) and is raised in the
    ingesting thread at its next submit or wait: to the store it looks like a crash at that write,
    which the next ingest repairs."""

    def __init__(self, depth: int = 4):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._held: list = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rag-ingest-writes", daemon=True)
        self._thread.start()

    def submit(self, fn, *args) -> None:
        self._raise()
        self._held.append((fn, args))

    def release(self) -> None:
        """Start the writes submitted so far."""
        self._raise()
        for item in self._held:
            self._queue.put(item)
        self._held.clear()

    def wait(self) -> None:
        """Until every submitted write is done; raises the first failure."""
        self.release()
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Finish the write in progress, skip any still waiting (after a failure or an interrupt),
        and stop the thread."""
        if self._error is None:
            self._error = _Cancelled()
        self._held.clear()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    fn, args = item
                    fn(*args)
            except BaseException as e:  # noqa: BLE001 - re-raised in the ingesting thread
                self._error = e
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None and not isinstance(self._error, _Cancelled):
            raise self._error


class _Cancelled(Exception):
    """Marks a writer closed: writes still queued are skipped."""


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


__all__ = ["Ingestor", "ManifestError"]
