"""The `rag` command: ingest, ask, status, serve, eval, bench."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rag.config import Settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Ask questions about your documents; every answer cites its sources.")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="index documents (default: the corpus folder); unchanged files are skipped")
    ing.add_argument("paths", nargs="*", type=Path, help="files or folders (.txt, .md, .rst, .adoc, .html, .pdf)")
    ing.add_argument("--rebuild", action="store_true", help="drop the index and ingest from scratch")
    ing.add_argument("--no-sync", action="store_true", help="keep documents whose files are gone")

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question", nargs="?", help="the question (omit with --batch, or for an interactive loop)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    ask.add_argument("--batch", type=Path, help="JSONL file of {\"question\": ...}; one result line each; lines sharing "
                     "a \"conversation\" value are the turns of one conversation, in file order")
    ask.add_argument("-k", type=int, default=None, help="passages to retrieve")
    ask.add_argument("--backend", default=None, help="LLM backend: extractive, llamacpp, openai, ollama (default: setting RAG_LLM_BACKEND)")
    ask.add_argument("--strict", action="store_true", default=None, help="drop answer sentences the citation checker cannot support")

    chat = sub.add_parser("chat", help="a conversation: follow-up questions understand the earlier turns (/new starts over)")
    chat.add_argument("-k", type=int, default=None, help="passages to retrieve")
    chat.add_argument("--backend", default=None, help="LLM backend (default: setting RAG_LLM_BACKEND)")
    chat.add_argument("--strict", action="store_true", default=None, help="drop answer sentences the citation checker cannot support")

    st = sub.add_parser("status", help="what is in the index")
    st.add_argument("--json", action="store_true")

    srv = sub.add_parser("serve", help="start the web chat")
    srv.add_argument("--port", type=int, default=None)
    srv.add_argument("--host", default=None)

    ev = sub.add_parser("eval", help="run the eval set through the chat's code path and score it")
    ev.add_argument("--dataset", type=Path, default=None, help="eval JSONL (default: eval/questions.jsonl)")
    ev.add_argument("--corpus", default=None,
                    help="an eval corpus by name (eval/corpora/NAME), or 'all': each is indexed under DATA_DIR/eval/NAME")
    ev.add_argument("--split", default="test", choices=["dev", "test", "all"], help="which questions of a --corpus (default test)")
    ev.add_argument("--backend", default=None, help="LLM backend (default: setting RAG_LLM_BACKEND)")
    ev.add_argument("-k", "--k", type=int, default=None, help="passages per question")
    ev.add_argument("--out", type=Path, default=None, help="report folder (default: eval/runs/<time>-<backend>)")
    ev.add_argument("--gate", type=Path, nargs="?", const=Path("eval/thresholds.json"), default=None,
                    help="fail (exit 1) when a metric of a corpus's test split is outside its thresholds (default eval/thresholds.json)")
    ev.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"), help="compare two report folders")
    ev.add_argument("--no-conversations", action="store_true",
                    help="with --corpus: skip the corpora's multi-turn conversations (not with --gate, which judges them too)")
    ev.add_argument("--retrieval", default="hybrid", choices=["hybrid", "dense", "keyword"], help=argparse.SUPPRESS)

    bn = sub.add_parser("bench", help="measure ingest, queries, cold start, memory and scale; write benchmarks/")
    bn.add_argument("--out", type=Path, default=None, help="folder for results.md/.json/.png (default: benchmarks/)")
    bn.add_argument("--runs", type=int, default=3, help="repeats of each timing (medians are reported)")
    bn.add_argument("--sizes", default="1000,10000,100000", help="synthetic collection sizes in chunks, comma-separated")
    bn.add_argument("--real-ingest-max", type=int, default=10000, help="largest size embedded for real")
    bn.add_argument("--no-cold", action="store_true", help="skip the fresh-process measurements")
    return p


def main(argv: list[str] | None = None) -> int:
    from rag import offline

    offline.apply()  # offline-first, for this process and the ones it starts
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="rag: %(message)s", stream=sys.stderr)
    for noisy in ("chromadb", "httpx", "sentence_transformers", "llama_index"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        settings = Settings()
    except Exception as e:
        print(f"rag: invalid settings: {e}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](settings, args)
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, ValueError, OSError) as e:
        print(f"rag: {e}", file=sys.stderr)
        return 1


def cmd_ingest(settings: Settings, args) -> int:
    from rag.wiring import Pipeline

    if args.rebuild:
        _wipe_index(settings)
    pipe = Pipeline(settings)
    report = pipe.ingestor.ingest(args.paths or None, sync=not args.no_sync)
    for name, why in report.skipped.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    for name, notes in report.notes.items():
        for note in notes:
            print(f"note {name}: {note}", file=sys.stderr)
    print(report.summary())
    return 0


def _wipe_index(settings: Settings) -> None:
    import shutil

    from rag.index.vectors import drop_collection

    drop_collection(settings)
    settings.manifest_path.unlink(missing_ok=True)
    shutil.rmtree(settings.keyword_dir, ignore_errors=True)


def cmd_ask(settings: Settings, args) -> int:
    from rag.answer.answerer import QuestionError
    from rag.wiring import Pipeline

    pipe = Pipeline(settings)
    _require_index(settings)
    if args.backend:
        from rag.answer.llms import check_backend

        check_backend(args.backend)  # a wrong name fails here, listing the choices, before any work
    if args.batch:
        return _ask_batch(pipe, args)
    if args.question is None:
        return _ask_loop(pipe, args)
    try:
        answer = _ask_one(pipe, args.question, args, echo=not args.json)
    except QuestionError as e:
        if args.json:
            print(json.dumps({"question": args.question, "error": str(e)}))
        print(f"rag: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        _print_searched(answer)
        _print_citations(answer)
    return 0


def _ask_one(pipe, question: str, args, echo: bool, history=()):
    from rag.domain import Answer

    def reading(passages) -> None:
        print(f"reading {len(passages)} passage{'s' if len(passages) != 1 else ''}\u2026", file=sys.stderr, flush=True)

    answer, streamed = None, []
    for item in pipe.answerer.stream(question, args.k, backend=args.backend, strict=args.strict, history=history,
                                     reading=reading if echo else None):
        if isinstance(item, Answer):
            answer = item
        elif echo:
            streamed.append(item)
            print(item, end="", flush=True)
    if echo:
        print()
        _print_checks(answer, "".join(streamed))
    return answer


def _print_checks(answer, streamed: str) -> None:
    """What the citation checker changed, below the streamed text (a fallback is logged as it happens)."""
    if answer.answer.strip() != streamed.strip():
        print(f"\nChecked answer: {answer.answer}")
    checked = answer.grounding or []
    if checked:
        print(f"(citations checked: {sum(s.supported for s in checked)} of {len(checked)} sentences supported)")


def _ask_batch(pipe, args) -> int:
    from rag.answer.answerer import QuestionError
    from rag.domain import Exchange

    try:
        lines = args.batch.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        print(f"rag: cannot read {args.batch}: {e.strerror or e}", file=sys.stderr)
        return 2
    failures = 0
    conversations: dict[str, list] = {}  # conversation value -> its answered turns so far, in file order
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        echo: dict = {}
        try:
            row = json.loads(line)
            question, conversation = row["question"], row.get("conversation")
            if conversation is not None:
                if not isinstance(conversation, (str, int)) or isinstance(conversation, bool):
                    raise TypeError(f"\"conversation\" must be a string, not {type(conversation).__name__}")
                echo = {"conversation": conversation}
            history = conversations.setdefault(str(conversation), []) if conversation is not None else []
            answer = pipe.answerer.ask(question, args.k, backend=args.backend, strict=args.strict, history=history)
            if conversation is not None:
                history.append(Exchange.of(question, answer))
            out = {**echo, **answer.to_dict()}
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            out, failures = {"line": lineno, **echo, "error": f"bad input line: {e}"}, failures + 1
        except QuestionError as e:
            out, failures = {"line": lineno, **echo, "question": question, "error": str(e)}, failures + 1
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def _ask_loop(pipe, args, conversation: bool = False) -> int:
    """Questions typed one by one; in a `conversation` each is searched with the earlier turns."""
    from rag.answer.answerer import QuestionError
    from rag.domain import Exchange

    if conversation:
        print("Ask about the documents; follow-up questions build on the earlier ones. "
              "/new starts a new conversation; an empty line or Ctrl-D quits.")
    else:
        print("Ask about the documents (empty line or Ctrl-D to quit).")
    history: list[Exchange] = []
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        if conversation and question == "/new":
            history.clear()
            print("(new conversation)")
            continue
        try:
            answer = _ask_one(pipe, question, args, echo=True, history=history)
        except QuestionError as e:
            print(f"rag: {e}")
            continue
        _print_searched(answer)
        _print_citations(answer)
        if conversation:
            history.append(Exchange.of(question, answer))


def cmd_chat(settings: Settings, args) -> int:
    """`rag chat`: a conversation in the terminal; each follow-up is searched with the earlier turns."""
    from rag.wiring import Pipeline

    pipe = Pipeline(settings)
    _require_index(settings)
    if args.backend:
        from rag.answer.llms import check_backend

        check_backend(args.backend)
    return _ask_loop(pipe, args, conversation=True)


def _print_searched(answer) -> None:
    """What was searched, when it is not what was typed (a follow-up made standalone, a typo corrected)."""
    if answer.searched_for and answer.searched_for != answer.question:
        print(f"(searched for: {answer.searched_for})")


def _print_citations(answer) -> None:
    shown = answer.citations if not answer.abstained else answer.citations[:3]
    if answer.abstained and shown:
        print("\nRelated passages (not an answer):" if answer.related else "\nClosest passages:")
    for c in shown:
        excerpt = c.text if len(c.text) <= 400 else c.text[:400].rsplit(" ", 1)[0] + " …"
        where = ", ".join(x for x in (c.source, c.pages) if x)
        print(f"\n[{c.n}] {c.title} — {c.section} ({where}, score {c.score:.2f})\n    {excerpt}")


def _require_index(settings: Settings) -> None:
    if not settings.manifest_path.exists() and not settings.store.chroma_url:
        raise RuntimeError(f"no index in {settings.store.data_dir}; run `rag ingest` first")


def cmd_status(settings: Settings, args) -> int:
    from rag.ingest.manifest import Manifest

    manifest = Manifest.load(settings.manifest_path)
    docs = sorted(manifest.documents.values(), key=lambda d: d.source)
    info = {
        "documents": len(docs),
        "chunks": sum(len(d.chunk_ids) for d in docs),
        "embedding_model": manifest.embed_model or None,
        "store": settings.store.chroma_url or str(settings.chroma_dir),
        "store_mode": "server" if settings.store.chroma_url else "embedded",
        "llm_backend": settings.llm.backend,
        "files": [{"source": d.source, "title": d.title, "chunks": len(d.chunk_ids), "ingested_at": d.ingested_at} for d in docs],
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    print(f"documents:       {info['documents']}")
    print(f"chunks:          {info['chunks']}")
    print(f"embedding model: {info['embedding_model'] or '(nothing ingested yet)'}")
    print(f"store:           {info['store']} ({info['store_mode']})")
    print(f"llm backend:     {info['llm_backend']}")
    for f in info["files"]:
        print(f"  {f['source']}  {f['chunks']:>4} chunks  {f['ingested_at']}  {f['title'][:70]}")
    return 0


def cmd_serve(settings: Settings, args) -> int:
    if args.port:
        settings = settings.updated(**{"port": args.port})
    if args.host:
        settings = settings.updated(**{"host": args.host})
    try:
        from rag.app.web import serve
    except ImportError:
        print("rag: the web chat is not available in this build yet; use `rag ask`", file=sys.stderr)
        return 1
    return serve(settings)


def cmd_eval(settings: Settings, args) -> int:
    from rag.app.harness import run_eval_command

    return run_eval_command(settings, args)


def cmd_bench(settings: Settings, args) -> int:
    from rag.app.harness import run_bench_command

    return run_bench_command(settings, args)


COMMANDS = {"eval": cmd_eval, "ingest": cmd_ingest, "ask": cmd_ask, "chat": cmd_chat, "status": cmd_status, "serve": cmd_serve, "bench": cmd_bench}

if __name__ == "__main__":
    raise SystemExit(main())
