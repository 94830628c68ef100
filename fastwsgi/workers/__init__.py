"""Worker processes: the native worker runs the C event loop (fastwsgi._core)."""
