"""Apps for tests/integration/test_fidelity_differences.py.

``/headers?h=Name:Value&h=...``  answers 200 "ok" with those response headers
``/body``                        reads all of wsgi.input; answers its length and
                                 whether wsgi.input_terminated was set
anything else                    200 "hello"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/headers":
        pairs = [tuple(h.split(":", 1)) for h in parse_qs(environ["QUERY_STRING"]).get("h", [])]
        start_response("200 OK", [("Content-Type", "text/plain"), *pairs])
        return [b"ok"]
    if path == "/body":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"%d %s" % (len(body), str(environ.get("wsgi.input_terminated")).encode())]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
