"""Open the source: each citation card links to its document, opened at the cited place.

A PDF is served as the original file (`source/<doc_id>#page=12`: browsers' PDF viewers honour
`#page=N`); a text or Markdown file as an HTML view of its cleaned text with the passage marked
(`source/<doc_id>?start=123&end=456#passage`, the offsets being the chunk's into the cleaned text).

Only documents in the index can be opened: the id is looked up in the ingest manifest, and the file
is served only when it still is the regular file that was indexed (the same absolute path, no
symlink anywhere on it, the same SHA-256). No path is ever taken from the request. The route sits
behind the chat's login (Gradio's session cookie) when one is set.

A file indexed from outside the corpus and upload folders (`rag ingest ~/manuals/guide.pdf`) opens
too: its text is already readable through the chat's passages, and a link that fails for some
documents would be a broken citation. What it opens is that exact file and nothing near it, since
the manifest (written by ingest alone) names it; a file deleted, changed or replaced by a link since
it was indexed is not served (404) until it is ingested again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from html import escape
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from rag.domain import Citation

log = logging.getLogger(__name__)

ROUTE = "/source/{doc_id}"
DOC_ID = re.compile(r"[0-9a-f]{16}")  # rag.ingest.chunking.document_id: a path's SHA-1, 16 hex digits
PDF_SUFFIX = ".pdf"


class NotServed(LookupError):
    """The document can't be opened (unknown id, not the indexed file any more, unreadable)."""


def source_href(c: Citation) -> str | None:
    """The card's link to its document at the cited place (relative to the chat page), or None
    when the citation doesn't say which document it is."""
    if not DOC_ID.fullmatch(c.doc_id or ""):
        return None
    base = "source/" + quote(c.doc_id)
    if is_pdf(c.source):
        return f"{base}#page={c.page or 1}"
    if 0 <= c.start < c.end:
        return f"{base}?start={c.start}&end={c.end}#passage"
    return base


def link_text(c: Citation) -> str:
    return f"Open p. {c.page or 1}" if is_pdf(c.source) else "Open in document"


def is_pdf(name: str) -> bool:
    return Path(name or "").suffix.lower() == PDF_SUFFIX


class SourceFiles:
    """The indexed documents, opened for reading by id (the manifest is the allow-list)."""

    def __init__(self, pipeline, lock):
        self.pipeline = pipeline
        self.lock = lock

    def record(self, doc_id: str):
        """The manifest's record of an indexed document whose file is still the indexed one."""
        if not DOC_ID.fullmatch(doc_id or ""):
            raise NotServed("not a document id")
        with self.lock.read():
            record = self.pipeline.ingestor.manifest.documents.get(doc_id)
        if record is None:
            raise NotServed("no such document in the index")
        path = Path(record.path)
        # Ingest records resolved paths: if resolving now gives another one, a link was put in its way.
        # Where the file lies does not matter (see the module docstring); its hash is checked on reading.
        if not path.is_absolute() or path.resolve() != path or not path.is_file():
            raise NotServed("the indexed file is not there any more")
        return record

    def pdf_bytes(self, doc_id: str) -> tuple[bytes, str]:
        """The PDF's bytes (exactly those indexed) and its file name."""
        record = self.record(doc_id)
        if not is_pdf(record.path):
            raise NotServed("not a PDF")
        data = _read(Path(record.path))
        if hashlib.sha256(data).hexdigest() != record.sha256:
            raise NotServed("the file changed since it was indexed")
        return data, record.source

    def text_view(self, doc_id: str, start: int | None, end: int | None) -> str:
        """The cleaned text as an HTML page, the passage [start, end) marked (when given and valid)."""
        from rag.ingest.documents import DocumentError, read_document

        record = self.record(doc_id)
        if is_pdf(record.path):
            raise NotServed("a PDF is served as the file")
        try:
            doc = read_document(Path(record.path))
        except DocumentError as e:
            raise NotServed(str(e)) from None
        if doc.sha256 != record.sha256:
            raise NotServed("the file changed since it was indexed")
        return document_html(doc.title or record.source, record.source, doc.text, start, end)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise NotServed(f"cannot read ({e.strerror or e})") from None


def document_html(title: str, source: str, text: str, start: int | None, end: int | None) -> str:
    """A standalone page of the text, escaped, with text[start:end] in <mark id="passage">."""
    ok = start is not None and end is not None and 0 <= start < end <= len(text)
    if ok:
        body = f'{escape(text[:start])}<mark id="passage">{escape(text[start:end])}</mark>{escape(text[end:])}'
    else:
        body = escape(text)
    note = "" if ok or (start is None and end is None) else '<p class="note">The cited place is not in this text.</p>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{PAGE_CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><div class="file">{escape(source)}</div>{note}</header>'
        f'<main class="text">{body}</main></body></html>'
    )


PAGE_CSS = (
    "body{font:16px/1.6 ui-sans-serif,system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em;color:#1f2937}"
    "h1{font-size:1.3em;margin:0}.file{color:#6b7280;font-size:.85em;margin-bottom:1.2em}.note{color:#92400e}"
    ".text{white-space:pre-wrap;overflow-wrap:break-word}"
    "mark#passage{background:#fde68a;color:inherit;scroll-margin-top:30vh;outline:2px solid #f59e0b;border-radius:2px}"
)

# The text view runs nothing and loads nothing; a PDF is never sniffed as anything else.
TEXT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PDF_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def logged_in(server_app, request) -> bool:
    """Whether the request may see what the chat shows: no login set, or Gradio's session cookie
    names a logged-in user (the check Gradio's own routes make). Fails closed."""
    auth = getattr(server_app, "auth", None)
    if auth is None and getattr(server_app, "auth_dependency", None) is None:
        return True
    try:
        cookie = server_app.cookie_id
        token = request.cookies.get(f"access-token-{cookie}") or request.cookies.get(f"access-token-unsecure-{cookie}")
        return token is not None and server_app.tokens.get(token) is not None
    except AttributeError:
        return False


def mount(server_app, files: SourceFiles) -> None:
    """Add the `/source/<doc_id>` route to the Gradio server's FastAPI app."""
    def open_source(doc_id: str, request: Request, start: int | None = None, end: int | None = None):
        if not logged_in(server_app, request):
            return PlainTextResponse("Not authenticated: log in to the chat first.", status_code=401)
        try:
            if is_pdf(files.record(doc_id).path):
                data, name = files.pdf_bytes(doc_id)
                disposition = "inline; filename*=utf-8''" + quote(name)
                return Response(data, media_type="application/pdf",
                                headers={**PDF_HEADERS, "Content-Disposition": disposition})
            return HTMLResponse(files.text_view(doc_id, start, end), headers=TEXT_HEADERS)
        except NotServed as e:
            log.info("source %r not served: %s", doc_id, e)
            return PlainTextResponse("No such document in the index.", status_code=404)

    server_app.add_api_route(ROUTE, open_source, methods=["GET"], include_in_schema=False)
