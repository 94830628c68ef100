"""A WSGI app that echoes the request back as JSON.

The response body is one JSON object: the environ's str-valued CGI keys
(REQUEST_METHOD, PATH_INFO, QUERY_STRING, RAW_URI, SERVER_PROTOCOL,
CONTENT_TYPE, CONTENT_LENGTH and every HTTP_* key) plus ``body``, the whole
request body decoded as latin-1 so that any byte survives the round trip.
A HEAD response has no body, so for HEAD the same document is also sent in
an ``X-Echo`` response header.

The body is read by CONTENT_LENGTH when the request has one, else to EOF
(a chunked body; the server sets wsgi.input_terminated).
``validated_app`` is the same app behind wsgiref's PEP 3333 validator; the
tests use that one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from wsgiref.validate import validator

CGI_KEYS = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "SERVER_PROTOCOL",
            "CONTENT_TYPE", "CONTENT_LENGTH")


def read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH", "")
    # wsgiref's validator lets read() take exactly one argument, so "to EOF"
    # is a loop of bounded reads.
    if length:
        return stream.read(int(length))
    parts: list[bytes] = []
    while True:
        part = stream.read(65536)
        if not part:
            return b"".join(parts)
        parts.append(part)


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = read_body(environ)
    doc: dict[str, str] = {}
    for key, value in environ.items():
        if isinstance(value, str) and (key in CGI_KEYS or key.startswith("HTTP_")):
            doc[key] = value
    doc["body"] = body.decode("latin-1")
    out = json.dumps(doc, sort_keys=True).encode("ascii")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
    if environ["REQUEST_METHOD"] == "HEAD":
        # The server drops a HEAD response's body: the document goes in a
        # header instead (ASCII JSON on one line is a valid field value).
        headers.append(("X-Echo", out.decode("ascii")))
    start_response("200 OK", headers)
    return [out]


validated_app = validator(app)
