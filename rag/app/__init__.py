"""The edges: the `rag` command line, the web chat and how answers are rendered. Nothing in the core imports them."""
