"""rag-chat: offline question answering over your own documents, every claim cited.

Question flow: app -> answer -> retrieve -> index. Document flow: app -> ingest -> index.
"""

__version__ = "0.1.0"
