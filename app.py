"""Start the web chat: `python app.py` (the same as `rag serve`).

The composition root: settings are read here, once, from RAG_* environment variables and .env,
and passed down; then the index is brought up to date and the chat is served on
http://127.0.0.1:7860 (settings RAG_HOST, RAG_PORT, RAG_AUTH_USER/RAG_AUTH_PASSWORD).
"""

from __future__ import annotations

import sys

from rag import offline

offline.apply()  # offline-first: models come from local paths, and nothing phones home


def main() -> int:
    from rag.config import Settings

    try:
        settings = Settings()
    except Exception as e:  # pydantic's ValidationError lists every bad RAG_* value
        print(f"rag: invalid settings: {e}", file=sys.stderr)
        return 2
    from rag.app.web import serve

    try:
        return serve(settings)
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, ValueError, OSError) as e:
        print(f"rag: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
