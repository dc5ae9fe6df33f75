"""Answering (question flow, after retrieval): may the passages answer (answerability), the extractive or LLM answer, and the citation check."""
