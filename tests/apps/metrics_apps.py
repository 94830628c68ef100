"""Apps for the metrics tests: known statuses, sizes and delays."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    query = parse_qs(environ["QUERY_STRING"])
    if path == "/ok":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such thing"]
    if path == "/boom":
        raise RuntimeError("the metrics test asked for a failure")
    if path == "/sleep":
        time.sleep(float(query.get("ms", ["0"])[0]) / 1000)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slept"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"x" * 1000 for _ in range(10))
    start_response("204 No Content", [])
    return [b""]
