"""What a question must be before it is answered: text, not empty, not longer than the limit."""

from __future__ import annotations

import re

from rag.config import Settings


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long)."""


def validate_question(question: str, settings: Settings) -> str:
    """The question stripped, or QuestionError naming what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", question).strip()
    if not q:
        raise QuestionError("the question is empty; type a question about the documents")
    if len(q) > settings.answer.max_question_chars:
        raise QuestionError(
            f"the question is {len(q)} characters long; the limit is {settings.answer.max_question_chars} (setting RAG_MAX_QUESTION_CHARS)"
        )
    return q
