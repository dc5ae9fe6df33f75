"""Settings: the one typed configuration, read from `RAG_*` environment variables and `.env`.

Built once at the edge (app.py, the CLI, the eval runner) and passed down; nothing in `rag/`
reads the environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Every knob of the product, with its default and what it is for."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", validate_default=True
    )

    # --- paths -------------------------------------------------------------
    data_dir: Path = Field(
        PROJECT_ROOT / "data", description="Where the index (Chroma, keyword index, manifest) lives."
    )
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The default document collection.")

    # --- store -------------------------------------------------------------
    chroma_url: str | None = Field(
        None, description="http://HOST:PORT of a Chroma server; unset = embedded PersistentClient in data_dir."
    )
    collection: str = Field("documents", description="Chroma collection name.")

    # --- embedding ---------------------------------------------------------
    embed_model_path: Path | None = Field(
        None, description="Local sentence-transformers model folder; unset = the packaged all-MiniLM-L6-v2."
    )
    embed_batch_size: int = Field(32, ge=1, description="Chunks per embedding batch.")
    embed_backend: str = Field(
        "onnx-int8",
        description="onnx-int8 | onnx | torch: how the model runs (onnx exports once into embed_cache_dir; "
        "int8 measured >= 1.5x faster than torch with the same eval hit@5, see benchmarks/results.md).",
    )
    embed_cache_dir: Path | None = Field(None, description="Where the ONNX export is kept; unset = data_dir/models.")

    # --- chunking ----------------------------------------------------------
    chunk_tokens: int = Field(
        128, ge=32, le=512, description="Max word-piece tokens of a chunk body (the model reads 256 with its context line)."
    )
    chunk_overlap_tokens: int = Field(32, ge=0, description="Tokens of trailing sentences repeated in the next chunk.")

    # --- retrieval ---------------------------------------------------------
    top_k: int = Field(5, ge=1, le=50, description="Passages returned to the answerer.")
    candidates: int = Field(30, ge=1, description="Candidates per retriever before fusion.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense (vector) ranks in reciprocal-rank fusion.")
    keyword_weight: float = Field(1.6, ge=0, description="Weight of BM25 ranks in reciprocal-rank fusion.")
    sentence_weight: float = Field(
        1.0, ge=0, description="Weight of a chunk's best single-sentence match (the sentence index) in hybrid retrieval."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    fusion: Literal["score", "rrf"] = Field(
        "score", description="How dense and keyword results combine: normalized-score sum, or reciprocal rank."
    )
    reference_penalty: float = Field(
        0.5, ge=0, le=1, description="Multiplier on the fused score of bibliography chunks (reference lists rarely answer)."
    )
    author_boost: float = Field(
        0.5, ge=0, description="Extra weight for passages of a paper whose author the question names."
    )
    embed_context: Literal["full", "section", "text"] = Field(
        "text", description="What the dense vector sees besides the chunk: title+authors+section, section only, or nothing. BM25 always sees the full context."
    )
    max_overlap: float = Field(0.5, ge=0, le=1, description="Drop a passage sharing more than this fraction of characters with a better one.")
    expand_neighbors: bool = Field(False, description="Append the neighbouring chunk to a hit when the answer may span a boundary.")
    reranker_path: Path | None = Field(None, description="Local cross-encoder folder; unset = no reranking.")

    # --- answering ---------------------------------------------------------
    min_relevance: float = Field(
        0.45, description="Abstain when the best evidence scores below this (calibrated on off-corpus questions)."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    answer_sentences: int = Field(3, ge=1, le=10, description="Sentences in an extractive answer.")
    strict: bool = Field(False, description="Drop answer sentences the citation checker cannot support.")
    citation_min_coverage: float = Field(
        0.5, ge=0, le=1,
        description="Share of a sentence's content words its cited passage must contain (besides all its numbers, dates and names) to count as supported.",
    )

    # --- LLM ---------------------------------------------------------------
    llm_backend: str = Field("extractive", description="extractive | llamacpp | openai | ollama")
    llm_model: str | None = Field(None, description="Model name (openai/ollama) or GGUF path (llamacpp).")
    llm_base_url: str | None = Field(None, description="Endpoint of the openai / ollama backend.")
    llm_api_key: SecretStr | None = Field(None, description="API key of the openai backend; never logged.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of a hosted backend.")
    llm_retries: int = Field(2, ge=0, le=5, description="Retries on transient LLM errors.")
    llm_context_tokens: int = Field(4096, ge=512, description="Context window of the LLM.")
    llm_max_tokens: int = Field(384, ge=16, description="Longest generated answer in tokens.")
    llm_threads: int | None = Field(None, description="CPU threads of the llamacpp backend.")
    llm_temperature: float = Field(0.0, ge=0, le=2)

    # --- web ---------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Bind address of the web UI; 0.0.0.0 exposes it to the network.")
    port: int = Field(7860, ge=1, le=65535)
    auth_user: str | None = Field(None, description="Login user for the web UI (with auth_password).")
    auth_password: SecretStr | None = Field(None, description="Login password for the web UI.")
    max_upload_mb: float = Field(20.0, gt=0, description="Largest accepted upload.")
    concurrency: int = Field(4, ge=1, description="Answers computed at once by the web UI.")

    @field_validator("data_dir", "corpus_dir", mode="after")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"
