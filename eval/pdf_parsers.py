"""Which PDF text extractor to use: word and page accuracy against poppler's pdftotext, and speed.

    .venv/bin/python -m eval.pdf_parsers [PDF or folder ...] [--repeat N] [--title TEXT] [--cleaned]

Default input: the six PDFs of eval/corpora/manuals/docs. The reference is `pdftotext -enc UTF-8`
(poppler-utils), run page by page, and the measures are bags of words, so reading order does not
count and a candidate is only judged on whether it gives each page's words, spelled and spaced as
in the reference:

- word recall: share of the reference's words that the candidate gives on the same page as whole
  words (a word run together with its neighbour, `thedebian/copyrightfileis`, is a miss);
- word precision: share of the candidate's words that are in the reference page (run-together or
  split-apart words, and text invented or moved from another page, count against it);
- page accuracy: share of pages whose word F1 against the reference page is at least 0.95;
- pages/s: pages extracted per second of wall time, one process, this machine (the fastest of
  --repeat runs of each file).

Words are whitespace-separated tokens with outer punctuation stripped, NFKC-normalized and
lowercased; a hyphen at a line end is joined for every extractor alike.

`rag.ingest.pdf` is the product's reader (pypdfium2 read character by character into lines and
blocks, before cleaning), so its row shows what that reconstruction costs or gains over pypdfium2's
own text.
PyMuPDF (fitz) is not measured: it is AGPL-3.0 (or commercial), which this project does not take.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / "eval" / "corpora" / "manuals" / "docs"
GOOD_PAGE_F1 = 0.95


# --- extractors: path -> list of page texts ----------------------------------

def pdftotext_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    pages = out.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return [p.extract_text() or "" for p in PdfReader(path).pages]


def pdfminer_pages(path: Path) -> list[str]:
    """What pdfminer.high_level.extract_text gives (default LAParams), one page at a time."""
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    manager, out = PDFResourceManager(), []
    with open(path, "rb") as fp:
        for page in PDFPage.get_pages(fp):
            buf = io.StringIO()
            device = TextConverter(manager, buf, laparams=LAParams())
            PDFPageInterpreter(manager, device).process_page(page)
            device.close()
            out.append(buf.getvalue().rstrip("\f"))
    return out


def pypdfium2_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_bounded())
            tp.close()
            page.close()
        return out
    finally:
        pdf.close()


def rag_pages(path: Path) -> list[str]:
    from rag.ingest.pdf import read_pdf
    from rag.ingest.pdf_blocks import group_blocks

    return ["\n\n".join(b.text for b in group_blocks(page)) for page in read_pdf(path, path.read_bytes()).pages]


EXTRACTORS = {
    "pypdf": ("pypdf", pypdf_pages),
    "pdfminer.six": ("pdfminer", pdfminer_pages),
    "pypdfium2": ("pypdfium2", pypdfium2_pages),
    "rag.ingest.pdf (pypdfium2 + lines, blocks)": ("pypdfium2", rag_pages),
}


# --- measures ------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"(\w)[-\u00ad\x02]\s*\n\s*(?=\w)")
_PUNCT = "\"'()[]{}<>.,;:!?\u201c\u201d\u2018\u2019\u00ab\u00bb*`"


def words(text: str) -> Counter:
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
    text = _HYPHEN_BREAK.sub(r"\1", text)
    out: Counter = Counter()
    for tok in text.split():
        tok = tok.strip(_PUNCT).lower()
        if tok:
            out[tok] += 1
    return out


def compare(ref_pages: list[str], cand_pages: list[str]) -> dict:
    hit = ref_total = cand_total = good = 0
    pages = max(len(ref_pages), len(cand_pages))
    for i in range(pages):
        ref = words(ref_pages[i]) if i < len(ref_pages) else Counter()
        cand = words(cand_pages[i]) if i < len(cand_pages) else Counter()
        h, r, c = sum((ref & cand).values()), sum(ref.values()), sum(cand.values())
        hit, ref_total, cand_total = hit + h, ref_total + r, cand_total + c
        f1 = 1.0 if r == c == 0 else (2 * h / (r + c))
        good += f1 >= GOOD_PAGE_F1
    return {"hit": hit, "ref": ref_total, "cand": cand_total, "good": good, "pages": pages}


def measure(files: list[Path], repeat: int = 1) -> tuple[list[dict], dict[str, str]]:
    import importlib.metadata as md

    versions = {"pdftotext": _pdftotext_version()}
    for name, (dist, _fn) in EXTRACTORS.items():
        dist_name = {"pdfminer": "pdfminer.six"}.get(dist, dist)
        try:
            versions[name] = md.version(dist_name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    refs, ref_secs = {}, 0.0
    for f in files:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            refs[f] = pdftotext_pages(f)
            best = min(best, time.perf_counter() - t0)
        ref_secs += best
    rows = []
    total_pages = sum(len(p) for p in refs.values())
    rows.append({"name": "pdftotext (reference)", "per_file": {f.name: None for f in files},
                 "recall": 1.0, "precision": 1.0, "page_acc": 1.0, "pps": total_pages / ref_secs})
    for name, (_dist, fn) in EXTRACTORS.items():
        if versions[name] == "not installed":
            continue
        agg = Counter()
        per_file, secs = {}, 0.0
        for f in files:
            best = float("inf")
            for _ in range(repeat):  # the fastest of `repeat` runs: other load on the machine only slows
                t0 = time.perf_counter()
                try:
                    pages = fn(f)
                except Exception as e:  # a crash on one file is a result too
                    print(f"{name}: {f.name}: {type(e).__name__}: {e}", file=sys.stderr)
                    pages = []
                best = min(best, time.perf_counter() - t0)
            secs += best
            m = compare(refs[f], pages)
            agg.update(m)
            per_file[f.name] = m
        rows.append({
            "name": name, "per_file": per_file, "recall": agg["hit"] / max(1, agg["ref"]),
            "precision": agg["hit"] / max(1, agg["cand"]), "page_acc": agg["good"] / max(1, agg["pages"]),
            "pps": total_pages / secs if secs else float("inf"),
        })
    return rows, versions


def _pdftotext_version() -> str:
    out = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True)
    m = re.search(r"version ([\d.]+)", out.stderr + out.stdout)
    return m.group(1) if m else "?"


def render(rows: list[dict], versions: dict[str, str], files: list[Path], title: str) -> str:
    names = [f.name for f in files]
    lines = [f"### {title}", "",
             "| extractor | version | word recall | word precision | page accuracy | pages/s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        v = versions.get(r["name"].split(" (")[0] if r["name"].startswith("pdftotext") else r["name"], "")
        lines.append(f"| {r['name']} | {v} | {r['recall']:.1%} | {r['precision']:.1%} | {r['page_acc']:.1%} | {r['pps']:.0f} |")
    lines += ["", "Word recall per file (pages with F1 >= 0.95 / pages):", "",
              "| extractor | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for r in rows[1:]:
        cells = []
        for n in names:
            m = r["per_file"][n]
            cells.append(f"{m['hit'] / max(1, m['ref']):.1%} ({m['good']}/{m['pages']})")
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cleaned(files: list[Path]) -> str:
    """What read_document keeps of each PDF: its words against pdftotext's (recall falls by what
    cleaning drops on purpose: running headers, page numbers, contents pages, repeated slides)."""
    from rag.ingest.documents import read_document

    lines = ["### After cleaning (rag.ingest.documents.read_document)", "",
             "| file | pages | word recall | word precision | sections | title | authors | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for f in files:
        t0 = time.perf_counter()
        doc = read_document(f)
        secs = time.perf_counter() - t0
        ref, got = words("\n".join(pdftotext_pages(f))), words(doc.text)
        hit = sum((ref & got).values())
        lines.append(f"| {f.name} | {doc.page_count} | {hit / max(1, sum(ref.values())):.1%} | "
                     f"{hit / max(1, sum(got.values())):.1%} | {len(doc.sections)} | {doc.title} | "
                     f"{', '.join(doc.authors)} | {secs:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", type=Path, help=f"PDFs or folders (default {DEFAULT_DIR.relative_to(ROOT)})")
    ap.add_argument("--title", default=None, help="heading of the table")
    ap.add_argument("--repeat", type=int, default=1, help="time each extractor this many times, keep the fastest")
    ap.add_argument("--cleaned", action="store_true", help="also show what read_document keeps of each file")
    args = ap.parse_args(argv)
    if not shutil.which("pdftotext"):
        print("pdftotext not found: apt-get install poppler-utils", file=sys.stderr)
        return 2
    inputs = args.inputs or [DEFAULT_DIR]
    files = sorted({f for p in inputs for f in ([p] if p.is_file() else p.glob("*.pdf"))})
    rows, versions = measure(files, args.repeat)
    title = args.title or ", ".join(f.name for f in files)
    sys.stdout.write(render(rows, versions, files, title))
    if args.cleaned:
        sys.stdout.write("\n" + cleaned(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
