"""How wide are the gaps between the words of a PDF line? The measurement behind `CELL_GAP` (rag/ingest/pdf.py):
justified prose must stay under it, a table's term and description over it.

    .venv/bin/python -m eval.pdf_gaps [PDF or folder ...] [--out FILE]

Default input: the eval manuals and the PDF fixtures, as eval/page_accuracy.py reads them. Each line's widest
gap between two glyphs that PDFium set apart by a space, in ems of the line's font size, is counted in
half-em bins, per PDF.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import rag.ingest.pdf as pdf
from eval.page_accuracy import DEFAULT_INPUTS, pdf_files

BINS = [0.5 * k for k in range(11)]  # 0, 0.5, ... 5 em and over


def widest_gaps(path: Path) -> list[float]:
    """Each line's widest word gap, in ems (lines of one word have none)."""
    gaps: list[float] = []
    line = pdf._line

    def measured(chars):
        real = [(i, c) for i, c in enumerate(chars) if c[0] != " "]
        spaced = [(b[1] - a[3]) / a[5] for (i, a), (j, b) in zip(real, real[1:]) if j > i + 1 and a[5] > 0]
        if spaced:
            gaps.append(max(spaced))
        return line(chars)

    pdf._line = measured
    try:
        pdf.read_pdf(path, path.read_bytes())
    except pdf.PdfReadFailure:
        pass
    finally:
        pdf._line = line
    return gaps


def report(files: list[Path]) -> str:
    head = ["file", "lines"] + [f"{b:g}-{b + 0.5:g}" if b < BINS[-1] else f"{b:g}+" for b in BINS]
    out = ["# Widest word gap of each PDF line, in ems", "",
           f"`python -m eval.pdf_gaps` (the docstring says how). `CELL_GAP` = {pdf.CELL_GAP} em cuts a line into table cells.",
           "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in files:
        gaps = widest_gaps(f)
        bins = Counter(min(int(g * 2) / 2, BINS[-1]) for g in gaps if g >= 0)
        out.append("| " + " | ".join([f.name, str(len(gaps))] + [str(bins.get(b, 0)) for b in BINS]) + " |")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    text = report(pdf_files(args.inputs or list(DEFAULT_INPUTS)))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
