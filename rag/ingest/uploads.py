"""The document library behind the web chat: what is indexed, adding uploads, removing documents.

An upload is checked (type, size), stored under a sanitised name in the upload folder, and
ingested at once. A file the reader rejects is taken out again and, if it replaced an earlier
upload of the same name, that one is put back: a bad upload changes nothing. Every change to the
index holds the write side of the index lock, so questions in flight never see it half done.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from rag.ingest.documents import KINDS, SUPPORTED
from rag.ingest.manifest import DocRecord
from rag.ingest.progress import ProgressCallback
from rag.rwlock import ReadWriteLock

if TYPE_CHECKING:
    from rag.wiring import Pipeline

ALLOWED_TYPES = tuple(sorted(SUPPORTED))  # what the Library tab offers: what read_document reads
MAX_NAME_CHARS = 120


class LibraryError(ValueError):
    """An upload or removal that cannot be done; the message says why, for the user."""


@dataclass(frozen=True)
class Added:
    """The outcome of one accepted upload."""

    name: str  # the name it is stored under
    doc_id: str
    title: str
    chunks: int
    status: str  # added | updated | unchanged

    def message(self) -> str:
        what = {"added": "added", "updated": "replaced the earlier version", "unchanged": "already in the library, unchanged"}[self.status]
        return f"{self.name}: {what} ({self.chunks} passages) — “{self.title}” is searchable now"


def safe_filename(name: str) -> str:
    """A file name that stays inside the upload folder: folder parts dropped, only letters (of
    any script), digits, dot, dash and underscore kept, no leading dot, bounded length."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = re.sub(r"[^\w.-]+", "_", base).strip("._-")
    stem, dot, ext = base.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = base, ""
    stem = stem.strip("._-")[: MAX_NAME_CHARS - len(ext) - 1] or "upload"
    return f"{stem}.{ext.lower()}" if ext else stem


def table_row(d: DocRecord) -> list:
    """A document as the library table shows it: title, file, passages, when ingested (UTC), notes."""
    return [d.title, d.source, len(d.chunk_ids), d.ingested_at.replace("T", " ").replace("+00:00", " UTC"), "; ".join(d.notes)]


class Library:
    """The documents in one pipeline's index, and the ways the web UI changes them."""

    def __init__(self, pipeline: Pipeline, lock: ReadWriteLock):
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.lock = lock

    @property
    def upload_dir(self) -> Path:
        return self.settings.upload_dir

    def documents(self) -> list[DocRecord]:
        """Indexed documents, by title."""
        with self.lock.read():
            docs = list(self.pipeline.ingestor.manifest.documents.values())
        return sorted(docs, key=lambda d: (d.title.lower(), d.source))

    def rows(self) -> list[list]:
        """The library table, one row per document."""
        return [table_row(d) for d in self.documents()]

    def check(self, path: Path, name: str) -> None:
        """Reject an upload by type or size before touching anything."""
        ext = Path(name).suffix.lower()
        if ext not in ALLOWED_TYPES:
            raise LibraryError(f"{name}: {ext or 'files without an extension'} cannot be added; use {KINDS}")
        try:
            size = Path(path).stat().st_size
        except OSError as e:
            raise LibraryError(f"{name}: the upload could not be read ({e.strerror or e})") from None
        limit = self.settings.web.max_upload_mb * 1024 * 1024
        if size > limit:
            raise LibraryError(
                f"{name}: {size / 1024 / 1024:.1f} MB is over the {self.settings.web.max_upload_mb:g} MB limit (setting RAG_MAX_UPLOAD_MB)"
            )

    def add(self, path: Path, name: str | None = None, progress: ProgressCallback | None = None) -> Added:
        """Store the uploaded file under a safe name and ingest it; LibraryError if rejected.
        `progress` gets each page read and batch embedded (rag.ingest.progress)."""
        name = name or Path(path).name
        self.check(path, name)
        folder = self.upload_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = (folder / safe_filename(name)).resolve()
        if target.parent != folder.resolve():  # safe_filename makes this impossible; belt and braces
            raise LibraryError(f"{name}: not a valid file name")
        with self.lock.write():
            self._refuse_duplicate(Path(path), target, name)
            backup = self._stage(Path(path), target)
            try:
                report = self.pipeline.ingestor.ingest([target], sync=False, progress=progress)
            except BaseException:
                self._restore(target, backup)
                raise
            if report.skipped:
                self._restore(target, backup)
                why = next(iter(report.skipped.values()))
                raise LibraryError(f"{name}: {why}; nothing was changed")
            if backup:
                backup.unlink(missing_ok=True)
            record = self.pipeline.ingestor.manifest.by_path(str(target))
        status = "added" if target.name in report.added else "updated" if target.name in report.updated else "unchanged"
        return Added(target.name, record.doc_id, record.title, len(record.chunk_ids), status)

    def remove(self, doc_id: str) -> str:
        """Take a document out of the index (and delete its file if it was uploaded here)."""
        with self.lock.write():
            record = self.pipeline.ingestor.manifest.documents.get(doc_id)
            if record is None:
                raise LibraryError("that document is no longer in the library")
            self.pipeline.ingestor.remove(doc_id)
            path = Path(record.path)
            if path.parent == self.upload_dir.resolve():
                path.unlink(missing_ok=True)
                return f"Removed “{record.title}” ({record.source})."
        return (
            f"Removed “{record.title}” ({record.source}) from the index. Its file is still in {path.parent}, "
            "so the next full ingest will add it back; delete the file there to remove it for good."
        )

    def recover(self) -> list[str]:
        """Undo uploads a killed process left half done (run at start, before the index sync):
        temporary copies are deleted, a file the index does not know is taken out, and an earlier
        version kept aside is put back when the index still holds it. Returns what was done."""
        folder = self.upload_dir
        if not folder.is_dir():
            return []
        done = []
        manifest = self.pipeline.ingestor.manifest
        for tmp in folder.glob(".incoming-*"):
            tmp.unlink(missing_ok=True)
            done.append(f"deleted the unfinished copy {tmp.name}")
        for backup in folder.glob(".*.previous"):
            target = backup.with_name(backup.name[1 : -len(".previous")])
            record = manifest.by_path(str(target.resolve()))
            if record and record.sha256 == hashlib.sha256(backup.read_bytes()).hexdigest():
                os.replace(backup, target)  # the new version never made it into the index
                done.append(f"put back the indexed version of {target.name}")
            else:
                backup.unlink()
        for f in folder.iterdir():
            if f.is_file() and not f.name.startswith(".") and manifest.by_path(str(f.resolve())) is None:
                f.unlink()
                done.append(f"removed {f.name}, an upload that did not finish")
        return done

    # --- file handling -------------------------------------------------------
    def _refuse_duplicate(self, src: Path, target: Path, name: str) -> None:
        """The same content under another file would only repeat every passage."""
        try:
            sha = hashlib.sha256(src.read_bytes()).hexdigest()
        except OSError as e:
            raise LibraryError(f"{name}: the upload could not be read ({e.strerror or e})") from None
        for d in self.pipeline.ingestor.manifest.documents.values():
            if d.sha256 == sha and d.path != str(target):
                raise LibraryError(f"{name}: the same file is already in the library as {d.source}")

    def _stage(self, src: Path, target: Path) -> Path | None:
        """Copy the upload into place atomically; an earlier file of that name is kept aside."""
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=target.suffix)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise LibraryError(f"{target.name}: the upload could not be stored ({e.strerror or e})") from None
        backup = None
        if target.exists():
            backup = target.with_name(f".{target.name}.previous")
            os.replace(target, backup)
        os.replace(tmp, target)
        return backup

    @staticmethod
    def _restore(target: Path, backup: Path | None) -> None:
        if backup is not None:
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
