"""The README's picture of a citation card that opens its source, taken from a real run.

    .venv/bin/python -m eval.screenshot [--data DIR] [--question TEXT] [--out docs/img/citation-card.png]

The manuals' PDFs (eval/corpora/manuals/docs) are ingested into a temporary data folder (or `--data`
names an index of them already built), the web chat is served on 127.0.0.1, the question is asked
in Debian's headless Chromium (driven by Playwright, as the browser tests do), and the answer with
its first citation card is saved as a palette PNG. Not a test: it only makes the picture.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from eval import ROOT
from eval.net import free_port

DOCS = ROOT / "eval" / "corpora" / "manuals" / "docs"
QUESTION = "Which command signs the Debian source package before upload?"
CHROMIUM = "/usr/bin/chromium"
# The chat panel scrolls inside a fixed height: let it grow, so the question, the answer and the
# first card are laid out in the page one under the other.
UNSCROLL = """() => { for (const el of [document.querySelector('#chat'), ...document.querySelectorAll('#chat *')]) {
  const s = getComputedStyle(el);
  if (['auto', 'scroll'].includes(s.overflowY) || el.id === 'chat') {
    el.style.height = 'auto'; el.style.maxHeight = 'none'; el.style.overflowY = 'visible'; } } }"""
FINAL = "#chat .rag-answered, #chat .rag-abstained, #chat .rag-fallback, #chat .rag-error"


def take(url: str, question: str, out: Path) -> int:
    """Ask in the chat at `url`, save the answer and its first card to `out`; the PNG's size."""
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url, wait_until="domcontentloaded")
        box = page.locator("#question textarea")
        box.fill(question)
        box.press("Enter")
        expect(page.locator(FINAL)).to_have_count(1, timeout=180_000)
        answer = page.locator(FINAL).last
        card = answer.locator(".rag-sources .rag-card").first
        page.evaluate(UNSCROLL)
        card.locator("a.rag-open").hover()
        start = page.locator("#chat").bounding_box()
        end = card.bounding_box()
        clip = {"x": start["x"], "y": start["y"], "width": start["width"], "height": end["y"] + end["height"] - start["y"] + 12}
        png = page.screenshot(clip=clip, full_page=True)
        browser.close()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.screenshot", description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, help="an index of the manuals already built (default: build one in a temporary folder)")
    p.add_argument("--question", default=QUESTION)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "citation-card.png")
    args = p.parse_args(argv)

    from rag import offline
    from rag.app.web import build_app, launch
    from rag.config import Settings
    from rag.wiring import Pipeline

    offline.apply()
    with tempfile.TemporaryDirectory(prefix="rag-shot-") as tmp:
        settings = Settings(_env_file=None, data_dir=args.data or Path(tmp), corpus_dir=DOCS, port=free_port())
        pipe = Pipeline(settings)
        if args.data is None:
            print(pipe.ingestor.ingest().summary(), file=sys.stderr)
        pipe.warm()
        app = build_app(pipe)
        try:
            size = take(launch(app, settings), args.question, args.out)
        finally:
            app.close()
    print(f"{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: {size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
