"""Micro-benchmarks of the hot path, in-process (no sockets, no kernel).

`make test` runs each once as a smoke test (benchmarks are disabled there);
`make bench-micro` times them.  They show a change's effect on parse ->
environ -> app -> response without a load run; the load runs are bench/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fastwsgi import _core

PLAINTEXT = (b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n"
             b"Accept: text/plain,text/html;q=0.9\r\nConnection: keep-alive\r\n\r\n")
BROWSER = (b"GET /search?q=fastwsgi&page=2 HTTP/1.1\r\nHost: example.com\r\n"
           b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\r\n"
           b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
           b"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
           b"Referer: https://example.com/\r\nCookie: session=0123456789abcdef; theme=dark\r\n"
           b"Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\n"
           b"Sec-Fetch-Mode: navigate\r\nSec-Fetch-Site: same-origin\r\n\r\n")
HELLO = b"Hello, World!"


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(HELLO)))])
    return [HELLO]


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def stream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    for _ in range(8):
        yield b"x" * 512


def roundtrip(app: Callable[..., Any], raw: bytes) -> Callable[[], bytes]:
    conn = _core.Server(app).connection()

    def run() -> bytes:
        conn.feed(raw)
        return conn.take_output()
    return run


@pytest.mark.parametrize("raw", [PLAINTEXT, BROWSER], ids=["plaintext", "browser"])
def test_get(benchmark: Any, raw: bytes) -> None:
    out = benchmark(roundtrip(hello, raw))
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and out.endswith(HELLO)


def test_pipelined_16(benchmark: Any) -> None:
    out = benchmark(roundtrip(hello, PLAINTEXT * 16))
    assert out.count(b"HTTP/1.1 200 OK\r\n") == 16


def test_post_4k(benchmark: Any) -> None:
    body = b"a" * 4096
    raw = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + body
    out = benchmark(roundtrip(echo, raw))
    assert out.endswith(body)


def test_chunked_stream(benchmark: Any) -> None:
    out = benchmark(roundtrip(stream, PLAINTEXT))
    assert b"Transfer-Encoding: chunked" in out and out.endswith(b"0\r\n\r\n")
