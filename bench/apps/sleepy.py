"""An I/O-bound app: each request waits on I/O (time.sleep, which the gevent
and eventlet workers patch), as an app waiting on a database or an HTTP API
does.  /fast answers at once; /slow waits 0.5 s; any other path waits
?t= seconds (0.2 by default)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path != "/fast":
        query = environ.get("QUERY_STRING", "")
        time.sleep(0.5 if path == "/slow" else float(query[2:]) if query.startswith("t=") else 0.2)
    start_response("200 OK", HEADERS)
    return [BODY]
