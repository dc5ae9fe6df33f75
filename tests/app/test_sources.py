"""Open the source: the citation cards' `source/<doc_id>` route, served for real on 127.0.0.1 behind
the login, over a copy of the small index with a PDF uploaded to it."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from rag.app.render import render_card
from rag.app.sources import document_html, link_text, source_href
from rag.domain import Citation
from rag.ingest.manifest import DocRecord
from rag.ingest.uploads import Library
from rag.rwlock import ReadWriteLock
from rag.wiring import Pipeline
from tests.servers import free_port, web_chat

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "debmake-nospace.pdf"
AUTH = ("reader", "correct horse battery")
TEXT_Q = "When did President Biden announce the US withdrawal from Afghanistan?"


@pytest.fixture(scope="module")
def site(small_index, tmp_path_factory):
    """(url, pipeline, pdf doc_id): the app over a private copy of the small index plus one PDF."""
    data = tmp_path_factory.mktemp("sources") / "data"
    shutil.copytree(small_index.settings.store.data_dir, data)
    settings = small_index.settings.updated(data_dir=data, port=free_port(), auth_user=AUTH[0],
                                            auth_password=SecretStr(AUTH[1]))
    pipe = Pipeline(settings)
    pdf_id = Library(pipe, ReadWriteLock()).add(PDF).doc_id
    with web_chat(pipe) as url:
        yield url, pipe, pdf_id


@pytest.fixture(scope="module")
def user(site):
    """An HTTP client logged in to the chat."""
    with httpx.Client(base_url=site[0]) as c:
        assert c.post("login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        yield c


def test_pdf_is_served_as_the_indexed_file_inline(site, user):
    _, pipe, pdf_id = site
    r = user.get(f"source/{pdf_id}")
    assert r.status_code == 200 and r.content == PDF.read_bytes()
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline")
    citation = next(c for c in pipe.answerer.ask("How does debmake -j work?").citations if c.doc_id == pdf_id)
    assert source_href(citation) == f"source/{pdf_id}#page={citation.page}" and citation.page >= 1


def test_text_view_shows_the_passage_highlighted(site, user):
    _, pipe, _ = site
    c = pipe.answerer.ask(TEXT_Q).citations[0]
    assert c.source.endswith(".txt") and c.doc_id and c.end > c.start
    href = source_href(c)
    assert href == f"source/{c.doc_id}?start={c.start}&end={c.end}#passage"
    r = user.get(href.split("#")[0])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    marked = re.search(r'<mark id="passage">(.*?)</mark>', r.text, re.S)
    assert marked and unescape(marked.group(1)) == c.text  # the offsets are the chunk's in the cleaned text
    # Without offsets: the whole document, nothing marked.
    whole = user.get(f"source/{c.doc_id}")
    assert whole.status_code == 200 and "<mark" not in whole.text and c.text[:60] in unescape(whole.text)


@pytest.mark.parametrize("tail", [
    "0123456789abcdef", "..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2Fetc%2Fpasswd",
    "..%5c..%5cetc", "/etc/passwd", "../manifest.json", "%2e%2e", "5f4fc9f17318e1a0%00", "5F4FC9F17318E1A0X",
])
def test_path_tricks_and_unknown_ids_are_not_found(site, user, tail):
    # Sent as written (http.client leaves dot segments alone; httpx would resolve them first).
    host = urlsplit(site[0])
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    try:
        conn.request("GET", "/source/" + tail, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in user.cookies.items())})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    assert r.status == 404 and b"root:" not in body and b"%PDF" not in body


def test_a_symlink_in_the_way_of_an_indexed_file_is_not_served(site, user, tmp_path):
    _, pipe, _ = site
    secret = tmp_path / "secret.txt"
    secret.write_text("Top secret.\n\nroot:x:0:0\n", encoding="utf-8")
    sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    link = pipe.settings.upload_dir / "link.txt"
    os.symlink(secret, link)
    docs = pipe.ingestor.manifest.documents
    fake = {"0123456789abcde0": str(link), "0123456789abcde1": str(tmp_path / "gone.txt")}  # via a link; no file
    try:
        for doc_id, path in fake.items():
            docs[doc_id] = DocRecord(doc_id, path, Path(path).name, "t", [], sha, [], "2024-01-01T00:00:00+00:00")
            r = user.get(f"source/{doc_id}")
            assert r.status_code == 404 and "secret" not in r.text.lower()
    finally:
        for doc_id in fake:
            docs.pop(doc_id, None)
        link.unlink()


def test_a_file_indexed_from_elsewhere_opens_that_file_only_while_it_is_the_indexed_one(site, user, tmp_path):
    # `rag ingest ~/elsewhere/guide.pdf`: outside the corpus and upload folders, the link still works.
    _, pipe, _ = site
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pdf = elsewhere / "guide.pdf"
    pdf.write_bytes(PDF.read_bytes())
    notes = elsewhere / "notes.md"
    notes.write_text("# Field notes\n\nThe ferry to Quillon leaves at 7:15 every weekday.\n", encoding="utf-8")
    report = pipe.ingestor.ingest([pdf, notes], sync=False)
    assert sorted(report.added) == ["guide.pdf", "notes.md"]
    ids = {Path(r.path).name: r.doc_id for r in pipe.ingestor.manifest.documents.values() if Path(r.path).parent == elsewhere}
    try:
        r = user.get(f"source/{ids['guide.pdf']}")
        assert r.status_code == 200 and r.content == PDF.read_bytes() and r.headers["content-type"] == "application/pdf"
        text = user.get(f"source/{ids['notes.md']}")
        assert text.status_code == 200 and "ferry to Quillon" in text.text
        notes.write_text("# Field notes\n\nChanged since.\n", encoding="utf-8")  # changed: not the indexed file
        assert user.get(f"source/{ids['notes.md']}").status_code == 404
        pdf.unlink()  # deleted
        assert user.get(f"source/{ids['guide.pdf']}").status_code == 404
        other = tmp_path / "other.pdf"  # a link put where it was, to a file with the same bytes
        other.write_bytes(PDF.read_bytes())
        os.symlink(other, pdf)
        assert user.get(f"source/{ids['guide.pdf']}").status_code == 404
    finally:
        for doc_id in ids.values():
            pipe.ingestor.remove(doc_id)


def test_a_changed_file_is_not_served(site, user):
    _, pipe, pdf_id = site
    path = Path(pipe.ingestor.manifest.documents[pdf_id].path)
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n%changed")
        assert user.get(f"source/{pdf_id}").status_code == 404
    finally:
        path.write_bytes(original)
    assert user.get(f"source/{pdf_id}").status_code == 200


def test_without_the_login_the_source_is_refused(site):
    url, _, pdf_id = site
    for cookies in ({}, {"access-token-unsecure-x": "forged"}):
        r = httpx.get(f"{url}source/{pdf_id}", cookies=cookies)
        assert r.status_code in (401, 403) and b"%PDF" not in r.content
    with httpx.Client(base_url=url) as c:
        assert c.post("login", data={"username": AUTH[0], "password": "wrong"}).status_code != 200
        assert c.get(f"source/{pdf_id}").status_code == 401


# --- the card link and the page, without a server ----------------------------------

def _cite(**kw):
    base = dict(n=1, source="guide.pdf", title="Guide", section="S", text="Some text.", score=0.5,
                doc_id="0123456789abcdef", start=10, end=20)
    return Citation(**{**base, **kw})


def test_card_links_open_the_pdf_at_the_page_or_the_text_at_the_passage():
    pdf = render_card(_cite(page=12), "k", [])
    assert ('<a class="rag-open" href="source/0123456789abcdef#page=12" target="_blank" rel="noopener">Open p. 12</a>'
            in pdf)
    txt = render_card(_cite(source="notes.md"), "k", [])
    assert ('href="source/0123456789abcdef?start=10&amp;end=20#passage" target="_blank" rel="noopener">Open in document</a>'
            in txt)
    assert link_text(_cite(source="a.PDF", page=3)) == "Open p. 3"
    # No (valid) document id: no link, never a path in the URL.
    assert "rag-open" not in render_card(_cite(doc_id=""), "k", [])
    assert source_href(_cite(doc_id="../../etc/passwd")) is None


def test_document_page_escapes_the_text_and_marks_only_valid_spans():
    text = "<script>alert(1)</script> before. The passage & more. After."
    a = text.index("The passage")
    html = document_html("T <b>", "t.txt", text, a, a + len("The passage & more."))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<title>T &lt;b&gt;</title>" in html
    assert '<mark id="passage">The passage &amp; more.</mark>' in html
    for start, end in ((5, 5), (-1, 3), (0, len(text) + 1)):
        bad = document_html("T", "t.txt", text, start, end)
        assert "<mark" not in bad and "not in this text" in bad
