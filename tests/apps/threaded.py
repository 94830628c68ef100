"""Apps for the --threads tests: a request that blocks until released, and
one that reports which thread ran it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

RELEASE = threading.Event()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/block":
        # Held until /release arrives, which only a second app thread can serve.
        released = RELEASE.wait(10)
        RELEASE.clear()
        body = b"released" if released else b"timed out"
    elif path == "/release":
        RELEASE.set()
        body = b"ok"
    elif path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"%d\n" % i for i in range(1000))
    elif path == "/big":
        # Chunks large enough to be sent from the app's own bytes objects.
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (bytes([65 + i]) * 300_000 for i in range(4))
    else:
        body = f"{threading.current_thread().name} {environ['wsgi.multithread']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


validated_app = validator(app)
