"""The index both flows meet at: embeddings, the Chroma vector and sentence indexes, BM25, and the llama-index boundary."""
