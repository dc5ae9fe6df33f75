"""A citation of a PDF, opened from the chat in a real headless Chromium (Debian's, driven by
Playwright): the card's "Open p. N" link opens the indexed PDF itself at `#page=N`, and page N is
where the cited passage is (read back from the PDF with PDFium's own text, not the product's)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from rag.ingest.uploads import Library
from rag.rwlock import ReadWriteLock
from rag.wiring import Pipeline
from tests.integration.test_browser import ARGS, CHROMIUM, ask
from tests.servers import free_port, web_chat

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "debmake-nospace.pdf"
QUESTION = "What does debmake -T print?"  # answered from page 3 of 3

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (run `make browser`)"),
]


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def app_url(small_index, tmp_path_factory):
    """The chat over a copy of the small index with a three-page PDF uploaded."""
    data = tmp_path_factory.mktemp("browser-pdf") / "data"
    shutil.copytree(small_index.settings.store.data_dir, data)
    pipe = Pipeline(small_index.settings.updated(data_dir=data, port=free_port()))
    Library(pipe, ReadWriteLock()).add(PDF)
    with web_chat(pipe) as url:
        yield url


def test_a_pdf_citation_opens_the_indexed_pdf_at_its_page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.goto(app_url, wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea")
        answer, _ = ask(page, QUESTION)
        card = answer.locator(".rag-sources .rag-card", has_text=PDF.name).first
        link = card.locator("a.rag-open")
        expect(link).to_have_text(re.compile(r"^Open p\. \d+$"))
        n = int(link.inner_text().split()[-1])
        with context.expect_event("response", predicate=lambda r: "/source/" in r.url) as served:
            with context.expect_page() as opened:
                link.click()
        response = served.value
        tab = opened.value
        assert re.search(rf"/source/[0-9a-f]{{16}}#page={n}$", tab.url), tab.url
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        # The indexed file itself (asked again with the tab's session: Chromium hands the first
        # response's body to its PDF viewer).
        assert context.request.get(tab.url.split("#")[0]).body() == PDF.read_bytes()

        # Page n is where the cited passage is: its supporting sentence is in that page's text.
        support = words(card.locator(".rag-excerpt mark").first.inner_text())
        pdf = pdfium.PdfDocument(PDF)
        try:
            texts = [words(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
        finally:
            pdf.close()
        assert "verbose tutorial comment lines" in support and support in texts[n - 1]
        assert [i + 1 for i, t in enumerate(texts) if support in t] == [n]
        browser.close()
