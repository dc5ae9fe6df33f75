"""Are the pages of PDF passages right? Checked against pages found independently with poppler.

    .venv/bin/python -m eval.page_accuracy [PDF or folder ...] [--citations] [--out FILE] [--save-reference]

Default input: the six PDFs of eval/corpora/manuals/docs and the PDF fixtures of tests/fixtures/pdf.
Each PDF is read and chunked as `rag ingest` does (the embedding model's tokenizer, the configured
chunk size); with `--citations` the manuals are also ingested into a temporary index and their
questions asked, and the citations' pages are checked the same way.

The reference is `pdftotext -enc UTF-8` (poppler-utils), one text per physical page (the pages its
form feeds separate, which is what `pdftotext -f N -l N` gives page by page). Without poppler the
reference saved in eval/pdftotext/ (`--save-reference` writes it, keyed by the PDF's SHA-256) is
used, so the check runs where only the venv is installed.

A passage is located in the reference by its word 4-grams: every 4-gram of the passage votes for
the places it occurs at (its position in the document's reference words minus its position in the
passage), and the densest run of votes is where the passage is. Its first and last matched words
give the pages where it starts and ends. Words are NFKC-normalized (ligatures), lowercased, split
at anything but letters and digits, with hyphens at line ends joined, so hyphenation, ligatures,
dropped running headers and small reordering do not matter. A passage with too few matching
4-grams (under a quarter of them, or under 3) is "not located" and reported apart.

Also counted, in every passage: a table-of-contents line (dot leaders and a page number), a slide
footer (`Title 6 / 89`, or `N / M` with M about the document's page count), and run-together words
(a word of 8 or more letters that pdftotext never prints but that splits into words it does).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = (ROOT / "eval" / "corpora" / "manuals" / "docs", ROOT / "tests" / "fixtures" / "pdf")
REFERENCE_DIR = ROOT / "eval" / "pdftotext"
SHINGLE = 4
MIN_MATCHED = 0.25  # share of a passage's 4-grams found in one place for it to count as located
BAND = 25  # words: the largest jump of offset within one place (a dropped running header, a footnote)

_HYPHEN_BREAK = re.compile(r"([^\W\d_])[-\u00ad]\s*\n\s*(?=[^\W\d_])")
_WORD = re.compile(r"[^\W_]+")
TOC_LINE = re.compile(r"(?:\.\s?){4,}\s*(\d{1,4}|[ivxlc]{1,6})\b|\u2026\s*\d{1,4}\b", re.I)
_FRACTION = re.compile(r"(?<![\w/.,])(\d{1,3}) ?/ ?(\d{1,3})(?![\w/.,])")


class NoReference(RuntimeError):
    """Neither poppler's pdftotext nor a saved reference for this PDF."""


# --- the reference ---------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def saved_reference(path: Path, folder: Path = REFERENCE_DIR) -> Path:
    return folder / f"{path.stem}-{sha256_of(path)[:16]}.txt.gz"


def reference_pages(path: Path, folder: Path = REFERENCE_DIR) -> list[str]:
    """pdftotext's text of each physical page (poppler if installed, else the saved reference)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    else:
        saved = saved_reference(path, folder)
        if not saved.is_file():
            raise NoReference(f"{path.name}: needs poppler's pdftotext (apt-get install poppler-utils) or {saved}")
        out = gzip.decompress(saved.read_bytes()).decode("utf-8")
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def save_reference(path: Path, folder: Path = REFERENCE_DIR) -> Path:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{path.stem}-*.txt.gz"):
        old.unlink()
    target = saved_reference(path, folder)
    target.write_bytes(gzip.compress(out, mtime=0))
    return target


def words(text: str, join_hyphens: bool = False) -> list[str]:
    """Normalized words: NFKC (ligatures, composed accents), lowercase; with `join_hyphens` (for
    pdftotext's lines) a word hyphenated at a line end is one word."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
    return _WORD.findall((_HYPHEN_BREAK.sub(r"\1", text) if join_hyphens else text).lower())


class Reference:
    """A PDF's reference words with the page each comes from, indexed by 4-gram."""

    def __init__(self, pages: list[str]):
        self.words: list[str] = []
        self.page_of: list[int] = []
        self.vocabulary: set[str] = set()
        for number, text in enumerate(pages, 1):
            ws = words(text, join_hyphens=True)
            self.words += ws
            self.page_of += [number] * len(ws)
            self.vocabulary.update(ws, words(text))  # "update-" "alternatives" may be one word or two
        self.page_count = len(pages)
        self.grams: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i in range(len(self.words) - SHINGLE + 1):
            self.grams[tuple(self.words[i : i + SHINGLE])].append(i)

    def locate(self, text: str) -> list[tuple[int, int]]:
        """(first page, last page) of each place the passage's words are found in the reference,
        best first; more than one when the passage's text is printed more than once; [] if none."""
        ws = words(text)
        grams = [tuple(ws[i : i + SHINGLE]) for i in range(len(ws) - SHINGLE + 1)]
        votes = []  # (offset, position in the passage, position in the reference)
        for i, g in enumerate(grams):
            places = self.grams.get(g, ())
            if len(places) <= 30:  # a 4-gram found everywhere says nothing about where
                votes += [(pos - i, i, pos) for pos in places]
        runs = sorted(_runs(sorted(votes)), key=lambda r: -r.size)
        biggest = runs[0].size if runs else 0
        places = []  # (4-grams placed, (first page, last page))
        for anchor in runs:
            if anchor.size < max(3, 0.5 * biggest):
                break
            # The passage's other pieces: runs of 3+ 4-grams of other words of it, near this place
            # (the text after a dropped contents page, a footnote printed on the page before).
            parts = [anchor]
            for o in runs:
                if (o.size >= 3 and abs(o.first - anchor.first) < 3000
                        and all(o.last_i < p.first_i or o.first_i > p.last_i for p in parts)):
                    parts.append(o)
            head = min(parts, key=lambda r: r.first_i)
            tail = max(parts, key=lambda r: r.last_i)
            lo = self._extend(ws, head.first_i - 1, head.first - 1, -1, head.first)
            hi = self._extend(ws, tail.last_i + SHINGLE, tail.last + SHINGLE, 1, tail.last + SHINGLE - 1)
            # First page: where its first words are; last: the latest page any of it is on.
            where = (self.page_of[lo], max(self.page_of[hi], *(self.page_of[r.last + SHINGLE - 1] for r in parts)))
            places.append((sum(r.size for r in parts), where))
        best = max((n for n, _ in places), default=0)
        found = []
        for n, where in sorted(places, key=lambda x: -x[0]):
            if n >= max(3, MIN_MATCHED * len(grams)) and n >= 0.8 * best and where not in found:
                found.append(where)
        return found

    def _extend(self, ws: list[str], j: int, r: int, step: int, edge: int) -> int:
        """The passage's few words before (step -1) or after (+1) its matched run, found word by word
        next to it in the reference (past a running header or page number): the new edge position,
        or `edge` when they are not all there."""
        left = j + 1 if step < 0 else len(ws) - j
        if left <= 0 or left > 12:
            return edge
        skipped, found = 0, edge
        while 0 <= j < len(ws) and 0 <= r < len(self.words) and skipped <= 20:
            if self.words[r] == ws[j]:
                found, j = r, j + step
            else:
                skipped += 1
            r += step
        return found if not 0 <= j < len(ws) else edge

    @lru_cache(maxsize=100_000)
    def splits(self, word: str) -> bool:
        """Whether `word` is two or more reference words run together."""
        n = len(word)
        ok = [True] + [False] * n
        for end in range(1, n + 1):
            ok[end] = any(ok[s] and word[s:end] in self.vocabulary and (end - s >= 2 or word[s:end] == "a")
                          and not (s == 0 and end == n) for s in range(max(0, end - 30), end))
        return ok[n]


@dataclass
class _Run:
    """Votes whose offsets lie close together: the passage's words in order at one place."""

    votes: list[tuple[int, int, int]]

    @property
    def size(self) -> int:
        return len({v[1] for v in self.votes})

    first = property(lambda self: min(v[2] for v in self.votes))
    last = property(lambda self: max(v[2] for v in self.votes))
    first_i = property(lambda self: min(v[1] for v in self.votes))
    last_i = property(lambda self: max(v[1] for v in self.votes))


def _runs(votes: list[tuple[int, int, int]]) -> list[_Run]:
    """Sorted votes cut where the offset jumps by more than BAND words; in each run, one vote per
    4-gram of the passage (the one nearest the run's middle offset: a phrase repeated a few lines
    away is not where the passage is)."""
    groups: list[list[tuple[int, int, int]]] = []
    for v in votes:
        if groups and v[0] - groups[-1][-1][0] <= BAND:
            groups[-1].append(v)
        else:
            groups.append([v])
    # Pieces of the passage far apart in it can share an offset (a footnote moved after the
    # paragraph it interrupts swaps two stretches of words): they are runs of their own.
    groups = [piece for g in groups for piece in _pieces(g)]
    runs = []
    for group in groups:
        middle = sorted(v[0] for v in group)[len(group) // 2]
        best: dict[int, tuple[int, int, int]] = {}
        for v in group:
            if v[1] not in best or abs(v[0] - middle) < abs(best[v[1]][0] - middle):
                best[v[1]] = v
        runs.append(_Run(sorted(best.values())))
    return runs


def _pieces(group: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """A group of votes cut where the passage index jumps by more than 6 x SHINGLE (24 words)."""
    pieces: list[list[tuple[int, int, int]]] = []
    for v in sorted(group, key=lambda v: v[1]):
        if pieces and v[1] - pieces[-1][-1][1] <= 6 * SHINGLE:
            pieces[-1].append(v)
        else:
            pieces.append([v])
    return [sorted(p) for p in pieces]


def run_together(text: str, ref: Reference) -> list[str]:
    return [w for w in dict.fromkeys(words(text))
            if len(w) >= 8 and w.isalpha() and w not in ref.vocabulary and ref.splits(w)]


def toc_lines(text: str) -> list[str]:
    return [m.group(0) for m in TOC_LINE.finditer(text)]


def slide_footers(text: str, title: str, page_count: int) -> list[str]:
    """`Debian Packaging Tutorial 6 / 89`: N / M after the title, or with M near the page count."""
    found = []
    for m in _FRACTION.finditer(text):
        n, total = int(m.group(1)), int(m.group(2))
        if not 0 < n <= total:
            continue
        after_title = title and text[: m.start()].rstrip().lower().endswith(title.lower())
        if after_title or (page_count >= 5 and 0.5 * page_count <= total <= page_count + 2):
            found.append(text[max(0, m.start() - 30) : m.end()].strip())
    return found


# --- passages and their check -----------------------------------------------------------

@dataclass
class Passage:
    """One chunk or citation of a PDF as the product gives it."""

    source: str
    text: str
    page: int | None
    page_end: int | None
    label: str = ""  # where it came from (a chunk id, a question id)


@dataclass
class FileResult:
    name: str
    pages: int
    title: str = ""
    passages: int = 0
    located: int = 0
    page_right: int = 0
    end_right: int = 0
    repeated: int = 0  # located at more than one place (the same text printed on other pages too)
    toc: list[str] = field(default_factory=list)
    footers: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # a description of each passage whose page is wrong
    end_wrong: list[str] = field(default_factory=list)  # ... whose page_end is
    unlocated: list[str] = field(default_factory=list)
    refused: str = ""  # the reader's message for a file it does not ingest


def check(passages: list[Passage], ref: Reference, title: str, result: FileResult) -> FileResult:
    for p in passages:
        result.passages += 1
        result.toc += [f"{p.label}: {t}" for t in toc_lines(p.text)]
        result.footers += [f"{p.label}: {t}" for t in slide_footers(p.text, title, ref.page_count)]
        result.joined += [f"{p.label}: {w}" for w in run_together(p.text, ref)]
        places = ref.locate(p.text)
        if not places:
            result.unlocated.append(f"{p.label} (p. {p.page}): {p.text[:80]!r}")
            continue
        # Text printed more than once (a licence, a directory listing) is right at any of its places.
        start, end = next((w for w in places if w[0] == p.page), places[0])
        result.located += 1
        result.repeated += len({w[0] for w in places}) > 1
        result.page_right += p.page == start
        result.end_right += p.page_end == end
        if p.page_end != end:
            result.end_wrong.append(f"{p.label}: says p. {p.page}-{p.page_end}, found p. {start}-{end}: {p.text[:70]!r}")
        if p.page != start:
            result.wrong.append(f"{p.label}: says p. {p.page}-{p.page_end}, found p. {start}-{end}: {p.text[:70]!r}")
    return result


def pdf_files(inputs: list[Path]) -> list[Path]:
    out = []
    for p in inputs:
        out += sorted(p.glob("*.pdf")) if p.is_dir() else [p]
    return out


def chunk_passages(path: Path, settings, count_tokens) -> tuple[str, list[Passage]]:
    """The document's title and its chunks, as `rag ingest` makes them."""
    from rag.ingest.chunking import chunk_document
    from rag.ingest.documents import read_document

    doc = read_document(path)
    chunks = chunk_document(doc, count_tokens, settings.chunking.tokens, settings.chunking.overlap_tokens)
    return doc.title, [Passage(path.name, c.text, c.page, c.page_end, f"{path.name}#{c.index}") for c in chunks]


def measure_chunks(files: list[Path], settings=None, count_tokens=None) -> list[FileResult]:
    """Every chunk of every file checked; a file the reader refuses is listed with its message."""
    from rag.ingest.documents import DocumentError

    settings, count_tokens = _defaults(settings, count_tokens)
    results = []
    for f in files:
        try:
            title, passages = chunk_passages(f, settings, count_tokens)
        except DocumentError as e:  # encrypted, no text layer: pdftotext has no text for it either
            results.append(FileResult(f.name, 0, refused=str(e)))
            continue
        ref = Reference(reference_pages(f))
        results.append(check(passages, ref, title, FileResult(f.name, ref.page_count, title=title)))
    return results


def measure_citations(docs: Path, questions: Path, settings=None) -> list[FileResult]:
    """Ingest `docs` into a temporary index, ask every question, check every citation of a PDF."""
    import json

    from rag.wiring import Pipeline

    base, _ = _defaults(settings, None)
    with tempfile.TemporaryDirectory(prefix="rag-pages-") as tmp:
        pipe = Pipeline(base.updated(data_dir=Path(tmp), corpus_dir=docs))
        pipe.ingestor.ingest([docs])
        by_file: dict[str, list[Passage]] = defaultdict(list)
        titles: dict[str, str] = {}
        for line in questions.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            for c in pipe.answerer.ask(q["question"]).citations:
                if c.source.lower().endswith(".pdf"):
                    by_file[c.source].append(Passage(c.source, c.text, c.page, c.page_end, f"{q.get('id', '?')}[{c.n}]"))
                    titles[c.source] = c.title
    results = []
    for name in sorted(by_file):
        ref = Reference(reference_pages(docs / name))
        results.append(check(by_file[name], ref, titles[name], FileResult(name, ref.page_count, title=titles[name])))
    return results


def _defaults(settings, count_tokens):
    if settings is None:
        from rag.config import Settings

        settings = Settings(_env_file=None)
    if count_tokens is None:
        from rag.index.embedding import Embedder

        count_tokens = Embedder(settings).count_tokens
    return settings, count_tokens


# --- the report ---------------------------------------------------------------------------

def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def totals(results: list[FileResult]) -> Counter:
    t: Counter = Counter()
    for r in results:
        t.update(passages=r.passages, located=r.located, page_right=r.page_right, end_right=r.end_right, repeated=r.repeated,
                 toc=len(r.toc), footers=len(r.footers), joined=len(r.joined))
    return t


def render(results: list[FileResult], heading: str) -> str:
    t = totals(results)
    lines = [f"### {heading}", "",
             f"Page right: **{pct(t['page_right'], t['located'])}** of {t['located']} located passages "
             f"({t['passages'] - t['located']} of {t['passages']} not located; counted as wrong, "
             f"{pct(t['page_right'], t['passages'])} of all); page_end right: "
             f"{pct(t['end_right'], t['located'])}. ToC lines: {t['toc']}, slide footers: {t['footers']}, "
             f"run-together words: {t['joined']}.", "",
             "| file | pages | passages | located | page right | page_end right | ToC lines | slide footers | run-together |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.refused:
            lines.append(f"| {r.name} | - | refused: {r.refused.removeprefix(r.name + ': ')} | | | | | | |")
            continue
        lines.append(f"| {r.name} | {r.pages} | {r.passages} | {r.located} | {pct(r.page_right, r.located)} | "
                     f"{pct(r.end_right, r.located)} | {len(r.toc)} | {len(r.footers)} | {len(r.joined)} |")
    details = [(label, item) for r in results for label, items in
               (("wrong page", r.wrong), ("wrong page_end", r.end_wrong), ("not located", r.unlocated), ("ToC line", r.toc), ("slide footer", r.footers),
                ("run-together", r.joined)) for item in items]
    if details:
        lines += ["", "Each passage counted against it:", ""] + [f"- {label}: {item}" for label, item in details[:60]]
        if len(details) > 60:
            lines.append(f"- ... and {len(details) - 60} more")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.page_accuracy", description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", type=Path, help="PDFs or folders (default: the manuals and the fixtures)")
    ap.add_argument("--citations", action="store_true", help="also ingest the manuals and check their questions' citations")
    ap.add_argument("--out", type=Path, help="write the report here (Markdown)")
    ap.add_argument("--save-reference", action="store_true", help=f"save pdftotext's text of each PDF under {REFERENCE_DIR.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    files = pdf_files(args.inputs or list(DEFAULT_INPUTS))
    if args.save_reference:
        for f in files:
            try:
                print(f"saved {save_reference(f).relative_to(ROOT)}", file=sys.stderr)
            except subprocess.CalledProcessError:  # encrypted: nothing to compare with
                print(f"{f.name}: pdftotext cannot read it; no reference saved", file=sys.stderr)
    try:
        report = render(measure_chunks(files), f"Every chunk of {len(files)} PDFs")
        if args.citations:
            manuals = ROOT / "eval" / "corpora" / "manuals"
            report += "\n" + render(measure_citations(manuals / "docs", manuals / "questions.jsonl"),
                                    "Citations of the manuals' questions (all 94, every citation of a PDF)")
    except NoReference as e:
        print(f"page_accuracy: {e}", file=sys.stderr)
        return 2
    print(report)
    if args.out:
        from eval.pdf_parsers import _pdftotext_version

        tool = f"pdftotext {_pdftotext_version()}" if shutil.which("pdftotext") else "the saved pdftotext output in eval/pdftotext/"
        command = "python -m eval.page_accuracy" + (" --citations" if args.citations else "") + " --out " + str(args.out)
        head = (f"# Pages of PDF passages, checked against poppler\n\n`{command}` (reference: {tool}; what is "
                "measured and how: the docstring of eval/page_accuracy.py and docs/pdf-parsers.md).\n\n")
        args.out.write_text(head + report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
