"""An app that keeps, or breaks, its own Content-Length on each body path
(tests/integration/test_framing.py).

``/<path>/<declared>/<sent>``: a response whose Content-Length header says
<declared> ("-": none) and whose body is the first <sent> bytes of
``body()``, produced by <path>:

``single``    a list of one bytestring (the server's one-send path; large ones
              go out from the app's own bytes object)
``iterable``  a generator of ``?piece=N``-byte pieces (default 1000)
``write``     the write() callable, one piece a call, then an empty iterable
``file``      wsgi.file_wrapper over a regular file (sendfile(2), unless the
              server runs with --no-sendfile)
``bytesio``   wsgi.file_wrapper over io.BytesIO (read in blocks)
``mixed``     write() for the first half, then a list of one bytestring
``mixed-file`` write() for the first half, then wsgi.file_wrapper over a file

``?status=N`` answers with that status instead of 200.  ``/probe`` answers
``probe`` with its Content-Length: the request a test sends next on the same
connection, to see that no byte of the previous response is left over.

Not wrapped in wsgiref's validator: it would hide the file_wrapper from the
server (and so sendfile) and the one-bytestring list.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

PROBE_BODY = b"probe"
_PATTERN = bytes(range(256))
_STATUS = {200: "200 OK", 204: "204 No Content", 304: "304 Not Modified"}


def body(n: int) -> bytes:
    """The n bytes every path sends: a pattern that shows a shift or a gap."""
    return (_PATTERN * (n // len(_PATTERN) + 1))[:n]


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    parts = environ["PATH_INFO"].split("/")
    if parts[1] == "probe":
        start_response("200 OK", [("Content-Length", str(len(PROBE_BODY)))])
        return [PROBE_BODY]
    path, declared, sent = parts[1], parts[2], int(parts[3])
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    piece = int(query.get("piece", 1000))
    headers = [("Content-Type", "application/octet-stream")]
    if declared != "-":
        headers.append(("Content-Length", declared))
    write = start_response(_STATUS[int(query.get("status", 200))], headers)
    data = body(sent)
    if path == "single":
        return [data]
    if path == "iterable":
        return _pieces(data, piece)
    if path == "write":
        for chunk in _pieces(data, piece):
            write(chunk)
        return []
    if path.startswith("mixed"):
        write(data[:sent // 2])
        data = data[sent // 2:]
        if path == "mixed":
            return [data]
    if path in ("file", "mixed-file"):
        f = tempfile.TemporaryFile()  # noqa: SIM115 (the server calls the wrapper's close())
        f.write(data)
        f.seek(0)
        return environ["wsgi.file_wrapper"](f, 65536)
    if path == "bytesio":
        return environ["wsgi.file_wrapper"](io.BytesIO(data), 8192)
    raise ValueError(f"no such body path: {path}")
