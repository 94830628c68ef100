"""JSON: the body is serialised with json.dumps on every request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    body = json.dumps({"message": "Hello, World!"}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
