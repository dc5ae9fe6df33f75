"""A conversation in the web chat, in a real headless Chromium (Debian's, driven by Playwright): a
question, then a pronoun follow-up answered with citations and "searched for" shown; the
conversation survives a reload (the browser's localStorage); Export downloads it as Markdown with
its citations; New conversation clears it, also across a reload."""

from __future__ import annotations

import pytest

from tests.integration.test_browser import ARTIFACTS, CHROMIUM, FINAL, ask, app_url, browser, page  # noqa: F401 (fixtures)

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"
FOLLOW_UP = "How did he manage to leave Pakistan afterwards?"
RESOLVED = "How did Raymond Davis manage to leave Pakistan afterwards?"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (run `make browser`)"),
]


def test_follow_up_reload_export_and_new_conversation(page):
    from playwright.sync_api import expect

    first, _ = ask(page, DAVIS)
    assert "Raymond Davis" in first.inner_text()
    assert first.locator(".rag-searched").count() == 0  # searched as typed: nothing to say

    answer, _ = ask(page, FOLLOW_UP)
    expect(answer.locator(".rag-searched")).to_have_text(f"searched for: {RESOLVED}")
    text = answer.locator(".rag-answer-text").inner_text()
    assert "allowed to leave Pakistan" in text and "[1]" in text
    card = answer.locator(".rag-sources .rag-card").first
    assert "allowed to leave Pakistan" in card.locator(".rag-excerpt mark").first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conversation.png"))

    # The conversation is the browser's: it is still there after a reload.
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea")
    expect(page.locator(FINAL)).to_have_count(2, timeout=30_000)
    expect(page.locator("#chat .rag-searched")).to_have_text(f"searched for: {RESOLVED}")
    assert DAVIS in page.locator("#chat").inner_text()

    # ... and goes on from there: the next follow-up still knows whom "he" means.
    again, _ = ask(page, "Where did he kill the two pedestrians?")
    assert "Raymond Davis" in again.locator(".rag-searched").inner_text()

    with page.expect_download(timeout=30_000) as download:
        page.locator("#export").click()
    assert download.value.suggested_filename == "conversation.md"
    md = open(download.value.path(), encoding="utf-8").read()
    assert f"## 1. {DAVIS}" in md and f"## 2. {FOLLOW_UP}" in md and f"*searched for: {RESOLVED}*" in md
    assert "allowed to leave Pakistan" in md and "Sources:" in md and "- [1] **" in md

    # New conversation clears it, for good: a reload brings nothing back, and "he" is searched as typed.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("#chat .rag-answer")).to_have_count(0)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea")
    alone, _ = ask(page, FOLLOW_UP)
    assert alone.locator(".rag-searched").count() == 0
    expect(page.locator("#chat .rag-answer")).to_have_count(1)  # nothing of the old conversation came back
