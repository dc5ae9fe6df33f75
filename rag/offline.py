"""The offline-first environment in one place: models load from local paths and nothing phones
home, in this process (`apply`) and in the processes it starts (`env`).
"""

from __future__ import annotations

import os

VARS: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",  # huggingface_hub: no downloads; a missing model file fails at load
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma's telemetry
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def apply() -> None:
    """Set each variable in this process unless it is already set (an explicit choice wins)."""
    for name, value in VARS.items():
        os.environ.setdefault(name, value)


def env(**extra: str) -> dict[str, str]:
    """An environment for a child process: this one's, with the offline variables pinned, then `extra`."""
    return {**os.environ, **VARS, **{k: str(v) for k, v in extra.items()}}
