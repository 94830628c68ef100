"""A 1 MiB response body from memory (one bytes object built at import)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

SIZE = 1024 * 1024
BODY = (b"0123456789abcdef" * (SIZE // 16))[:SIZE]
HEADERS = [("Content-Type", "application/octet-stream"), ("Content-Length", str(SIZE))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
