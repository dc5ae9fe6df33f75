"""The ingest manifest: which documents are in the index, with their content hash and chunk ids.

Written atomically (temp file + rename) after each document, so a crash leaves either the old or
the new state on disk, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

VERSION = 1


class ManifestError(RuntimeError):
    """The manifest on disk is unreadable; `rag ingest --rebuild` restores it."""


@dataclass
class DocRecord:
    doc_id: str
    path: str
    source: str
    title: str
    authors: list[str]
    sha256: str
    chunk_ids: list[str]
    ingested_at: str
    notes: list[str] = field(default_factory=list)  # what reading it could not do ("3 of 40 pages have no text")


@dataclass
class Manifest:
    path: Path
    embed_model: str = ""
    index_config: dict = field(default_factory=dict)  # settings the chunks and vectors depend on
    documents: dict[str, DocRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        path = Path(path)
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            docs = {k: DocRecord(**v) for k, v in data["documents"].items()}
            return cls(path=path, embed_model=data.get("embed_model", ""), index_config=data.get("index_config", {}), documents=docs)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ManifestError(
                f"the ingest manifest {path} is corrupt ({e}); run `rag ingest --rebuild` to rebuild the index"
            ) from None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": VERSION,
            "embed_model": self.embed_model,
            "index_config": self.index_config,
            # vars(), not asdict(): the fields are flat, and asdict deep-copies every chunk id list.
            "documents": {k: vars(v) for k, v in sorted(self.documents.items())},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".manifest-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                # Compact: json's C encoder only runs without indent, ~10x faster on big manifests.
                json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def by_path(self, path: str) -> DocRecord | None:
        return next((d for d in self.documents.values() if d.path == path), None)
