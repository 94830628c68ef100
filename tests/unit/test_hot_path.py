"""The hot path's caches give what the plain computation gives.

A keep-alive connection builds each environ from a template of the
connection's constant keys (request.pyx request_environ) and remembers the
headers start_response validated (start_response.pyx): every request on a
long-lived connection must see exactly the environ, and send exactly the
bytes, that the same request gets as the first on a fresh connection, where
nothing is cached yet."""

from __future__ import annotations

import sys
import wsgiref.validate
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from fastwsgi import _core
from tests.support import split_responses

Environ = dict[str, Any]

REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /q?x=1&y HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: b:81\r\n\r\n",
    b"DELETE /d%41?z HTTP/1.1\r\nHost: a\r\nX-Custom-Thing: 1\r\nX-Custom-Thing: 2\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
]


def _seen(environ: Environ) -> dict[str, Any]:
    """The environ as the app sees it, wsgi.input by its content."""
    out = dict(environ)
    out["wsgi.input"] = environ["wsgi.input"].read(1 << 20)
    out["wsgi.errors"] = type(environ["wsgi.errors"])  # the validator's wrapper
    # One early-hints sender per connection: the same kind on every request.
    out["wsgi.early_hints"] = type(environ["wsgi.early_hints"])
    return out


def _kept_equals_fresh(app: Callable[..., Any], seen: list[dict[str, Any]],
                       requests: list[bytes], validate: bool = True) -> list[dict[str, Any]]:
    """Feed `requests` through one kept connection, then each through a fresh
    one; the app appends what it saw to `seen`.  Every request must have seen
    the same environ both ways; returns what the kept connection's saw.
    (wsgiref's validator replaces wsgi.input and wsgi.errors in the environ,
    so with it no environ is ever refilled: validate=False tests the refill.)"""
    server = _core.Server(wsgiref.validate.validator(app) if validate else app)
    kept = server.connection()
    for raw in requests:
        kept.feed(raw)
    on_kept = seen[:]
    seen.clear()
    for raw in requests:
        server.connection().feed(raw)
    assert len(on_kept) == len(seen) == len(requests)
    for i, (a, b) in enumerate(zip(on_kept, seen)):
        assert a == b, f"request {i}: {requests[i][:40]!r}"
    return on_kept


def test_environ_on_a_kept_connection_equals_a_fresh_connections() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(_seen(environ))
        # What the app does to its environ must not reach the next request's.
        environ["wsgi.input"] = None
        environ.pop("QUERY_STRING")
        environ["REQUEST_METHOD"] = "MUTATED"
        environ["x.added"] = 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    on_kept = _kept_equals_fresh(app, seen, REQUESTS)
    assert on_kept[4]["wsgi.input"] == b"hello" and on_kept[5]["wsgi.input"] == b""
    assert on_kept[2]["REQUEST_METHOD"] == "HEAD" and on_kept[6]["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert on_kept[3]["QUERY_STRING"] == "x=1&y" and on_kept[5]["QUERY_STRING"] == ""


# Requests whose environ may be the last one refilled (request.pyx
# request_environ): the same known header names, with the template's values
# changed and changed back between them.
REUSED = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: b\r\n\r\n",
    b"DELETE /q?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /old HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX-Custom: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: 1\r\nAccept: 2\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
]


@pytest.mark.parametrize("keep", [False, True], ids=["let go", "kept by the app"])
def test_a_reused_environ_equals_a_fresh_one(keep: bool) -> None:
    """The app that leaves its environ alone (so it may be refilled) or keeps
    a reference to it (so it may not) sees on a kept connection what each
    request gets on a fresh one; a kept environ is never changed after."""
    seen: list[dict[str, Any]] = []
    kept: list[tuple[Environ, dict[str, Any]]] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(_seen(environ))
        if keep:
            kept.append((environ, dict(environ)))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    on_kept = _kept_equals_fresh(app, seen, REUSED)
    assert on_kept[2]["REQUEST_METHOD"] == "DELETE" and on_kept[3]["REQUEST_METHOD"] == "GET"
    assert on_kept[2]["QUERY_STRING"] == "x=1" and on_kept[3]["QUERY_STRING"] == ""
    assert on_kept[4]["SERVER_PROTOCOL"] == "HTTP/1.0" and on_kept[6]["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert on_kept[9]["HTTP_ACCEPT"] == "1,2" and on_kept[10]["HTTP_ACCEPT"] == "1"
    assert "HTTP_ACCEPT" not in on_kept[6] and "HTTP_X_CUSTOM" not in on_kept[8]
    for environ, copy in kept:
        assert environ == copy


# The same header names as the request before, in the same or another order,
# with the same or other values, targets and paths: a refilled environ skips
# the keys whose value is the very str it holds (request.pyx, environ.pyx
# _add_header) and must set all the others.
REFILLED = [
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\n\r\n",
    b"GET /y HTTP/1.1\r\nAccept: x\r\nHost: a\r\n\r\n",
    b"GET /y HTTP/1.1\r\nAccept: z\r\nHost: a\r\n\r\n",
    b"GET /y HTTP/1.1\r\nHost: a\r\nAccept: z\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: b\r\nAccept: z\r\n\r\n",
    b"GET /%79 HTTP/1.1\r\nHost: b\r\nAccept: z\r\n\r\n",
    b"GET /y?q HTTP/1.1\r\nHost: b\r\nAccept: z\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\n\r\n",
]


def test_a_refilled_environ_holds_each_requests_own_values() -> None:
    seen: list[dict[str, Any]] = []
    ids: list[int] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(_seen(environ))
        ids.append(id(environ))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    on_kept = _kept_equals_fresh(app, seen, REFILLED, validate=False)
    # The kept connection did refill its environ (the test would prove
    # nothing otherwise): from its second request on, one dict.
    assert len(set(ids[1:len(REFILLED)])) == 1
    assert [e["PATH_INFO"] for e in on_kept] == ["/", "/", "/y", "/y", "/y", "/", "/y", "/y", "/"]
    assert [e["RAW_URI"] for e in on_kept][5:8] == ["/", "/%79", "/y?q"]
    assert [e["HTTP_HOST"] + e["HTTP_ACCEPT"] for e in on_kept] == [
        "ax", "ax", "ax", "az", "az", "bz", "bz", "bz", "ax"]


def test_a_proxy_header_gives_the_connection_its_peer() -> None:
    """REMOTE_ADDR comes from the PROXY header on every request of the
    connection, also those built from its template."""
    seen: list[tuple[str, str]] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append((environ["REMOTE_ADDR"], environ["REMOTE_PORT"]))
        start_response("204 No Content", [])
        return []

    from fastwsgi.engine.settings import EngineSettings
    server = _core.Server(app, settings=EngineSettings(proxy_protocol="v1",
                                                       proxy_allow_ips=["127.0.0.1"]))
    c = server.connection(proxy=True)
    c.feed(b"PROXY TCP4 10.1.2.3 10.0.0.1 5555 80\r\n")
    for _ in range(3):
        c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert seen == [("10.1.2.3", "5555")] * 3



# start_response's memory of the headers it validated: each case is the
# header lists given on successive requests of one connection.  Every body is
# "ok", so Content-Length "2" is right and "5" too long (the connection ends).
TWO = "2"


class _Str(str):
    """Not a str to PEP 3333 (gunicorn and fastwsgi refuse subclasses)."""
SHARED = [("Content-Type", "text/plain"), ("Content-Length", TWO)]
MUTATED = [("Content-Type", "text/plain"), ("Content-Length", TWO)]


def _mutate() -> list[tuple[str, str]]:
    MUTATED[0] = ("Content-Type", "text/html")  # same list, a new tuple
    return MUTATED


HEADER_CASES: dict[str, list[Callable[[], Any]]] = {
    "the same list": [lambda: SHARED] * 3,
    "the same list, changed": [lambda: MUTATED, _mutate, lambda: MUTATED],
    "a name's place taken by another": [
        lambda: [("X-Len", TWO)], lambda: [("Content-Length", TWO)],
        lambda: [("X-Len", TWO)]],
    "a value's meaning under another name": [
        lambda: [("Connection", "keep-alive"), ("X-Conn", "close")],
        lambda: [("X-Conn", "close"), ("Connection", "keep-alive")],
        lambda: [("Connection", "close")]],
    "more headers than remembered": [
        lambda: [(f"X-H{i}", str(i)) for i in range(20)] + [("Content-Length", TWO)]] * 3,
    "the app's Server and Date, hop-by-hop dropped": [
        lambda: [("Server", "app"), ("Date", "x"), ("Keep-Alive", "1"), ("Upgrade", "h2")]] * 2,
    "a bad value at a remembered place": [
        lambda: [("Content-Type", "text/plain"), ("X-V", "fine")],
        lambda: [("Content-Type", "text/plain"), ("X-V", "bad\r\nX-Injected: 1")]],
    "a bad name at a remembered place": [
        lambda: [("Content-Type", "text/plain")], lambda: [("Content Type", "text/plain")]],
    "a wrong Content-Length after a right one": [
        lambda: [("Content-Length", TWO)], lambda: [("Content-Length", "2x")]],
    "a longer Content-Length after a right one": [
        lambda: [("Content-Length", TWO)], lambda: [("Content-Length", "5")],
        lambda: [("Content-Length", TWO)]],
    "list pairs": [lambda: [["Content-Type", "text/plain"]]] * 2,
    "not latin-1": [lambda: [("X-A", "a")], lambda: [("X-A", "\u20ac")]],
    # The kept block is replayed for equal headers (start_response.pyx _set).
    "an equal value in a new str each time": [
        lambda: [("Content-Type", "text/plain"), ("Content-Length", str(len("ok")))]] * 3,
    "a value of the same length changed": [
        lambda: [("X-V", "aaaa")], lambda: [("X-V", "aaab")], lambda: [("X-V", "aaaa")]],
    "a header more, then fewer": [
        lambda: [("X-A", "1")], lambda: [("X-A", "1"), ("X-B", "2")],
        lambda: [("X-A", "1")], list],
    "an equal value of a str subclass": [lambda: [("X-A", "1")], lambda: [("X-A", _Str("1"))]],
    "a tuple pair, a list pair, a triple": [
        lambda: [("X-A", "1")], lambda: [["X-A", "1"]], lambda: [("X-A", "1", "x")]],
    "a name of another case": [lambda: [("X-A", "1")], lambda: [("x-a", "1")]],
    "a block too large to keep": [lambda: [("X-Big", "x" * 300)]] * 2 + [lambda: [("X-Big", "y")]],
}


def _answers(case: list[Callable[[], Any]], kept: bool) -> list[tuple[int, dict[str, str], bytes]]:
    MUTATED[:] = [("Content-Type", "text/plain"), ("Content-Length", TWO)]
    calls = iter(case)

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", next(calls)())
        return [b"ok"]

    server = _core.Server(app)
    conn = server.connection()
    out = b""
    for _ in case:
        if not kept:
            conn = server.connection()
        conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        out += conn.take_output()
        if conn.closing:
            break
    parsed, _ = split_responses(out)
    answers = []
    for r in parsed:
        headers = dict(r.headers)
        if headers.get("date") != "x":  # the server's own changes by the second
            headers.pop("date")
        answers.append((r.status, headers, r.body))
    return answers


@pytest.mark.parametrize("case", HEADER_CASES, ids=list(HEADER_CASES))
def test_remembered_headers_give_what_fresh_validation_gives(case: str) -> None:
    kept = _answers(HEADER_CASES[case], kept=True)
    fresh = _answers(HEADER_CASES[case], kept=False)
    assert kept == fresh[:len(kept)]
    assert kept and kept[0][0] == 200
    for status, headers, _ in kept:
        assert "x-injected" not in headers and "keep-alive" not in headers
        assert status in (200, 500)


def test_a_host_is_checked_whenever_it_differs_from_the_last_valid_one() -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("204 No Content", [])
        return []

    server = _core.Server(app)
    for hosts, expect in [(["a:1", "a:1", "a:1"], [204, 204, 204]),
                          (["a:1", "a:1", "a:x"], [204, 204, 400]),
                          (["a b", "a b"], [400])]:  # a 400 ends the connection
        c = server.connection()
        for host in hosts:
            c.feed(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        parsed, _ = split_responses(c.take_output())
        assert [r.status for r in parsed] == expect


@pytest.mark.parametrize("statuses,expect", [
    (["200 OK", "200 OK", "404 Not Found", "200 OK"], [200, 200, 404, 200]),
    (["200 OK", "200 OK\r\nX: 1"], [200, 500]),
    (["200 OK", "2000 OK"], [200, 500]),
])
def test_a_status_is_checked_whenever_it_is_another_str(statuses: list[str],
                                                         expect: list[int]) -> None:
    given = iter(statuses)

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response(next(given), [("Content-Length", "0")])
        return []

    c = _core.Server(app).connection()
    for _ in statuses:
        c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    parsed, _ = split_responses(c.take_output())
    assert [r.status for r in parsed] == expect


def _heads(given: list[tuple[str, Any]], body: bytes = b"ok") -> list[bytes]:
    """The raw heads (the server's Date taken out) of the responses to successive requests
    on one connection, the app giving start_response each (status, headers)."""
    calls = iter(given)

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response(*next(calls))
        return [body]

    c = _core.Server(app).connection()
    for _ in given:
        c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    out = c.take_output()
    return [b"\r\n".join(line for line in head.split(b"\r\n")
                        if not (line.startswith(b"Date: ") and line.endswith(b" GMT")))
            for head in out.split(b"\r\n\r\n" + body)[:-1]]


def test_a_kept_header_block_is_sent_only_while_the_headers_are_equal() -> None:
    headers = [("Content-Type", "text/plain"), ("X-V", "aaaa")]
    heads = _heads([("200 OK", headers), ("200 OK", headers),
                    ("200 OK", [("Content-Type", "text/plain"), ("X-V", "aaab")]),
                    ("200 OK", [("Content-Type", "text/plain"), ("X-V", "".join("aaaa"))])])
    common = b"HTTP/1.1 200 OK\r\nServer: fastwsgi\r\nContent-Type: text/plain\r\n"
    assert heads == [common + b"X-V: aaaa\r\nContent-Length: 2",
                     common + b"X-V: aaaa\r\nContent-Length: 2",
                     common + b"X-V: aaab\r\nContent-Length: 2",
                     common + b"X-V: aaaa\r\nContent-Length: 2"]
    # The same list changed in place between two calls.
    headers[1] = ("X-V", "bbbb")
    heads = _heads([("200 OK", headers), ("200 OK", headers)])
    assert heads[1] == heads[0] == common + b"X-V: bbbb\r\nContent-Length: 2"


def test_a_kept_block_follows_the_status_code() -> None:
    # Content-Length is dropped on a 204 (RFC 9110 §8.6): the block kept for
    # a 200 is not the 204's, nor the 204's the next 200's.
    length = [("Content-Length", "0")]
    heads = _heads([("200 OK", length), ("204 No Content", length), ("200 OK", length),
                    ("200 Fine", length)], body=b"")
    assert heads == [b"HTTP/1.1 200 OK\r\nServer: fastwsgi\r\nContent-Length: 0",
                     b"HTTP/1.1 204 No Content\r\nServer: fastwsgi",
                     b"HTTP/1.1 200 OK\r\nServer: fastwsgi\r\nContent-Length: 0",
                     b"HTTP/1.1 200 Fine\r\nServer: fastwsgi\r\nContent-Length: 0"]


def test_a_kept_block_keeps_what_its_headers_meant() -> None:
    # The app's own Date and Server replace the server's on each response.
    own = [("Date", "then"), ("Server", "app")]
    assert _heads([("200 OK", own)] * 2) == [
        b"HTTP/1.1 200 OK\r\nDate: then\r\nServer: app\r\nContent-Length: 2"] * 2

    # Connection: close (dropped, and obeyed) given again with exc_info.
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        close = [("Connection", "close")]
        start_response("200 OK", close)
        try:
            raise ValueError("after start_response")
        except ValueError:
            start_response("200 OK", close, sys.exc_info())
        return [b"ok"]

    c = _core.Server(app).connection()
    c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    out = c.take_output()
    assert out.endswith(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok") and c.closing


@pytest.mark.parametrize("second", [
    [("Content-Length", "2"), ("X-Bad", "a\r\nb")],   # a bad header after a good one
    [("Content-Length", "2"), ("Bad Name", "x")],
    "not a list",
])
def test_a_failed_second_call_leaves_no_response(second: Any) -> None:
    # The app catches what its exc_info call raised and returns a body: no
    # header of either call goes out, but a 500 (PEP 3333: nothing
    # unvalidated reaches the wire).
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("after start_response")
        except ValueError:
            try:
                start_response("200 OK", second, sys.exc_info())
            except (TypeError, ValueError):
                pass
        return [b"ok"]

    c = _core.Server(app).connection()
    c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    parsed, _ = split_responses(c.take_output())
    assert [r.status for r in parsed] == [500]


@pytest.mark.parametrize("size", [0, 1, 9, 10, 99, 100, 12345, 65536, 1000000])
def test_the_server_counts_a_bodys_content_length(size: int) -> None:
    # serialize.pyx writes the length's digits itself (fw_decimal).
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x" * size]

    c = _core.Server(app).connection()
    c.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    out = c.take_output()
    line = b"\r\nContent-Length: %d\r\n\r\n" % size
    assert out.count(line) == 2 and out.endswith(line)  # HEAD: the GET's length
    parsed, rest = split_responses(out, head_at=[1])
    assert [len(r.body) for r in parsed] == [size, 0] and rest == b""


def test_a_repeated_target_is_split_as_a_new_one() -> None:
    # request.pyx keeps the last target's split (by its str); repeats and
    # changes, on one connection and on another, each give their own keys.
    targets = [b"/a?x=1", b"/a?x=1", b"/b%41", b"/b%41", b"/a?x=1", b"/a", b"/a?",
               b"http://h:1/p%2Fq?z", b"http://h:1/p%2Fq?z", b"/a?x=1"]
    seen: list[tuple[str, str, str]] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append((environ["RAW_URI"], environ["PATH_INFO"], environ["QUERY_STRING"]))
        start_response("204 No Content", [])
        return []

    server = _core.Server(app)
    for conn in (server.connection(), server.connection()):
        for t in targets:
            conn.feed(b"GET " + t + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        conn.take_output()
    expect = [("/a?x=1", "/a", "x=1"), ("/a?x=1", "/a", "x=1"), ("/b%41", "/bA", ""),
              ("/b%41", "/bA", ""), ("/a?x=1", "/a", "x=1"), ("/a", "/a", ""), ("/a?", "/a", ""),
              ("http://h:1/p%2Fq?z", "/p/q", "z"), ("http://h:1/p%2Fq?z", "/p/q", "z"),
              ("/a?x=1", "/a", "x=1")]
    assert seen == expect * 2
