"""WSGI apps the integration tests serve through a live fastwsgi.

Each app ``x`` has a ``validated_x`` twin wrapped in wsgiref's PEP 3333
validator; the tests serve the validated one.  The few apps without a twin do
what the validator itself forbids or hides (see the comment at each).

Parameters come from the query string (``?n=3&size=10``) or, where a test
must tell the server process something before it starts, from environment
variables:

``FW_TEST_FILE``    the file ``file_app`` sends when no ``?path=`` is given
``FW_TEST_RECORD``  a file ``closing`` appends one line to per close() call
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.validate import validator

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]

TEXT = [("Content-Type", "text/plain")]
BLOCK = 65536


def _query(environ: Environ) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _read_blocks(environ: Environ) -> Iterator[bytes]:
    """wsgi.input to its end in bounded reads (the server sets
    wsgi.input_terminated; the validator allows read() one argument)."""
    stream = environ["wsgi.input"]
    while True:
        block = stream.read(BLOCK)
        if not block:
            return
        yield block


def pattern(i: int, size: int) -> bytes:
    """Chunk ``i`` of a streamed body: recognisable, and different per chunk."""
    return bytes([65 + i % 26]) * size


def hello(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``hello PATH[?QUERY]`` with a Content-Length."""
    body = ("hello " + environ["PATH_INFO"]).encode("latin-1")
    if environ.get("QUERY_STRING"):
        body += b"?" + environ["QUERY_STRING"].encode("latin-1")
    start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
    return [body]


def echo_body(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The request body back, with its length in X-Body-Length."""
    body = b"".join(_read_blocks(environ))
    start_response("200 OK", TEXT + [("Content-Length", str(len(body))),
                                     ("X-Body-Length", str(len(body)))])
    return [body]


def upload_hash(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``LENGTH SHA256`` of the request body, read in 64 KiB blocks so that
    the app itself never holds more than one block."""
    digest = hashlib.sha256()
    length = 0
    for block in _read_blocks(environ):
        digest.update(block)
        length += len(block)
    body = f"{length} {digest.hexdigest()}".encode("ascii")
    start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
    return [body]


def stream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``?n=N&size=S``: N chunks of S bytes (``pattern``), no Content-Length,
    so the server frames it (chunked for HTTP/1.1, close for 1.0)."""
    q = _query(environ)
    n, size = int(q.get("n", "3")), int(q.get("size", "5"))
    start_response("200 OK", TEXT)
    for i in range(n):
        yield pattern(i, size)


def big(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``?size=S&i=I``: one bytestring of S bytes (``pattern(I, S)``) in a
    list, with its Content-Length."""
    q = _query(environ)
    body = pattern(int(q.get("i", "0")), int(q.get("size", "5")))
    start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
    return [body]


def status(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``?code=204``: that status, and a body only where one is allowed."""
    code = int(_query(environ).get("code", "200"))
    if code in (204, 304):
        start_response(f"{code} {'No Content' if code == 204 else 'Not Modified'}", [])
        return []
    start_response(f"{code} Whatever", TEXT)
    return [b"status body"]


def write_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The write() callable, then one more chunk from the iterable;
    ``?length=1`` declares the Content-Length up front."""
    headers = list(TEXT)
    if _query(environ).get("length"):
        headers.append(("Content-Length", str(len(b"one two three"))))
    write = start_response("200 OK", headers)
    write(b"one ")
    write(b"two ")
    return [b"three"]


def file_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``wsgi.file_wrapper`` over ``?path=`` or $FW_TEST_FILE."""
    path = _query(environ).get("path") or os.environ["FW_TEST_FILE"]
    f = open(path, "rb")  # noqa: SIM115 (the server calls the wrapper's close())
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](f, BLOCK)


def error_before(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("boom before start_response")


def error_midstream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """One chunk, then an exception; ``?length=N`` declares N bytes first."""
    headers = list(TEXT)
    length = _query(environ).get("length")
    if length:
        headers.append(("Content-Length", length))
    start_response("200 OK", headers)
    yield b"first chunk;"
    raise RuntimeError("boom mid-stream")


class _Recorded:
    """A response iterable that appends ``close PATH`` to $FW_TEST_RECORD
    when the server calls its close()."""

    def __init__(self, environ: Environ, n: int, size: int, fail_at: int):
        self.path = environ["PATH_INFO"]
        self.n, self.size, self.fail_at = n, size, fail_at

    def __iter__(self) -> Iterator[bytes]:
        for i in range(self.n):
            if i == self.fail_at:
                raise RuntimeError("boom in the recorded iterable")
            yield pattern(i, self.size)

    def close(self) -> None:
        with open(os.environ["FW_TEST_RECORD"], "a") as f:
            f.write(f"close {self.path}\n")


def closing(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``?n=N&size=S&fail_at=K``: N chunks of S bytes, raising before chunk
    K; close() is recorded whatever happens."""
    q = _query(environ)
    start_response("200 OK", TEXT)
    return _Recorded(environ, int(q.get("n", "3")), int(q.get("size", "5")),
                     int(q.get("fail_at", "-1")))


# Not validated (the validator would stop the behaviour under test first):
# these pass start_response headers the validator itself rejects (CR, LF,
# non-latin-1), so that the server's own checks are what is tested.
def bad_header(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """``?kind=``: which bad header to ask for."""
    kind = _query(environ).get("kind", "crlf")
    bad = {
        "crlf": ("X-Bad", "a\r\nInjected: yes"),
        "lf": ("X-Bad", "a\nInjected: yes"),
        "cr": ("X-Bad", "a\rInjected: yes"),
        "nul": ("X-Bad", "a\x00Injected: yes"),
        "name": ("X-Bad\r\nInjected", "yes"),
        "nonlatin1": ("X-Bad", "Injected \u2603"),
    }[kind]
    start_response("200 OK", TEXT + [bad])
    return [b"should never be sent"]


validated_hello = validator(hello)
validated_echo_body = validator(echo_body)
validated_upload_hash = validator(upload_hash)
validated_stream = validator(stream)
validated_status = validator(status)
validated_write_app = validator(write_app)
validated_file_app = validator(file_app)
validated_error_before = validator(error_before)
validated_error_midstream = validator(error_midstream)
validated_closing = validator(closing)


ROUTES: dict[str, App] = {
    "hello": validated_hello,
    "echo": validated_echo_body,
    "hash": validated_upload_hash,
    "stream": validated_stream,
    "status": validated_status,
    "write": validated_write_app,
    "file": validated_file_app,
    "error-before": validated_error_before,
    "error-midstream": validated_error_midstream,
    "closing": validated_closing,
    # Not validated, each for the reason given at its definition or here:
    "bad-header": bad_header,
    # The validator wraps the list, which hides the server's one-bytestring
    # path (sent from the app's own bytes object when large).
    "big": big,
    # The validator wraps every response iterable in its own, which hides the
    # wsgi.file_wrapper from the server and so turns sendfile(2) off.
    "sendfile": file_app,
}


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Every app above under one server, by the first path segment:
    ``/hello/x`` is served by validated_hello, ``/bad-header`` by bad_header.
    An unknown segment is a 404."""
    name = environ["PATH_INFO"].split("/")[1]
    routed = ROUTES.get(name)
    if routed is None:
        start_response("404 Not Found", TEXT + [("Content-Length", "10")])
        return [b"not found\n"]
    return routed(environ, start_response)


def _flask_app() -> App:
    """A small Flask app (built on first use, so that serving the other apps
    does not import Flask)."""
    from flask import Flask, Response, abort, jsonify, request

    app = Flask("fastwsgi_test_app")

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> Any:
        if item_id > 100:
            abort(404)
        return jsonify(id=item_id, name=f"item {item_id}", tags=request.args.getlist("tag"))

    @app.post("/form")
    def form() -> Any:
        return jsonify(fields=request.form.to_dict(flat=False),
                       files={k: f.read().decode() for k, f in request.files.items()})

    @app.post("/json")
    def json_echo() -> Any:
        return jsonify(received=request.get_json(), length=request.content_length)

    @app.get("/stream")
    def streamed() -> Response:
        n = request.args.get("n", 5, type=int)

        def lines() -> Iterator[str]:
            for i in range(n):
                yield f"line {i}\n"
        return Response(lines(), mimetype="text/plain")

    return app  # type: ignore[return-value]


class _SizedReads:
    """wsgi.input as werkzeug may read it behind the validator.

    When the server sets wsgi.input_terminated, werkzeug reads the body with
    read() and no size, which the validator forbids (it allows read(size)
    only).  This turns that one call into sized reads, so that the Flask app
    can be served with every other check of the validator still on."""

    def __init__(self, stream: Any):
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self._stream.read(BLOCK), b""))
        return self._stream.read(size)  # type: ignore[no-any-return]

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._stream.readline()  # type: ignore[no-any-return]
        return self._stream.readline(size)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)


def _with_sized_reads(inner: App) -> App:
    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.input"] = _SizedReads(environ["wsgi.input"])
        return inner(environ, start_response)
    return wrapped


def __getattr__(name: str) -> App:
    if name == "flask_app":
        app = globals()["flask_app"] = _flask_app()
        return app
    if name == "validated_flask_app":
        app = validator(_with_sized_reads(__getattr__("flask_app")))
        globals()["validated_flask_app"] = app
        return app
    raise AttributeError(name)
