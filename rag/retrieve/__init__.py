"""Retrieval (question flow): question -> candidate passages from the index -> fused, cleaned ranking."""
