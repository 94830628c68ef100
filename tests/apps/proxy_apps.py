"""The WSGI app tests/integration/test_proxies.py serves behind real proxies.

``validated_app`` (``app`` behind wsgiref's PEP 3333 validator) answers:

``?download=N[&chunked=1]``  N bytes of ``pattern(N)``, with a Content-Length,
                             or (``chunked=1``) as a generator of blocks
                             without one, so the server sends it chunked
anything else                a JSON document describing the request:
                             the environ keys a proxy influences
                             (``wsgi.url_scheme``, REMOTE_ADDR, REMOTE_PORT,
                             SCRIPT_NAME, PATH_INFO, ... and every HTTP_*
                             key), the body's length and SHA-256, the
                             worker's PID and ``sockets``: the inodes of the
                             sockets the worker has open right now

``sockets`` lets a test count the connections a proxy opened to the server:
a connection is open while a request on it is answered, so the union of the
inodes seen over many requests holds every connection that carried one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.validate import validator

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

BLOCK = 65536
_BLOCK_BYTES = bytes(range(256)) * (BLOCK // 256)

ENVIRON_KEYS = ("wsgi.url_scheme", "REMOTE_ADDR", "REMOTE_PORT", "SCRIPT_NAME", "PATH_INFO",
                "QUERY_STRING", "REQUEST_METHOD", "RAW_URI", "SERVER_PROTOCOL",
                "SERVER_NAME", "SERVER_PORT", "CONTENT_LENGTH", "CONTENT_TYPE")


def pattern(n: int) -> bytes:
    """The n bytes ``?download=n`` sends."""
    return (_BLOCK_BYTES * (n // BLOCK + 1))[:n]


def _blocks(n: int) -> Iterator[bytes]:
    while n > 0:
        size = min(n, BLOCK)
        yield _BLOCK_BYTES[:size]
        n -= size


def _socket_inodes() -> list[str]:
    inodes = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed since
            continue
        if target.startswith("socket:["):
            inodes.append(target[8:-1])
    return sorted(inodes)


def _read_body(environ: Environ) -> tuple[int, str]:
    """The body's length and SHA-256, read in bounded blocks to its end."""
    stream = environ["wsgi.input"]
    digest = hashlib.sha256()
    total = 0
    while True:
        block = stream.read(BLOCK)
        if not block:
            return total, digest.hexdigest()
        total += len(block)
        digest.update(block)


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if "download" in query:
        _read_body(environ)
        size = int(query["download"])
        if query.get("chunked") == "1":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return _blocks(size)
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(size))])
        return [pattern(size)]

    length, sha256 = _read_body(environ)
    doc: dict[str, Any] = {key: environ[key] for key in ENVIRON_KEYS if key in environ}
    doc.update((k, v) for k, v in environ.items() if k.startswith("HTTP_"))
    doc["body_length"] = length
    doc["body_sha256"] = sha256
    doc["pid"] = os.getpid()
    doc["sockets"] = _socket_inodes()
    out = json.dumps(doc, sort_keys=True).encode("ascii")
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(out)))])
    return [out]


validated_app = validator(app)
