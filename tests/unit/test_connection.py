"""The engine without sockets: raw bytes in, response bytes out."""

from __future__ import annotations

import time
import wsgiref.validate
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings
from tests.support import split_responses

Environ = dict[str, Any]


def hello(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + environ["PATH_INFO"].encode("latin-1")]


def make(app: Callable[..., Any] = hello, **settings: Any) -> Any:
    return _core.Server(wsgiref.validate.validator(app),
                        settings=EngineSettings(**settings)).connection()


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split concatenated responses: (status, headers, body) each; nothing may follow."""
    parsed, rest = split_responses(raw)
    assert rest == b"", f"not a whole response: {rest[:200]!r}"
    return [(r.status, r.headers, r.body) for r in parsed]


def test_simple_get() -> None:
    c = make()
    c.feed(b"GET /abc HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, headers, body)] = responses(c.take_output())
    assert status == 200
    assert body == b"hello /abc"
    assert headers["transfer-encoding"] == "chunked"  # the validator hides the list
    assert headers["server"] == "fastwsgi"
    assert "date" in headers
    assert not c.closing


def test_pipelined_requests_answered_in_order() -> None:
    c = make()
    c.feed(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(50)))
    got = responses(c.take_output())
    assert [body for _, _, body in got] == [b"hello /%d" % i for i in range(50)]


def test_large_bodies_keep_their_place_among_pipelined_responses() -> None:
    """Large bodies are sent from the app's bytes object, not copied into the
    output buffer; what is written before and after them must stay in order."""
    sizes = [40000, 5, 300000, 17, 65536]

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        i = int(environ["PATH_INFO"][1:])
        start_response("200 OK", [("Content-Type", "text/plain")])
        if i % 2:
            # Streamed: chunk headers around a large chunk, then a small one.
            return iter([bytes([65 + i]) * sizes[i], b"!"])
        return [bytes([65 + i]) * sizes[i]]

    c = _core.Server(app).connection()
    c.feed(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(len(sizes))))
    got = responses(c.take_output())
    assert [body for _, _, body in got] == [
        bytes([65 + i]) * n + (b"!" if i % 2 else b"") for i, n in enumerate(sizes)]


def test_repeated_header_values_and_targets_are_read_afresh() -> None:
    """Header values and targets equal to the previous request's reuse its str;
    a value of the same length but other bytes must not."""
    seen: list[tuple[str, str, str, str]] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append((environ["HTTP_HOST"], environ["RAW_URI"], environ["PATH_INFO"],
                     environ.get("HTTP_ACCEPT", "-")))
        start_response("204 No Content", [])
        return []

    c = make(app)
    sent = [("aaaa", "/p1", "x/y"), ("aaab", "/p1", "x/y"), ("aaab", "/p2", "x/z"),
            ("aaaa", "/p%32", "x/z"), ("aaaa", "/p%32", "-"), ("b", "/p1?q", "x/y")]
    for host, target, accept in sent:
        extra = f"Accept: {accept}\r\n" if accept != "-" else ""
        c.feed(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
    paths = ["/p1", "/p1", "/p2", "/p2", "/p2", "/p1"]
    assert seen == [(h, t, p, a) for (h, t, a), p in zip(sent, paths)]


@pytest.mark.parametrize("delay,quick", [(0.0, True), (0.002, False)])
def test_responses_are_batched_only_while_the_app_is_quick(delay: float, quick: bool) -> None:
    """A slow app's ready responses must not wait for the end of an epoll batch."""
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        if delay:
            time.sleep(delay)
        start_response("204 No Content", [])
        return []

    server = _core.Server(app)
    c = server.connection()
    for _ in range(24):
        c.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(responses(c.take_output())) == 24
    assert server.app_is_quick is quick


@pytest.mark.parametrize("headers,status", [
    ([("Content-Type", "text/plain")], 200),
    ([["Content-Type", "text/plain"]], 200),  # a list pair, as gunicorn allows
    ([("Content-Type", "text/plain", "x")], 500),
    (["Content-Type: text/plain"], 500),
])
def test_header_pairs(headers: list[Any], status: int) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", headers)
        return [b"body"]

    c = _core.Server(app).connection()
    c.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    [(got, got_headers, _)] = responses(c.take_output())
    assert got == status
    if status == 200:
        assert got_headers["content-type"] == "text/plain"


class Bytestring(bytes):
    """A bytes subclass: a bytestring to PEP 3333 (gunicorn accepts it)."""


@pytest.mark.parametrize("how", ["iterable", "write"])
def test_bytes_subclasses_and_buffers_are_sent_and_other_types_refused(how: str) -> None:
    chunks = [Bytestring(b"sub "), bytearray(b"array "), memoryview(b"view "),
              Bytestring(b"x" * 40000)]

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/str":
            if how == "write":
                write("text")
            return iter(["text"])
        if how == "write":
            for chunk in chunks[::3]:  # the bytes subclasses: write() takes no other buffer
                write(chunk)
            return []
        return iter(chunks)

    c = _core.Server(app).connection()
    c.feed(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, _, body)] = responses(c.take_output())
    wanted = chunks[::3] if how == "write" else chunks
    assert (status, body) == (200, b"".join(bytes(chunk) for chunk in wanted))
    c.feed(b"GET /str HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, _, _)] = responses(c.take_output())
    assert status == 500


@pytest.mark.parametrize("split", [1, 2, 7])
def test_fragmented_request(split: int) -> None:
    raw = b"POST /p?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"
    seen: list[Environ] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    c = make(app)
    for i in range(0, len(raw), split):
        c.feed(raw[i:i + split])
    [(status, _, body)] = responses(c.take_output())
    assert (status, body) == (200, b"hello")
    env = seen[0]
    assert env["QUERY_STRING"] == "q=1"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["HTTP_X_A"] == "b"


def test_smuggling_cl_te_rejected() -> None:
    c = make()
    c.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    out = c.take_output()
    assert out.startswith(b"HTTP/1.1 400 ")
    assert b"smuggled" not in out
    assert c.closing


def _scheme(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["wsgi.url_scheme"].encode()]


_ALLOW_LISTS = [["127.0.0.1", "::1"], ["10.0.0.0/8", "fe80::1%eth0", "192.168.1.5"],
                ["::ffff:1.2.3.4", "2001:db8::/32"]]
_PEERS = ["127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "10.1.2.3", "11.0.0.1", "fe80::1",
          "fe80::1%eth1", "::ffff:127.0.0.1", "::ffff:1.2.3.4", "1.2.3.4", "192.168.1.5",
          "2001:db8::5", "2001:db9::1", "127.0.0.01", "bogus"]


@pytest.mark.parametrize("allow", _ALLOW_LISTS)
def test_forwarded_allow_ips_match_as_ipaddress_does(allow: list[str]) -> None:
    # The engine compares plain addresses without ipaddress (which it imports
    # only for networks); the answers must be ipaddress's.
    import ipaddress
    networks = [ipaddress.ip_network(entry, strict=False) for entry in allow]
    server = _core.Server(_scheme, settings=EngineSettings(forwarded_allow_ips=allow))
    for peer in _PEERS:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            expected = False
        else:
            expected = any(address in network for network in networks)
        c = server.connection(remote=(peer, 40000))
        c.feed(b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n\r\n")
        [(_, _, body)] = responses(c.take_output())
        assert (body == b"https") == expected, peer
