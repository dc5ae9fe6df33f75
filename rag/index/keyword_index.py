"""The keyword index: BM25 over the chunks' contextual text, persisted beside Chroma.

It is derived from the vector store (rebuilt after every ingest that changed anything) and
carries a fingerprint of the chunk ids it was built from, so a stale or damaged index is
detected instead of silently returning chunks that no longer exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

from rag.language import STOPWORDS, TOKENS_VERSION, content_words, initials, meaningful, stem, words


class KeywordIndexError(RuntimeError):
    """The keyword index on disk is unreadable or out of step with the store."""


def _fingerprint(ids: list[str]) -> str:
    h = hashlib.sha1()
    for i in sorted(ids):
        h.update(i.encode())
        h.update(b"\n")
    return h.hexdigest()


# What an index holds besides its terms; an index saved in another format is rebuilt from the chunks.
FORMAT = 3  # 2: the initials of the collection's capitalised names; 3: its words as written (for spelling)


class KeywordIndex:
    """BM25 (k1=1.5, b=0.75) with weights precomputed into a sparse term-document matrix."""

    def __init__(self, directory: Path, k1: float = 1.5, b: float = 0.75):
        self.dir = Path(directory)
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.matrix = None  # scipy CSC, docs x terms
        self.fingerprint = ""
        self.tokens = TOKENS_VERSION  # the tokenizer the terms were made with
        self.format = FORMAT
        self.initials: set[str] = set()
        self.spellings: set[str] = set()  # every word as written (lowercased), unstemmed
        self._loaded = False
        self._row: dict[str, int] = {}
        self._last = None  # (query, matrix, scores) of the last query

    # --- building ------------------------------------------------------------
    @staticmethod
    def warm() -> None:
        """Import what building needs (scipy takes a fifth of a second), e.g. on a thread ahead of a rebuild."""
        from scipy import sparse  # noqa: F401

    def build(self, ids: list[str], texts) -> None:
        """Index texts, one per id. `texts` may be any iterable: it is read once and only each
        text's term counts are kept, so memory grows with the index, not with the text."""
        from scipy import sparse

        vocab: dict[str, int] = {}
        names: set[str] = set()
        spellings: set[str] = set()
        cols, tfs, sizes, lengths = array("i"), array("f"), array("i"), array("f")
        for text in texts:
            names |= initials(text)
            written = words(text)
            spellings.update(written)
            spellings.update(part for w in written if "-" in w for part in w.split("-"))
            counts = Counter(stem(w) for w in written if meaningful(w))
            cols.extend(vocab.setdefault(term, len(vocab)) for term in counts)
            tfs.extend(counts.values())
            sizes.append(len(counts))
            lengths.append(sum(counts.values()))
        n = len(sizes)
        if n != len(ids):
            raise ValueError(f"{len(ids)} ids but {n} texts")
        cols_a = np.array(cols, dtype=np.int32)
        tf = np.array(tfs, dtype=np.float32)
        length = np.array(lengths, dtype=np.float32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.array(sizes, dtype=np.int64), out=indptr[1:])
        avgdl = float(length.mean()) if n else 1.0
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc_len = np.repeat(length, np.diff(indptr))  # each entry's text length
        weights = idf[cols_a] * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * doc_len / max(avgdl, 1e-6)))
        csr = sparse.csr_matrix((weights.astype(np.float32), cols_a, indptr), shape=(n, len(vocab)), dtype=np.float32)
        self.matrix = csr.tocsc()
        self.ids, self.vocab, self.idf = list(ids), vocab, idf
        self.fingerprint = _fingerprint(self.ids)
        self.tokens, self.format, self.initials, self.spellings = TOKENS_VERSION, FORMAT, names, spellings
        self._row = {}
        self._loaded = True

    def rebuild(self, store) -> None:
        """Rebuild from every chunk in the vector store and save atomically.

        The chunks are streamed from the store (a batch at a time) and the rows put in a stable
        order (by source, document, position) afterwards."""
        ids, keys = [], []

        def texts():
            for c in store.iter_chunks():
                ids.append(c.id)
                keys.append(c.sort_key)
                yield c.context

        self.build(ids, texts())
        order = sorted(range(len(ids)), key=keys.__getitem__)
        self.matrix = self.matrix.tocsr()[order].tocsc()
        self.ids, self._row = [ids[i] for i in order], {}
        self.save()

    def save(self) -> None:
        from scipy import sparse

        self.dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.dir.parent, prefix=".keyword-"))
        sparse.save_npz(tmp / "matrix.npz", self.matrix)
        np.save(tmp / "idf.npy", self.idf)
        meta = {"ids": self.ids, "vocab": list(self.vocab), "fingerprint": self.fingerprint, "k1": self.k1, "b": self.b,
                "tokens": self.tokens, "format": self.format, "initials": sorted(self.initials),
                "spellings": sorted(self.spellings)}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        old = self.dir.with_name(self.dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.dir.exists():
            os.replace(self.dir, old)
        os.replace(tmp, self.dir)
        shutil.rmtree(old, ignore_errors=True)

    # --- loading -------------------------------------------------------------
    def exists(self) -> bool:
        return (self.dir / "meta.json").exists()

    def load(self) -> KeywordIndex:
        from scipy import sparse

        try:
            meta = json.loads((self.dir / "meta.json").read_text(encoding="utf-8"))
            self.matrix = sparse.load_npz(self.dir / "matrix.npz").tocsc()
            self.idf = np.load(self.dir / "idf.npy")
            self.ids, self.fingerprint = meta["ids"], meta["fingerprint"]
            self.tokens = meta.get("tokens", 1)
            self.format, self.initials = meta.get("format", 1), set(meta.get("initials", []))
            self.spellings = set(meta.get("spellings", []))
            self.vocab = {t: i for i, t in enumerate(meta["vocab"])}
            self._row = {}
            if self.matrix.shape != (len(self.ids), len(self.vocab)) or len(self.idf) != len(self.vocab):
                raise ValueError("shapes do not match")
            if _fingerprint(self.ids) != self.fingerprint:
                raise ValueError("fingerprint does not match its ids")
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as e:  # a cut .npz is a bad zip
            raise KeywordIndexError(
                f"the keyword index in {self.dir} is damaged ({e}); run `rag ingest --rebuild`"
            ) from None
        self._loaded = True
        return self

    def ensure_loaded(self) -> None:
        if not self._loaded:
            if not self.exists():
                self.build([], [])
            else:
                self.load()

    def is_current(self, store) -> bool:
        try:
            self.ensure_loaded()
        except KeywordIndexError:
            return False
        # Terms made by another tokenizer would not match the queries' terms: rebuilt from the chunks.
        return self.fingerprint == _fingerprint(store.all_ids()) and self.tokens == TOKENS_VERSION and self.format == FORMAT

    # --- querying ------------------------------------------------------------
    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the k best chunks with a positive score."""
        scores = self._scores(query)
        if scores is None:
            return []
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top]

    def scores_for(self, query: str, ids: list[str]) -> dict[str, float]:
        """BM25 scores of particular chunks (candidates found by the dense retriever)."""
        self.ensure_loaded()
        if not ids:
            return {}
        if len(self._row) != len(self.ids):
            self._row = {cid: i for i, cid in enumerate(self.ids)}
        scores = self._scores(query)
        out = dict.fromkeys(ids, 0.0)
        if scores is not None:
            out.update((c, float(scores[self._row[c]])) for c in ids if c in self._row)
        return out

    def _scores(self, query: str):
        """Every chunk's BM25 score for the query (None when no query term is indexed). The last
        query's are kept: the retriever asks `search` and then `scores_for` about the same question."""
        self.ensure_loaded()
        last = self._last  # one read: answers run in parallel threads
        if last is not None and last[0] == query and last[1] is self.matrix:
            return last[2]
        # In a fixed order: summed in set order, the scores differ in their last bits from one process to the next.
        terms = [self.vocab[t] for t in sorted(set(self._terms(query))) if t in self.vocab]
        scores = np.asarray(self.matrix[:, terms].sum(axis=1)).ravel() if terms and self.ids else None
        self._last = (query, self.matrix, scores)
        return scores

    def _terms(self, query: str) -> list[str]:
        """The query's stemmed terms; a compound no chunk holds whole ("search-and-replace") is
        searched by its parts, as a document that writes them apart has them."""
        return [part for t in content_words(query) for part in (self._parts(t) if t not in self.vocab else [t])]

    def _parts(self, term: str) -> list[str]:
        """A stemmed compound's meaningful parts as the index spells them: "bsd-licens" -> "bsd",
        "licens" (its last part is stemmed already, the others are not). [term] when it is no compound."""
        if "-" not in term:
            return [term]
        return [p if p in self.vocab else stem(p) for p in term.split("-") if p and p not in STOPWORDS]

    def knows(self, term: str) -> bool:
        """Does any chunk contain this stemmed term, or spell it out ("LGPL": "Lesser General Public License"),
        or, for a compound, each of its parts ("BSD-licensed": "BSD", "licensed")?"""
        self.ensure_loaded()
        if term in self.vocab or term in self.initials:
            return True
        parts = self._parts(term)
        return "-" in term and bool(parts) and all(p in self.vocab for p in parts)

    def writes(self, word: str) -> bool:
        """Does any chunk contain this lowercased word exactly as written (not only its stem), alone
        or as part of a hyphenated one ("buildpackage" of "dpkg-buildpackage")?"""
        self.ensure_loaded()
        return word in self.spellings

    def idf_of(self, term: str) -> float:
        """Inverse document frequency of a stemmed term (unknown terms get the maximum)."""
        self.ensure_loaded()
        i = self.vocab.get(term)
        if i is None:
            return float(np.log(1.0 + (len(self.ids) + 0.5) / 0.5))
        return float(self.idf[i])
