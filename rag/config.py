"""Settings: the one typed configuration, grouped by concern, read from `RAG_*` environment
variables and `.env`.

Built once at the edge (app.py, the CLI, the eval harness) and passed down; nothing else in `rag/`
reads the environment. Every group keeps the flat `RAG_*` names (`RAG_TOP_K`, `RAG_LLM_BACKEND`),
and `Settings(top_k=3)` / `settings.updated(llm_backend="openai")` accept them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LLM_BACKENDS = ("extractive", "llamacpp", "openai", "ollama", "llama-index")
EMBED_BACKENDS = ("onnx-int8", "onnx", "torch")


def _config(prefix: str = "RAG_") -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore", validate_default=True)


class StoreSettings(BaseSettings):
    """Where the collection and its index live."""

    model_config = _config()

    data_dir: Path = Field(
        Path("data"), description="Where the index (Chroma, keyword index, manifest, uploads) lives; relative to the working directory."
    )
    corpus_dir: Path = Field(Path("corpus"), description="The default document collection; relative to the working directory.")
    chroma_url: str | None = Field(
        None, description="http://HOST:PORT of a Chroma server; unset = embedded PersistentClient in data_dir."
    )
    collection: str = Field("documents", description="Chroma collection name.")

    @field_validator("data_dir", "corpus_dir", mode="after")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()


class EmbeddingSettings(BaseSettings):
    """The embedding model and how it runs (`RAG_EMBED_*`)."""

    model_config = _config("RAG_EMBED_")

    model_path: Path | None = Field(
        None, description="Local sentence-transformers model folder; unset = the packaged all-MiniLM-L6-v2."
    )
    batch_size: int = Field(32, ge=1, description="Chunks per embedding batch.")
    backend: Literal[EMBED_BACKENDS] = Field(  # type: ignore[valid-type]
        "onnx-int8",
        description="onnx-int8 | onnx | torch: how the model runs (onnx exports once into cache_dir; "
        "int8 measured >= 1.5x faster than torch with the same eval hit@5, see docs/benchmarks.md).",
    )
    cache_dir: Path | None = Field(None, description="Where the ONNX export is kept; unset = data_dir/models.")


class ChunkingSettings(BaseSettings):
    """How documents are cut into passages (`RAG_CHUNK_*`); a change rebuilds the index on the next ingest."""

    model_config = _config("RAG_CHUNK_")

    tokens: int = Field(
        128, ge=32, le=512, description="Max word-piece tokens of a chunk body (the model reads 256 with its context line)."
    )
    overlap_tokens: int = Field(32, ge=0, description="Tokens of trailing sentences repeated in the next chunk.")


class RetrievalSettings(BaseSettings):
    """Candidate search, fusion and clean-up of the passages handed to the answerer."""

    model_config = _config()

    top_k: int = Field(5, ge=1, le=50, description="Passages returned to the answerer.")
    candidates: int = Field(30, ge=1, description="Candidates per retriever before fusion.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense (vector) scores in fusion.")
    keyword_weight: float = Field(1.6, ge=0, description="Weight of BM25 scores in fusion.")
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
        0.5, ge=0, description="Extra weight for passages of a document whose author, title or file name the question names."
    )
    continuity_boost: float = Field(
        0.0, ge=0,
        description="Extra weight, for a follow-up question, for passages of the document the last answer cited first "
        "(a conversation mostly stays in its documents; it is searched harder, never reused as evidence). Off (0) by "
        "default: 0.6 gained 3 dev conversation turns but lost 2 on test (docs/evaluation.md).",
    )
    embed_context: Literal["full", "section", "text"] = Field(
        "text", description="What the dense vector sees besides the chunk: title+authors+section, section only, or nothing. BM25 always sees the full context."
    )
    correct_spelling: bool = Field(
        True, description="Correct a question's misspelt words (ones neither the collection nor English knows, one edit "
        "from a collection word) before searching; the corrected question is shown as 'searched for'.",
    )
    max_overlap: float = Field(0.5, ge=0, le=1, description="Drop a passage sharing more than this fraction of characters with a better one.")
    expand_neighbors: bool = Field(False, description="Append the neighbouring chunk to a hit when the answer may span a boundary.")
    reranker_path: Path | None = Field(None, description="Local cross-encoder folder; unset = no reranking.")


class AnswerSettings(BaseSettings):
    """What makes an answer: the abstention floor, its length, and the citation checker."""

    model_config = _config()

    answerability_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Answer only when the answerability gate's probability reaches this; unset = the threshold fitted "
        "with the gate on the dev splits of the eval corpora (rag/answer/gate.json). Higher abstains more.",
    )
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    answer_sentences: int = Field(3, ge=1, le=10, description="Sentences in an extractive answer.")
    strict: bool = Field(False, description="Drop answer sentences the citation checker cannot support.")
    citation_min_coverage: float = Field(
        0.5, ge=0, le=1,
        description="Share of a sentence's content words its cited passage must contain (besides all its numbers, dates and names) to count as supported.",
    )


class LLMSettings(BaseSettings):
    """The answer generator (`RAG_LLM_*`): extractive needs no model."""

    model_config = {**_config("RAG_LLM_"), "validate_by_name": True}  # class_path is read from RAG_LLM_CLASS

    backend: Literal[LLM_BACKENDS] = Field("extractive", description=" | ".join(LLM_BACKENDS))  # type: ignore[valid-type]
    model: str | None = Field(None, description="Model name (openai/ollama/llama-index) or GGUF path (llamacpp).")
    base_url: str | None = Field(None, description="Endpoint of the openai / ollama backend (llama-index: passed as api_base or base_url).")
    api_key: SecretStr | None = Field(
        None, description="API key of the openai, ollama or llama-index backend (passed as api_key); never logged or shown."
    )
    class_path: str | None = Field(
        None, validation_alias="RAG_LLM_CLASS",
        description="RAG_LLM_CLASS: the llama-index LLM class of the llama-index backend, e.g. llama_index.llms.anthropic.Anthropic.",
    )
    kwargs: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict,
        description='Keyword settings of RAG_LLM_CLASS as a JSON object (RAG_LLM_KWARGS=\'{"model": "..."}\'); the key goes in RAG_LLM_API_KEY.',
    )
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of a hosted backend.")
    retries: int = Field(2, ge=0, le=5, description="Retries on transient LLM errors.")
    context_tokens: int = Field(4096, ge=512, description="Context window of the LLM.")
    max_tokens: int = Field(
        256, ge=16,
        description="Longest generated answer in tokens (answers on the dev sets: p95 about 80-110, eval/reports/llm_bench.md).",
    )
    threads: int | None = Field(None, description="CPU threads of the llamacpp backend.")
    temperature: float = Field(0.0, ge=0, le=2)
    evidence: Literal["windows", "passages", "budget"] = Field(
        "passages",
        description="What the prompt quotes: passages = the whole passages | windows = each passage's best "
        "sentence(s) with neighbours | budget = the best evidence sentences across all passages, with neighbours, "
        "up to RAG_LLM_EVIDENCE_TOKENS (eval/reports/llm_bench.md measures each against the first-token time).",
    )
    evidence_tokens: int = Field(160, ge=40, le=4000, description="Prompt tokens of evidence (headers included) with RAG_LLM_EVIDENCE=budget.")
    window_sentences: int = Field(0, ge=0, le=5, description="Neighbouring sentences kept on each side of a best sentence.")
    window_best: int = Field(1, ge=1, le=5, description="Best-matching sentences per passage that open a window.")
    prompt_passages: int = Field(10, ge=1, le=20, description="Most passages quoted in the prompt (the best-evidenced first).")
    judge: bool = Field(
        False,
        description="Before answering, ask the model whether the best evidence states the answer (yes/no) and "
        "abstain on no: one short extra prompt per question (docs/evaluation.md has what it costs and gains).",
    )

    @field_validator("class_path", mode="after")
    @classmethod
    def _dotted(cls, value: str | None) -> str | None:
        parts = (value or "").split(".")
        if value is not None and (len(parts) < 2 or not all(p.isidentifier() for p in parts)):
            raise ValueError(f"RAG_LLM_CLASS must be a dotted module.Class path, e.g. llama_index.llms.anthropic.Anthropic, not {value!r}")
        return value

    @field_validator("kwargs", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as e:
                raise ValueError(f"RAG_LLM_KWARGS is not valid JSON ({e}); write an object, e.g. '{{\"model\": \"...\"}}'") from None
        if not isinstance(value, dict):
            raise ValueError(f"RAG_LLM_KWARGS must be a JSON object of keyword settings, not {type(value).__name__}")
        secret = sorted(k for k in value if {"key", "apikey", "token", "secret", "password"} & set(k.lower().replace("-", "_").split("_")))
        if secret:
            raise ValueError(f"RAG_LLM_KWARGS must not hold secrets ({', '.join(secret)}): set RAG_LLM_API_KEY, which is never shown")
        return value

    @model_validator(mode="after")
    def _class_for_llama_index(self) -> LLMSettings:
        if self.backend == "llama-index" and not self.class_path:
            raise ValueError("RAG_LLM_BACKEND=llama-index needs RAG_LLM_CLASS, e.g. llama_index.llms.anthropic.Anthropic")
        return self


class ConversationSettings(BaseSettings):
    """Follow-up questions (`RAG_CONVERSATION_*`): how a question and the conversation before it
    become the standalone query that is searched."""

    model_config = _config("RAG_CONVERSATION_")

    condense: Literal["auto", "llm", "rules", "off"] = Field(
        "auto",
        description="auto: an LLM answer backend also rewrites the follow-up, the extractive one uses the rules | "
        "llm: the configured LLM backend rewrites it even for extractive answers | rules: no LLM, pronouns and "
        "ellipsis resolved from the earlier turns | off: every question searched as typed.",
    )
    history_tokens: int = Field(
        600, ge=64, le=8192, description="Most tokens of earlier turns (newest first) the LLM sees when it rewrites a follow-up."
    )
    max_turns: int = Field(50, ge=1, le=1000, description="Most earlier turns a client (the /ask API, the web chat) may send.")


class WebSettings(BaseSettings):
    """The web chat: address, login, uploads, concurrency and the example questions it offers."""

    model_config = _config()

    host: str = Field("127.0.0.1", description="Bind address of the web UI; 0.0.0.0 exposes it to the network.")
    port: int = Field(7860, ge=1, le=65535)
    auth_user: str | None = Field(None, description="Login user for the web UI (with auth_password).")
    auth_password: SecretStr | None = Field(None, description="Login password for the web UI.")
    max_upload_mb: float = Field(20.0, gt=0, description="Largest accepted upload.")
    concurrency: int = Field(4, ge=1, description="Answers computed at once by the web UI.")
    examples: list[str] = Field(
        default_factory=list, description='Example questions shown in an empty chat, as a JSON list (RAG_EXAMPLES=\'["..."]\'); none by default.'
    )

    @model_validator(mode="after")
    def _login_pair(self) -> WebSettings:
        if bool(self.auth_user) != bool(self.auth_password and self.auth_password.get_secret_value()):
            raise ValueError("set both RAG_AUTH_USER and RAG_AUTH_PASSWORD, or neither")
        return self


GROUPS: dict[str, type[BaseSettings]] = {
    "store": StoreSettings, "embedding": EmbeddingSettings, "chunking": ChunkingSettings,
    "retrieval": RetrievalSettings, "answer": AnswerSettings, "llm": LLMSettings, "web": WebSettings,
    "conversation": ConversationSettings,
}


def _flat_names() -> dict[str, tuple[str, str]]:
    """Flat name (the env var without RAG_, lowercased) -> (group, field)."""
    names = {}
    for group, cls in GROUPS.items():
        prefix = cls.model_config["env_prefix"].removeprefix("RAG_").lower()
        for field in cls.model_fields:
            names[prefix + field] = (group, field)
    return names


FLAT = _flat_names()


class Settings(BaseModel):
    """Every knob of the product, grouped by concern; each field's description is its documentation."""

    model_config = ConfigDict(frozen=True)

    store: StoreSettings
    embedding: EmbeddingSettings
    chunking: ChunkingSettings
    retrieval: RetrievalSettings
    answer: AnswerSettings
    llm: LLMSettings
    web: WebSettings
    conversation: ConversationSettings

    @model_validator(mode="before")
    @classmethod
    def _groups(cls, data: Any) -> Any:
        """Build each group from the environment plus any overrides, given flat or grouped."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        env_file = data.pop("_env_file", ".env")
        overrides: dict[str, dict] = {g: {} for g in GROUPS}
        built: dict[str, BaseSettings] = {}
        for key, value in data.items():
            if key in GROUPS:
                if isinstance(value, GROUPS[key]):
                    built[key] = value
                else:
                    overrides[key].update(value)
            elif key in FLAT:
                group, field = FLAT[key]
                overrides[group][field] = value
            else:
                raise ValueError(f"unknown setting {key!r}")
        return {g: built.get(g) or GROUPS[g](_env_file=env_file, **overrides[g]) for g in GROUPS}

    def updated(self, **changes: Any) -> Settings:
        """A copy with some settings changed, named flat (`top_k=3`) and validated like the environment."""
        fields: dict[str, dict] = {g: getattr(self, g).model_dump() for g in GROUPS}
        for key, value in changes.items():
            if key not in FLAT:
                raise ValueError(f"unknown setting {key!r}")
            group, field = FLAT[key]
            fields[group][field] = value
        groups = {g: GROUPS[g].model_validate(fields[g]) if fields[g] != getattr(self, g).model_dump() else getattr(self, g)
                  for g in GROUPS}
        return Settings(**groups)

    @property
    def chroma_dir(self) -> Path:
        return self.store.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.store.data_dir / "manifest.json"

    @property
    def keyword_dir(self) -> Path:
        return self.store.data_dir / "keyword"

    @property
    def upload_dir(self) -> Path:
        return self.store.data_dir / "uploads"
