"""Offline-first retrieval-augmented Q&A with checked citations."""

__version__ = "0.1.0"
