"""The product's own domain types: the only objects the UI, the eval and the tests see."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rag.citations import cited_numbers


@dataclass(frozen=True)
class Section:
    """A heading and where its body starts in the cleaned text."""

    title: str
    start: int
    page: int | None = None  # 1-based physical page where the heading is (None: unpaginated file)
    page_end: int | None = None  # page where the section's text ends
    heading_path: tuple[str, ...] = ()  # the enclosing headings, outermost first, ending with this one
    level: int = 1  # 1 = top-level heading


@dataclass(frozen=True)
class Document:
    """A cleaned document with its metadata."""

    path: str
    source: str
    title: str
    authors: tuple[str, ...]
    text: str
    sections: tuple[Section, ...]
    sha256: str
    page_count: int = 0  # physical pages (0: not a paginated file)
    # (offset in text, 1-based page): from that offset on, the text comes from that page.
    page_starts: tuple[tuple[int, int], ...] = ()
    empty_pages: tuple[int, ...] = ()  # pages with no text layer (scans): their text is missing
    code_spans: tuple[tuple[int, int], ...] = ()  # (start, end) of code blocks: cut only at line ends
    notes: tuple[str, ...] = ()  # what the reader could not do, for the user ("12 of 40 pages ...")

    def page_at(self, offset: int) -> int | None:
        """The 1-based page the character at `offset` comes from (None for unpaginated files)."""
        import bisect

        if not self.page_starts:
            return None
        i = bisect.bisect_right(self.page_starts, (offset, float("inf"))) - 1
        return self.page_starts[max(0, i)][1]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, sized for the embedding model, with where it came from."""

    id: str
    doc_id: str
    source: str
    title: str
    section: str
    text: str
    start: int
    end: int
    index: int
    authors: tuple[str, ...] = ()
    is_reference: bool = False  # a bibliography / link list: kept, but ranked below prose
    page: int | None = None  # 1-based physical page where the chunk starts (None: unpaginated file)
    page_end: int | None = None  # page where it ends
    heading_path: tuple[str, ...] = ()  # enclosing headings, outermost first

    @property
    def context(self) -> str:
        """What is embedded and keyword-indexed: the text under its document title, authors and
        section, so a question naming the paper or its authors finds the paper's passages."""
        head = self.title
        if self.authors:
            head += " (" + ", ".join(self.authors) + ")"
        if self.index == 0:
            # The front matter answers "who wrote ...?": label it in the words such questions use.
            head += "\nTitle and authors (who wrote it)" + (": " + ", ".join(self.authors) if self.authors else "")
        if self.section and self.section != self.title:
            head += "\n" + self.section
        return f"{head}\n{self.text}"

    def embedding_text(self, mode: str = "full") -> str:
        """What the dense vector is computed from (see Settings.embed_context)."""
        if mode == "full":
            return self.context
        if mode == "section" and self.section and self.section != self.title:
            return f"{self.section}\n{self.text}"
        return self.text


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its relevance."""

    id: str
    source: str
    title: str
    section: str
    text: str
    score: float
    start: int = 0
    end: int = 0
    authors: tuple[str, ...] = ()
    doc_id: str = ""
    index: int = 0
    is_reference: bool = False
    page: int | None = None
    page_end: int | None = None
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A numbered passage as shown to the user."""

    n: int
    source: str
    title: str
    section: str
    text: str
    score: float
    authors: tuple[str, ...] = ()
    page: int | None = None  # 1-based page where the passage starts, for "p. 12"
    page_end: int | None = None
    heading_path: tuple[str, ...] = ()
    doc_id: str = ""  # the manifest's id of the document (for "open the source"; "" if unknown)
    start: int = 0  # the passage's offsets in the document's cleaned text
    end: int = 0

    @property
    def pages(self) -> str:
        """Where the passage is: "p. 12", "pp. 12-13", or "" for an unpaginated file."""
        if self.page is None:
            return ""
        return f"pp. {self.page}\u2013{self.page_end}" if self.page_end and self.page_end != self.page else f"p. {self.page}"


@dataclass(frozen=True)
class SentenceCheck:
    """The citation checker's verdict on one answer sentence."""

    sentence: str
    citations: tuple[int, ...]
    supported: bool
    score: float


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of a conversation: what was asked and what was answered (its text, with [n]
    markers), and the documents its answer cited. Only the words travel: earlier sources are never
    evidence for a later question; a follow-up only searches their documents a little harder."""

    question: str
    answer: str
    documents: tuple[str, ...] = ()  # doc_ids the answer cited, in the order it cites them (none when it abstained)

    @classmethod
    def of(cls, question: str, answer: Answer) -> Exchange:
        """The turn as the next question sees it: `question` as typed and what `answer` said and cited."""
        by_n = {c.n: c.doc_id for c in answer.citations if c.doc_id}
        cited = cited_numbers(answer.answer) if not answer.abstained else []
        return cls(question, answer.answer, tuple(dict.fromkeys(by_n[n] for n in cited if n in by_n)))


@dataclass
class Answer:
    """A full answer: text with [n] markers, the citations, and how it was produced."""

    question: str
    answer: str
    abstained: bool
    backend: str
    citations: list[Citation]
    timings: dict[str, float]
    grounding: list[SentenceCheck] | None = None
    fallback: dict[str, str] | None = None
    interrupted: bool = False
    passages_dropped: int = 0  # passages the LLM prompt had no room for
    related: bool = False  # abstained, and the citations are the closest passages: related, not an answer
    withheld: str | None = None  # an LLM answer the checker supported not at all, kept out of `answer`
    searched_for: str | None = None  # the standalone query actually searched (a follow-up resolved with its history)

    @property
    def supported_fraction(self) -> float | None:
        if not self.grounding:
            return None
        return sum(s.supported for s in self.grounding) / len(self.grounding)

    def to_dict(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "backend": self.backend,
            "citations": [
                {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items() if k != "authors"}
                for c in self.citations
            ],
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "searched_for": self.searched_for,
        }
        if self.grounding is not None:
            out["grounding"] = {
                "sentences": [
                    {"sentence": s.sentence, "citations": list(s.citations), "supported": s.supported, "score": round(s.score, 3)}
                    for s in self.grounding
                ],
                "supported_fraction": self.supported_fraction,
            }
        if self.fallback:
            out["fallback"] = dict(self.fallback)
        if self.abstained:
            out["related"] = self.related
        if self.withheld:
            out["withheld"] = self.withheld
        if self.passages_dropped:
            out["passages_dropped"] = self.passages_dropped
        if self.interrupted:
            out["interrupted"] = True
        return out


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)  # ingested, with a caveat (pages without text)
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        s = (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}, skipped {len(self.skipped)}; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in index; {self.seconds:.1f} s"
        )
        return s
