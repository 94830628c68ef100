"""Plaintext "Hello, World!" with Content-Type and Content-Length."""

from __future__ import annotations

from collections.abc import Callable, Iterable

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
