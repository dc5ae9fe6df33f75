"""The document flow: files -> read and cleaned (documents, pdf, markdown) -> chunks -> the index, tracked by a manifest."""
