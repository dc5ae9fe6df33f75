"""The baseline the benchmarks compare with: llama-index's starter example, run on our corpus with
our embedding model."""

from __future__ import annotations

from pathlib import Path


class StarterPipeline:
    """llama-index's starter example: default 1024-token SentenceSplitter, in-memory VectorStoreIndex,
    similarity_top_k=2, with our embedding model wrapped as a llama-index BaseEmbedding."""

    def __init__(self, embedder, corpus_dir: Path):
        self.embedder = embedder
        self.corpus_dir = Path(corpus_dir)
        self.chunks = 0

    def build(self) -> None:
        from llama_index.core import Document, VectorStoreIndex

        docs = [Document(text=p.read_text(encoding="utf-8", errors="replace"), metadata={"file_name": p.name})
                for p in sorted(self.corpus_dir.glob("*.txt"))]
        self.index = VectorStoreIndex.from_documents(docs, embed_model=self.embedder.as_llama_index())
        self.chunks = len(self.index.docstore.docs)
        self.retriever = self.index.as_retriever(similarity_top_k=2)

    def retrieve(self, question: str) -> list[str]:
        return [n.node.get_content() for n in self.retriever.retrieve(question)]
