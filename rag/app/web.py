"""The web chat (Gradio): streamed answers with checkable citations, the document library, and the
answer settings, plus a headless `/ask` API endpoint for scripts.

`build_app(pipeline)` wires the interface over one Pipeline; `serve(settings)` brings the index up
to date, loads the models once and runs the server. Each browser keeps its own conversation in its
localStorage (gr.BrowserState: it survives a reload, and nothing of it is stored on the server); it
is sent with each question, so a follow-up is searched with the earlier turns, and concurrent users
never see each other's answers. Questions read the index under the read side of a lock; uploads
and removals take the write side, so an answer never meets a half-rebuilt keyword index.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from html import escape
from pathlib import Path

import gradio as gr

from rag.answer.answerer import QuestionError
from rag.config import Settings
from rag.ingest.documents import KINDS
from rag.ingest.uploads import ALLOWED_TYPES, Library, LibraryError, table_row
from rag.app import sources
from rag.app.sources import SourceFiles
from rag.app.render import render_answer, render_error, render_question, render_streaming
from rag.app.transcript import exchanges, record, to_markdown
from rag.rwlock import ReadWriteLock
from rag.domain import Answer

log = logging.getLogger(__name__)

TITLE = "Ask the documents"

# The chat's look: citation cards, banners, markers (a file, so it can be read and edited as CSS).
CSS = (Path(__file__).resolve().parent / "chat.css").read_text(encoding="utf-8")
# The browser's copy of its conversation: the chat's messages (rendered) and the answered turns.
EMPTY = {"messages": [], "turns": []}
# Export: the Markdown the server wrote from the browser's own conversation, saved as a file by the browser.
DOWNLOAD_JS = """(md) => { if (!md) return; const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([md], {type: 'text/markdown'})); a.download = 'conversation.md';
  document.body.appendChild(a); a.click(); a.remove(); }"""


def backend_choices(settings: Settings) -> list[str]:
    """The answer backends offered in the UI (the LLM registry's names when it is installed)."""
    try:
        from rag.answer.llms import BACKENDS

        names = sorted(BACKENDS)
    except ImportError:
        names = ["extractive"]
    if settings.llm.backend not in names:
        names.append(settings.llm.backend)
    return names


def describe_backend(settings: Settings, backend: str) -> str:
    """One line about what answers with this backend (never a secret)."""
    if backend == "extractive":
        return "No language model: answers are the documents' own sentences, each cited."
    model = settings.llm.model
    if model and ("/" in model or model.endswith(".gguf")):
        model = Path(model).name  # a local path: the file name is what the user recognises
    where = f" at {settings.llm.base_url}" if settings.llm.base_url and backend in ("openai", "ollama") else ""
    return f"Model: **{model or 'the backend default'}**{where} (from the settings)."


class WebChat:
    """The handlers behind the interface: answering, the API, and the library."""

    def __init__(self, pipeline, lock: ReadWriteLock | None = None):
        self.pipeline = pipeline
        self.settings: Settings = pipeline.settings
        self.lock = lock or ReadWriteLock()
        self.library = Library(pipeline, self.lock)
        self.backends = backend_choices(self.settings)

    # --- answering -------------------------------------------------------------
    def answer_steps(self, question: str, k: int | None, backend: str | None, strict: bool | None,
                     history=(), reading=None) -> Iterator[str | Answer]:
        """The answerer's stream, each step taken under the index read lock (released between
        steps, so an upload waits for at most one step of each answer in flight)."""
        if backend and backend not in self.backends:
            raise QuestionError(f"unknown backend {backend!r}; choose one of {', '.join(self.backends)}")
        steps = self.pipeline.answerer.stream(question, k, backend=backend or None, strict=strict, history=history,
                                              reading=reading)
        try:
            while True:
                with self.lock.read():
                    item = next(steps, None)
                if item is None:
                    return
                yield item
        finally:
            steps.close()

    def respond(self, question: str, saved: dict | None, backend: str, k: float, strict: bool):
        """Chat handler: append the question, stream the answer into the last message; the browser's
        conversation (`saved`: messages and answered turns) comes in and goes back with it."""
        saved = conversation(saved)
        messages, turns = list(saved["messages"]), list(saved["turns"])
        try:
            history = exchanges([{"question": t["question"], "answer": t["answer"], "citations": t.get("citations")}
                                 for t in turns[-self.settings.conversation.max_turns:]], self.settings)
        except QuestionError:  # a stored turn over the limits (edited by hand): answer without the history
            history = []
        question = question or ""
        messages.append({"role": "user", "content": render_question(question)})
        messages.append({"role": "assistant", "content": render_streaming("")})
        yield messages, {"messages": messages, "turns": turns}, ""
        key = "a" + uuid.uuid4().hex[:8]
        text = ""
        reading: list = []  # the passages an LLM reads, shown while it works towards its first token
        try:
            for item in self.answer_steps(question, int(k) if k else None, backend, bool(strict), history, reading.extend):
                if isinstance(item, Answer):
                    messages[-1] = {"role": "assistant", "content": render_answer(item, key)}
                    turns = [*turns, record(item)]
                else:
                    text += item
                    messages[-1] = {"role": "assistant", "content": render_streaming(text, reading)}
                yield messages, {"messages": messages, "turns": turns}, ""
        except QuestionError as e:
            messages[-1] = {"role": "assistant", "content": render_error(str(e))}
            yield messages, {"messages": messages, "turns": turns}, question  # give the question back to fix
        except Exception as e:  # the UI boundary: report, keep serving
            log.exception("answering failed")
            messages[-1] = {"role": "assistant", "content": render_error(f"the answer failed: {type(e).__name__}: {e}")}
            yield messages, {"messages": messages, "turns": turns}, question

    def export(self, saved: dict | None) -> str:
        """The browser's conversation as Markdown, for its Export button ("" when there is none)."""
        turns = conversation(saved)["turns"]
        return to_markdown(turns, f"{TITLE}: conversation") if turns else ""

    def ask(self, question: str, backend: str | None = None, history: list[dict] | None = None) -> dict:
        """The `/ask` API: the same JSON object as `rag ask --json` (or {question, error}). `history`:
        the conversation's earlier turns, oldest first, as [{"question": ..., "answer": ..., "citations": [...]}]
        (citations optional, as the answer came back)."""
        answer = None
        try:
            turns = exchanges(history, self.settings)
            for item in self.answer_steps(question, None, backend or None, None, turns):
                if isinstance(item, Answer):
                    answer = item
        except QuestionError as e:
            return {"question": question, "error": str(e)}
        if answer is None:  # pragma: no cover - the answerer always ends with an Answer
            return {"question": question, "error": "no answer was produced"}
        return answer.to_dict()

    # --- library ---------------------------------------------------------------
    def library_view(self):
        """The table rows and the removal choices."""
        docs = self.library.documents()
        rows = [table_row(d) for d in docs]
        choices = [(f"{d.title} — {d.source}", d.doc_id) for d in docs]
        return rows, gr.update(choices=choices, value=None), f"{len(docs)} documents, {sum(r[2] for r in rows)} passages in the index."

    def upload(self, files, progress=gr.Progress()):
        """Ingest uploaded files one by one; each gets a line saying what happened."""
        paths = [files] if isinstance(files, str) else list(files or [])
        lines = []
        for i, f in enumerate(paths):
            path = Path(f if isinstance(f, str) else getattr(f, "name", f))
            progress((i, len(paths)), desc=f"Reading and indexing {path.name}")
            try:
                # Per page read and per batch embedded: a 500-page PDF shows where it is.
                step = lambda st: progress((st.done, st.total), desc=str(st))  # noqa: E731
                lines.append("✓ " + self.library.add(path, path.name, progress=step).message())
            except LibraryError as e:
                lines.append(f"✗ {e}")
            except Exception as e:  # the UI boundary: one bad file must not take the others down
                log.exception("upload failed")
                lines.append(f"✗ {path.name}: could not be indexed ({type(e).__name__}: {e})")
        progress((len(paths), len(paths)), desc="Done")
        rows, choices, summary = self.library_view()
        return _status(lines), rows, choices, summary, None

    def remove(self, doc_id: str | None):
        """Remove the chosen document; the status line says what happened."""
        if not doc_id:
            msg = "✗ Choose a document to remove."
        else:
            try:
                msg = "✓ " + self.library.remove(doc_id)
            except LibraryError as e:
                msg = f"✗ {e}"
        rows, choices, summary = self.library_view()
        return _status([msg]), rows, choices, summary


def conversation(saved: object) -> dict:
    """The browser's stored conversation, or an empty one when it holds nothing usable (a first
    visit, an older format, a value edited by hand)."""
    if (isinstance(saved, dict) and isinstance(saved.get("messages"), list) and isinstance(saved.get("turns"), list)
            and all(isinstance(t, dict) and isinstance(t.get("question"), str) and isinstance(t.get("answer"), str)
                    for t in saved["turns"])):
        return saved
    return EMPTY


def _status(lines: list[str]) -> str:
    return "".join(f'<div class="rag-status-line">{escape(line)}</div>' for line in lines)


def build_app(pipeline, lock: ReadWriteLock | None = None) -> gr.Blocks:
    """The Gradio app over a ready pipeline (the index built, ideally the models warm)."""
    chat = WebChat(pipeline, lock)
    s = chat.settings
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"## {TITLE}\nAnswers come only from the indexed documents; every **[n]** links to the passage it rests on.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=4):
                        chatbot = gr.Chatbot(
                            elem_id="chat", height=640, latex_delimiters=[], buttons=["copy"], feedback_options=None,
                            layout="panel", examples=[{"text": q} for q in s.web.examples] or None, show_label=False,
                            placeholder="Ask a question about the documents, or pick an example.",
                        )
                        question = gr.Textbox(
                            elem_id="question", show_label=False, submit_btn="Ask", autofocus=True,
                            placeholder="Ask a question about the documents and press Enter", max_lines=6,
                        )
                        with gr.Row():
                            new_chat = gr.Button("New conversation", size="sm", variant="secondary", elem_id="new-chat")
                            export = gr.Button("Export", size="sm", variant="secondary", elem_id="export")
                        export_md = gr.Textbox(visible=False, elem_id="export-md")
                    with gr.Column(scale=1, min_width=240):
                        gr.Markdown("#### Answer settings")
                        backend = gr.Dropdown(chat.backends, value=s.llm.backend, label="Answer with", elem_id="backend")
                        model_info = gr.Markdown(describe_backend(s, s.llm.backend))
                        k = gr.Slider(1, 20, value=s.retrieval.top_k, step=1, label="Passages to retrieve", elem_id="top-k")
                        strict = gr.Checkbox(value=s.answer.strict, label="Strict grounding (drop sentences the sources don't support)")
            with gr.Tab("Library", id="library"):
                summary = gr.Markdown()
                table = gr.Dataframe(
                    headers=["Title", "File", "Passages", "Ingested", "Notes"], datatype=["str", "str", "number", "str", "str"],
                    interactive=False, elem_id="library-table", wrap=True, column_widths=["52%", "24%", "9%", "15%"],
                )
                with gr.Row():
                    with gr.Column():
                        files = gr.File(
                            label=f"Add documents ({KINDS.replace(' or', ',')}; up to {s.web.max_upload_mb:g} MB each)",
                            file_count="multiple", file_types=list(ALLOWED_TYPES), elem_id="upload",
                        )
                    with gr.Column():
                        doomed = gr.Dropdown([], label="Remove a document from the index", elem_id="remove-choice")
                        remove = gr.Button("Remove", variant="stop", elem_id="remove")
                status = gr.HTML(elem_id="library-status")

        # The conversation of this browser, kept in its localStorage; the Chatbot only displays it.
        saved = gr.BrowserState(EMPTY, storage_key="rag-conversation", secret=_storage_secret(s))
        ins, outs = [question, saved, backend, k, strict], [chatbot, saved, question]
        question.submit(chat.respond, ins, outs, api_visibility="private")
        chatbot.example_select(_example_text, None, question, api_visibility="private", queue=False).then(
            chat.respond, ins, outs, api_visibility="private"
        )
        new_chat.click(lambda: ([], EMPTY, ""), None, outs, api_visibility="private", queue=False)
        chatbot.clear(lambda: EMPTY, None, saved, api_visibility="private", queue=False)  # the chat's own bin icon
        export.click(chat.export, saved, export_md, api_visibility="private", queue=False).then(
            None, export_md, None, js=DOWNLOAD_JS, api_visibility="private")
        app.load(lambda v: conversation(v)["messages"], saved, chatbot, api_visibility="private", queue=False)
        backend.change(lambda b: describe_backend(s, b), backend, model_info, api_visibility="private", queue=False)

        lib_outs = [table, doomed, summary]
        app.load(chat.library_view, None, lib_outs, api_visibility="private")
        files.upload(chat.upload, files, [status, *lib_outs, files], api_visibility="private", concurrency_limit=1)
        remove.click(chat.remove, doomed, [status, *lib_outs], api_visibility="private", concurrency_limit=1)

        gr.api(chat.ask, api_name="ask", api_description="Answer a question from the documents; returns the `rag ask --json` object.")
    app.rag_sources = SourceFiles(pipeline, chat.lock)  # served by launch() at source/<doc_id>
    return app


def _storage_secret(settings: Settings) -> str:
    """The key the browser's copy of its conversation is encrypted with: the same for every run over
    this index, so a conversation survives a server restart as well as a reload."""
    import hashlib

    return hashlib.sha256(f"rag-chat:{settings.store.data_dir}:{settings.store.collection}".encode()).hexdigest()[:32]


def _example_text(evt: gr.SelectData) -> str:
    """The question of a clicked example (Gradio injects the event by this annotation)."""
    return evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)


def launch(app: gr.Blocks, settings: Settings) -> str:
    """Start serving on settings.web.host:settings.web.port (in the background) with the queue's
    concurrency limit and the optional login, and the citation cards' `source/<doc_id>` route
    (rag.app.sources) behind the same login; returns the URL."""
    auth = None
    if settings.web.auth_user and settings.web.auth_password:
        auth = (settings.web.auth_user, settings.web.auth_password.get_secret_value())
    app.queue(default_concurrency_limit=settings.web.concurrency)
    server_app, url, _ = app.launch(
        server_name=settings.web.host, server_port=settings.web.port, auth=auth, prevent_thread_lock=True,
        share=False, inbrowser=False, ssr_mode=False, footer_links=["api"], quiet=True,
        max_file_size=int(settings.web.max_upload_mb * 1024 * 1024), css=CSS, theme=_theme(),
    )
    if getattr(app, "rag_sources", None) is not None:
        sources.mount(server_app, app.rag_sources)  # behind the same login as the chat
    return url


def _theme():
    # System fonts: the default theme would fetch Google Fonts, and this app works offline.
    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def serve(settings: Settings) -> int:
    """Bring the index up to date, warm the models, and serve the web chat until interrupted."""
    from rag.wiring import Pipeline

    pipeline = Pipeline(settings)
    for note in Library(pipeline, ReadWriteLock()).recover():  # uploads a killed server left half done
        print(f"rag: {note}", file=sys.stderr)
    print(f"rag: checking the index in {settings.store.data_dir} against {settings.store.corpus_dir} …", file=sys.stderr)
    report = pipeline.ingestor.ingest()
    if report.added or report.updated or report.removed:
        print(f"rag: index updated: {report.summary()}", file=sys.stderr)
    for name, why in report.skipped.items():
        print(f"rag: skipped {name}: {why}", file=sys.stderr)
    pipeline.warm()
    if settings.web.host not in ("127.0.0.1", "localhost", "::1") and not settings.web.auth_user:
        print(f"rag: WARNING: serving on {settings.web.host} without a login: anyone on the network can use it", file=sys.stderr)
    app = build_app(pipeline)
    try:
        url = launch(app, settings)
    except OSError as e:
        print(f"rag: cannot serve on {settings.web.host}:{settings.web.port} ({str(e).split('. ')[0]}); "
              "choose another port with --port or RAG_PORT", file=sys.stderr)
        return 1
    print(f"rag: web chat on {url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    app.block_thread()  # until Ctrl-C; then it closes the server
    return 0
