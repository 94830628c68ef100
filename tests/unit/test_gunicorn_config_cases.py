"""The cases of gunicorn's request corpus (tests/requests/ in its repository)
that set a configuration value, which our corpus (replayed with the default
settings) cannot say: raw bytes into the engine with that setting, the raw
status line and what the app saw out.  Each test names the gunicorn case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings

Environ = dict[str, Any]


def method_app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["REQUEST_METHOD"].encode("latin-1")]


def answer(raw: bytes, **settings: Any) -> tuple[bytes, bytes]:
    """The status line and the body of the one response to ``raw``."""
    conn = _core.Server(method_app, settings=EngineSettings(**settings)).connection()
    conn.feed(raw)
    out = conn.take_output()
    conn.close()
    head, _, body = out.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


def field_line(total: int) -> bytes:
    """A header field line of ``total`` bytes, CRLF included."""
    return b"X-Long: " + b"v" * (total - len(b"X-Long: \r\n")) + b"\r\n"


REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n%s\r\n"


@pytest.mark.parametrize(("raw", "settings", "method"), [
    # valid/031compat: any token, then upper-cased
    (b"-blargh /foo HTTP/1.1\r\nHost: x\r\n\r\n",
     {"permit_unconventional_http_method": True, "casefold_http_method": True}, b"-BLARGH"),
    # valid/031compat2: any token, as sent
    (b"-blargh /foo HTTP/1.1\r\nHost: x\r\n\r\n",
     {"permit_unconventional_http_method": True}, b"-blargh"),
    # a method longer than 20 characters, allowed by the switch
    (b"A234567890123456789012 / HTTP/1.1\r\nHost: x\r\n\r\n",
     {"permit_unconventional_http_method": True}, b"A234567890123456789012"),
    # casefold alone upper-cases what the default rule lets through
    (b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", {"casefold_http_method": True}, b"FOO"),
])
def test_unconventional_methods_reach_the_app(raw: bytes, settings: dict[str, Any],
                                              method: bytes) -> None:
    assert answer(raw, **settings) == (b"HTTP/1.1 200 OK", method)


@pytest.mark.parametrize("raw", [
    b"-blargh /foo HTTP/1.1\r\nHost: x\r\n\r\n",  # lower case (gunicorn invalid/003c's rule)
    b"A234567890123456789012 / HTTP/1.1\r\nHost: x\r\n\r\n",  # over 20 characters
    b"G# / HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_methods_outside_gunicorns_rule_are_400(raw: bytes) -> None:
    assert answer(raw)[0] == b"HTTP/1.1 400 Bad Request"
    assert answer(raw, casefold_http_method=True)[0] == b"HTTP/1.1 400 Bad Request"


def test_unknown_method_with_a_body_is_framed_as_any_request() -> None:
    """The stand-in llhttp parses after an unknown method frames the body by
    the request's own headers, and the next request is parsed after it."""
    raw = (b"FOO / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
           b"BAR /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n")
    conn = _core.Server(method_app).connection()
    conn.feed(raw)
    out = conn.take_output()
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert out.endswith(b"BAR")
    assert not conn.closing


@pytest.mark.parametrize(("limit", "line", "status"), [
    (10, b"Accept: */*\r\n", b"431"),          # invalid/010: 13 bytes with the CRLF
    (13, b"Accept: */*\r\n", b"200"),          # one byte under: served
    (8210, field_line(8209), b"200"),          # valid/026
    (8210, field_line(8211), b"431"),
    (0, field_line(8190), b"200"),             # invalid/limit_header_default_01: 0 is 8190
    (0, field_line(8191), b"431"),
])
def test_field_size_counts_the_whole_line(limit: int, line: bytes, status: bytes) -> None:
    head, _ = answer(REQUEST % line, limit_request_field_size=limit)
    assert head.split(b" ")[1] == status, head


def test_field_count_limit() -> None:
    """invalid/011: limit_request_fields 2 and three fields: 431."""
    raw = b"GET /test HTTP/1.1\r\nUser-Agent: curl\r\nHost: 0.0.0.0=5000\r\nAccept: */*\r\n\r\n"
    assert answer(raw, limit_request_fields=2)[0] == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert answer(raw, limit_request_fields=3)[0] == b"HTTP/1.1 200 OK"


@pytest.mark.parametrize(("limit", "length", "status"), [
    (8190, 8190, b"200"), (8190, 8191, b"414"), (9000, 8191, b"414"), (100, 100, b"200"),
    (100, 101, b"414")])
def test_request_line_limit_counts_the_line_without_crlf(limit: int, length: int,
                                                         status: bytes) -> None:
    """limit_request_line counts the request line without its CRLF and is
    capped at 8190, as in gunicorn (its valid/024 and invalid/006); a longer
    line is 414 here, 400 there (README's differences)."""
    line = b"PUT /" + b"q" * (length - len(b"PUT / HTTP/1.1")) + b" HTTP/1.1"
    assert len(line) == length
    head, _ = answer(line + b"\r\nHost: x\r\n\r\n", limit_request_line=limit)
    assert head.split(b" ")[1] == status, head
