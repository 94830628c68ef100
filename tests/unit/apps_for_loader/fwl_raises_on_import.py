"""Loader fixture: fails while being imported."""

raise RuntimeError("import-time failure")
