"""A long generated PDF, and the peak memory of reading and ingesting it, to show that PDF ingest
stays bounded as page counts grow.

    .venv/bin/python -m eval.big_pdf --pages 50 500              # read only (PDFium + cleaning)
    .venv/bin/python -m eval.big_pdf --pages 50 500 --ingest     # `rag ingest`, the real model
    .venv/bin/python -m eval.big_pdf --pages --file some.pdf      # a real PDF instead

`write_pdf` writes the PDF by hand (PDF 1.4, Helvetica, no package needed): every page has a
different paragraph of varied words, some pages a heading, and page `fact_page` one sentence found
nowhere else (`FACT`), so a test can ask for it and check the citation's page. Each measurement runs
in a child process of its own and reports that process's peak resident memory (ru_maxrss): read
only is `rag.ingest.documents.read_document`; `--ingest` is `rag ingest` of a folder holding only
the PDF, with a fresh data dir (the ONNX export made beforehand, as in eval/big_document.py).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from eval import ROOT
from rag import offline

WORDS = ("valve pump gasket filter pressure boiler turbine shaft bearing coupling flange gauge sensor relay "
         "circuit breaker cable conduit manifold nozzle impeller rotor stator piston cylinder crank lever").split()
TEMPLATES = (  # varied openings and endings: no line repeats like a running header or footer
    "Check the {0} {1} next to the {2} {3} and note reading {4}.",
    "Every {0} of the {1} line is cleaned before the {2} {3} is opened, about {4} times a year.",
    "{0} faults near the {1} are logged with code {4} and the {2} {3} is replaced.",
    "After {4} hours the {0} {1} needs a new {2}, and its {3} is tested.",
    "Operators record the {0} pressure, the {1} load and the {2} {3} temperature at mark {4}.",
    "If the {0} {1} leaks, close the {2} and call the {3} team on extension {4}.",
)
FACT = "The reserve tank of unit Quillon holds exactly 7,341 litres of coolant."
QUESTION = "How many litres of coolant does the reserve tank of unit Quillon hold?"


def page_lines(number: int, rnd: random.Random, fact_page: int) -> list[tuple[str, str]]:
    """(style, text) lines of one page: an optional heading ("h") and wrapped body lines ("p")."""
    lines = []
    if number % 10 == 1:
        lines.append(("h", f"Chapter {number // 10 + 1}: The {rnd.choice(WORDS)} and {rnd.choice(WORDS)} checks"))
    sentences = [rnd.choice(TEMPLATES).format(*(rnd.choice(WORDS) for _ in range(4)), rnd.randint(10, 99999))
                 for _ in range(rnd.randint(4, 6))]
    if number == fact_page:
        sentences.insert(2, FACT)
    text, line = " ".join(sentences), ""
    for word in text.split():
        if len(line) + len(word) + 1 > 85:
            lines.append(("p", line))
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(("p", line))
    return lines


def write_pdf(path: Path, pages: int, fact_page: int = 0, seed: int = 11) -> Path:
    """A `pages`-page PDF at `path`; see the module docstring."""
    rnd = random.Random(seed)
    objects: list[bytes] = []  # object n+1 is objects[n]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(b"")  # the page tree, written once the pages are known
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    kids = []
    for n in range(1, pages + 1):
        ops, y = ["BT"], 740
        for style, text in page_lines(n, rnd, fact_page):
            size = 15 if style == "h" else 11
            ops.append(f"/{'F2' if style == 'h' else 'F1'} {size} Tf 1 0 0 1 72 {y} Tm ({_escape(text)}) Tj")
            y -= 30 if style == "h" else 15
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R "
                        b"/F2 %d 0 R >> >> /Contents %d 0 R >>" % (regular, bold, content)))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids))
    info = add(b"<< /Title (Maintenance Manual of the Quillon Plant) /Author (Plant Engineering Team) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    path.write_bytes(bytes(out))
    return path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def child(mode: str, pdf: Path) -> int:
    """The measured process: read (or ingest) the PDF, then print its own peak RSS in KB."""
    import resource

    if mode == "read":
        from rag.ingest.documents import read_document

        doc = read_document(pdf)
        print(f"{doc.page_count} pages, {len(doc.text)} characters", file=sys.stderr)
    else:
        from rag.app.cli import main as rag

        if rag(["ingest"]) != 0:
            return 1
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def measure(pages: int, mode: str, tmp: Path, source: Path | None = None) -> dict:
    """One child's figures for a generated PDF of `pages` pages, or for a copy of `source`."""
    docs = tmp / f"docs-{pages}-{source.stem if source else 'generated'}"
    docs.mkdir()
    if source is not None:
        pdf = docs / source.name
        pdf.write_bytes(source.read_bytes())
    else:
        pdf = write_pdf(docs / f"manual-{pages}.pdf", pages, fact_page=pages // 2)
    cache = os.environ.get("RAG_EMBED_CACHE_DIR") or str(ROOT / "data" / "models")
    env = offline.env(RAG_DATA_DIR=str(docs) + "-data", RAG_CORPUS_DIR=str(docs), RAG_EMBED_CACHE_DIR=cache)
    run = subprocess.run([sys.executable, "-m", "eval.big_pdf", "--child", mode, str(pdf)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-2000:])
    said = run.stderr.strip().splitlines()[-1:] + run.stdout.strip().splitlines()[-2:-1]  # read: its size; ingest: the summary
    return {"pages": pages, "mode": mode, "pdf_kb": pdf.stat().st_size // 1024, "said": said,
            "peak_rss_mb": round(int(run.stdout.strip().splitlines()[-1]) / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.big_pdf", description=__doc__.split("\n")[0])
    p.add_argument("--pages", type=int, nargs="*", default=[50, 500], help="generated PDFs of these page counts")
    p.add_argument("--file", type=Path, nargs="*", default=[], help="also measure these PDFs")
    p.add_argument("--ingest", action="store_true", help="measure `rag ingest` (the real model), not only reading")
    p.add_argument("--child", nargs=2, metavar=("MODE", "PDF"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    mode = "ingest" if args.ingest else "read"
    with tempfile.TemporaryDirectory(prefix="rag-big-pdf-") as tmp:
        if mode == "ingest":  # the ONNX export (a one-off that loads torch) is made before measuring
            measure(1, mode, Path(tmp))
        runs = [(pages, None) for pages in args.pages] + [(0, f) for f in args.file]
        for pages, source in runs:
            r = measure(pages, mode, Path(tmp), source)
            name = source.name if source else f"generated, {pages} pages"
            print(f"{name} ({r['pdf_kb']} KB), {mode}: peak RSS {r['peak_rss_mb']} MB ({'; '.join(r['said'])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
