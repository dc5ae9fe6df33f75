"""Synthetic collections for the scale rows and eval.big_document: documents of recombined
corpus sentences, and embedders that record what they embed or answer with perturbed real vectors
in place of the model (sizes whose embedding would take hours on 2 cores)."""

from __future__ import annotations

import random
from pathlib import Path

from rag.config import Settings


def corpus_sentences(corpus_dir: Path) -> list[str]:
    """The corpus's sentences of six words or more (text for synthetic documents and vector pools)."""
    from rag.ingest.documents import find_files, read_document
    from rag.language import split_sentences

    out = []
    files, _ = find_files([Path(corpus_dir)])
    for f in files:
        text = read_document(f).text
        out += [text[a:b].strip() for a, b in split_sentences(text) if len(text[a:b].split()) >= 6]
    return out


def synthetic_text(sentences: list[str], words: int, rng: random.Random) -> str:
    """Random corpus sentences, joined, until there are at least `words` words."""
    got, n = [], 0
    while n < words:
        s = rng.choice(sentences)
        got.append(s)
        n += len(s.split())
    return " ".join(got)


def write_synthetic_docs(folder: Path, sentences: list[str], chunks: int, rng: random.Random, count_tokens, s: Settings) -> None:
    """Text files of recombined corpus sentences (30 paragraphs each), as many as it takes to make
    about `chunks` chunks: the first file is chunked to learn how many chunks a file makes."""
    from rag.ingest.chunking import chunk_document
    from rag.ingest.documents import read_document

    folder.mkdir(parents=True, exist_ok=True)

    def write(d: int) -> Path:
        paras = [synthetic_text(sentences, 60, rng) for _ in range(30)]
        path = folder / f"synthetic_{d:05d}.txt"
        path.write_text(f"Synthetic document {d}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
        return path

    per_file = max(1, len(chunk_document(read_document(write(0)), count_tokens, s.chunking.tokens, s.chunking.overlap_tokens)))
    for d in range(1, max(1, round(chunks / per_file))):
        write(d)


class RecordingEmbedder:
    """The embedder, noting what it was asked to embed (or, with `keep`, keeping that many vectors
    as a pool for the precomputed sizes)."""

    def __init__(self, inner, keep: int = 0):
        self.inner, self.keep = inner, keep
        self.texts: list[str] = []
        self.count = 0
        self._kept: list = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts: list[str]):
        vecs = self.inner.embed(texts)
        self.count += len(texts)
        if not self.keep:
            self.texts.extend(texts)
        elif sum(len(v) for v in self._kept) < self.keep:
            self._kept.append(vecs)
        return vecs

    def pool(self):
        import numpy as np

        return np.vstack(self._kept)


class PrecomputedEmbedder:
    """Stands in for the model at scale: each text gets a real vector from the pool plus noise
    (sigma 0.02, renormalized), so the store and indexes see realistic, distinct vectors."""

    def __init__(self, inner, pool, rng: random.Random):
        import numpy as np

        self.inner, self.pool = inner, pool
        self.gen = np.random.default_rng(rng.randrange(2**32))
        self.count = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts: list[str]):
        import numpy as np

        self.count += len(texts)
        base = self.pool[self.gen.integers(0, len(self.pool), len(texts))]
        noisy = base + self.gen.normal(0, 0.02, base.shape).astype(np.float32)
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def replace_model_output(embedder_cls, pool_texts: list[str], seed: int = 7) -> None:
    """Make `embedder_cls` load and run its model as usual, but answer each `embed` call with
    perturbed real vectors, as the precomputed scale rows do: on the first call the model embeds
    `pool_texts` (real vectors, and the model's memory is really used), and every later text gets
    one of those plus noise. For measuring everything but the model on inputs too big to embed here
    (`python -m eval.big_document --vectors precomputed`)."""
    real_embed = embedder_cls.embed
    state: dict = {}

    def embed(self, texts: list[str]):
        if "fake" not in state:
            state["fake"] = PrecomputedEmbedder(self, real_embed(self, pool_texts), random.Random(seed))
        return state["fake"].embed(texts)

    embedder_cls.embed = embed
