"""Reads CONTENT_LENGTH bytes of wsgi.input fully and answers with how many it got."""

from __future__ import annotations

from collections.abc import Callable, Iterable

CHUNK = 64 * 1024


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    received = 0
    while remaining > 0:
        data = stream.read(min(CHUNK, remaining))
        if not data:
            break
        received += len(data)
        remaining -= len(data)
    body = str(received).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
