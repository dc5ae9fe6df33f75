"""The web chat in a real headless Chromium (Debian's, driven by Playwright; never a downloaded
browser): streamed cited answers, the not-in-the-documents state, upload then ask, separate
sessions. Saves a screenshot of the answered chat to test-artifacts/chat.png."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from rag.wiring import Pipeline
from tests.conftest import CORPUS, ROOT, make_settings
from tests.servers import free_port, web_chat

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
CORPUS_Q = "When did President Biden announce the US withdrawal from Afghanistan?"
OFF_TOPIC = "What is the recipe for chocolate cake?"
FINAL = "#chat .rag-answered, #chat .rag-abstained, #chat .rag-fallback, #chat .rag-error"
UPLOAD_TEXT = (
    "The Zarnobian Lighthouse\n\n"
    "The keeper of the Zarnobian lighthouse is Eldric Vantashi. He has kept its lamp burning since 1987, "
    "through every winter storm on the northern cape.\n\n"
    "The lighthouse stands forty metres tall and its beam reaches thirty kilometres out to sea.\n"
)

pytestmark = [  # slow, like all of tests/integration (tests/conftest.py marks it)
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (run `make browser`)"),
]

# Records when the streamed answer's first text and the finished answer appear (for the report).
TIMER = """() => { const chat = document.querySelector('#chat'); const t = {start: performance.now()};
  const done = () => chat.querySelectorAll('.rag-answered, .rag-abstained, .rag-fallback, .rag-error').length;
  const n0 = done(); window.__ragTimes = t;
  new MutationObserver((_, obs) => {
    const s = [...chat.querySelectorAll('.rag-streaming .rag-answer-text')].pop();
    if (!t.first && s && s.textContent.replace('\u258d', '').trim()) t.first = performance.now();
    if (done() > n0) { t.done = performance.now(); t.first = t.first || t.done; obs.disconnect(); }
  }).observe(chat, {subtree: true, childList: true, characterData: true}); }"""


@pytest.fixture(scope="module")
def app_url(corpus_pipeline, tmp_path_factory):
    """The app on a free port over a writable copy of the real corpus index (uploads change it)."""
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(corpus_pipeline.settings.store.data_dir, data)
    settings = make_settings(data, CORPUS, port=free_port(), examples=["What is the China-Pakistan Economic Corridor?"])
    with web_chat(Pipeline(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    p = context.new_page()
    p.goto(app_url, wait_until="domcontentloaded")
    p.wait_for_selector("#question textarea")
    yield p
    context.close()


def ask(page, question: str):
    """Type the question, press Enter, wait for the finished answer; the answer and timings (s)."""
    from playwright.sync_api import expect

    final = page.locator(FINAL)
    n0 = final.count()
    page.evaluate(TIMER)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(final).to_have_count(n0 + 1, timeout=120_000)
    t = page.evaluate("() => window.__ragTimes")
    return final.last, {"first_token_s": round((t["first"] - t["start"]) / 1000, 3), "complete_s": round((t["done"] - t["start"]) / 1000, 3)}


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_corpus_question_streams_a_cited_answer_with_checkable_cards(page):
    from playwright.sync_api import expect

    answer, timings = ask(page, CORPUS_Q)
    assert "[1]" in answer.locator(".rag-answer-text").inner_text()
    card = answer.locator(".rag-sources .rag-card").first
    support = card.locator(".rag-excerpt mark").first.inner_text()
    source = card.locator(".rag-card-meta").inner_text()
    corpus_file = next(f for f in CORPUS.iterdir() if f.name in source)
    assert len(support) > 40 and _words(support) in _words(corpus_file.read_text(encoding="utf-8"))

    # [1] is a link to its card; the full passage opens in place.
    answer.locator("a.rag-cite").first.click()
    expect(card).to_be_in_viewport()
    assert re.search(r"#a[0-9a-f]{8}-c1$", page.url)
    full = card.locator(".rag-passage")
    expect(full).to_be_hidden()
    card.locator("summary").click()
    expect(full).to_be_visible()
    assert support in full.inner_text()

    # The screenshot: the question, the answer and its first card in view.
    page.evaluate("""() => { for (const el of document.querySelectorAll('#chat *'))
        if (el.scrollHeight > el.clientHeight + 4 && getComputedStyle(el).overflowY !== 'visible') el.scrollTop = 0; }""")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    (ARTIFACTS / "chat-timings.json").write_text(json.dumps({"question": CORPUS_Q, **timings}, indent=1), encoding="utf-8")


def test_a_card_opens_its_document_at_the_passage_in_a_new_tab(page):
    from playwright.sync_api import expect

    answer, _ = ask(page, CORPUS_Q)
    card = answer.locator(".rag-sources .rag-card").first
    link = card.locator("a.rag-open")
    expect(link).to_have_text("Open in document")  # the shipped corpus is .txt
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    with page.context.expect_page() as opened:
        link.click()
    doc = opened.value
    doc.wait_for_load_state()
    assert re.search(r"/source/[0-9a-f]{16}\?start=\d+&end=\d+#passage$", doc.url), doc.url
    passage = doc.locator("mark#passage")
    expect(passage).to_be_in_viewport()
    support = card.locator(".rag-excerpt mark").first.inner_text()
    assert _words(support) in _words(passage.inner_text())
    doc.close()


def test_off_topic_question_shows_the_not_in_the_documents_state(page):
    answer, _ = ask(page, OFF_TOPIC)
    assert "rag-abstained" in answer.get_attribute("class")
    assert "Not in the documents" in answer.locator(".rag-banner").inner_text()
    assert answer.locator(".rag-sources").count() == 0 and answer.locator("a.rag-cite").count() == 0


def test_uploaded_file_is_indexed_and_answers_questions(page, tmp_path):
    from playwright.sync_api import expect

    good = tmp_path / "Zarnobian lighthouse.txt"
    good.write_text(UPLOAD_TEXT, encoding="utf-8")
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a pdf")
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#library-table")
    expect(table).to_contain_text("000_f583a770491e03be.txt")
    page.locator("#upload input[type=file]").set_input_files([str(good), str(bad)])
    status = page.locator("#library-status")
    expect(status).to_contain_text("Zarnobian_lighthouse.txt: added", timeout=120_000)
    expect(status).to_contain_text("✗ broken.pdf")
    expect(table).to_contain_text("Zarnobian_lighthouse.txt")
    assert "broken.pdf" not in table.inner_text()

    page.get_by_role("tab", name="Chat").click()
    answer, _ = ask(page, "Who is the keeper of the Zarnobian lighthouse?")
    assert "Vantashi" in answer.locator(".rag-answer-text").inner_text()
    assert "Zarnobian_lighthouse.txt" in answer.locator(".rag-sources .rag-card").first.inner_text()

    # Removing it takes it out of the answers again.
    page.get_by_role("tab", name="Library").click()
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name=re.compile("Zarnobian_lighthouse.txt")).click()
    page.locator("#remove").click()
    expect(status).to_contain_text("Removed", timeout=60_000)
    expect(table).not_to_contain_text("Zarnobian_lighthouse.txt")
    page.get_by_role("tab", name="Chat").click()
    answer, _ = ask(page, "Who is the keeper of the Zarnobian lighthouse?")
    assert "Vantashi" not in answer.inner_text()


def test_each_browser_session_has_its_own_conversation(browser, app_url, page):
    from playwright.sync_api import expect

    ask(page, CORPUS_Q)
    other = browser.new_context().new_page()
    other.goto(app_url, wait_until="domcontentloaded")
    other.wait_for_selector("#question textarea")
    assert other.locator("#chat .rag-answer").count() == 0
    # An example question is one click away in an empty chat, and answers in that session only.
    other.locator("#chat button.example", has_text="China-Pakistan Economic Corridor").click()
    expect(other.locator(FINAL)).to_have_count(1, timeout=120_000)
    assert "Economic Corridor" in other.locator("#chat .rag-answer-text").inner_text()
    assert page.locator(FINAL).count() == 1 and "Economic Corridor" not in page.locator("#chat").inner_text()
    # A new conversation starts empty and stays so: the next answer comes alone.
    other.get_by_role("button", name="New conversation").click()
    expect(other.locator("#chat .rag-answer")).to_have_count(0)
    ask(other, OFF_TOPIC)
    assert other.locator("#chat .rag-answer").count() == 1
    other.context.close()
