"""The request limits of DESIGN.md §7 on a live server: gunicorn's
limit_request_line (4094), limit_request_fields (100) and
limit_request_field_size (8190), --limit-request-body, and the header
read timeout."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.support import Client, ServerProcess, request, run_server, worker_pid

APP = "tests.apps.basic:app"
Serve = Callable[..., ServerProcess]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, tmp_path=tmp_path_factory.mktemp("limits")) as srv:
        yield srv


def rejected(srv: ServerProcess, raw: bytes, status: int, timeout: float = 10.0) -> None:
    """The server answers ``raw`` with ``status`` and closes."""
    with Client(srv, timeout) as c:
        c.send(raw)
        r = c.response()
        assert r.status == status, r.raw[:300]
        assert r.headers["connection"].lower() == "close"
        assert c.closed_within(5)


def served(srv: ServerProcess, raw: bytes) -> bytes:
    with Client(srv) as c:
        c.send(raw)
        r = c.response()
        assert r.status == 200, r.raw[:300]
        return r.body


def request_line_of(length: int) -> bytes:
    """``GET /hello/aaa… HTTP/1.1`` exactly ``length`` bytes long (no CRLF)."""
    fixed = len("GET /hello/ HTTP/1.1")
    return f"GET /hello/{'a' * (length - fixed)} HTTP/1.1".encode()


# ---- request line -------------------------------------------------------------

def test_request_line_of_4094_bytes_is_served(shared: ServerProcess) -> None:
    line = request_line_of(4094)
    assert len(line) == 4094
    body = served(shared, line + b"\r\nHost: test\r\n\r\n")
    assert body == b"hello /hello/" + b"a" * (4094 - len("GET /hello/ HTTP/1.1"))


@pytest.mark.parametrize("length", [4095, 20000])
def test_request_line_over_4094_bytes_is_414(shared: ServerProcess, length: int) -> None:
    rejected(shared, request_line_of(length) + b"\r\nHost: test\r\n\r\n", 414)


# ---- header count and size ------------------------------------------------------

def headers(n: int) -> str:
    """``n`` header lines besides Host."""
    return "".join(f"X-Field-{i}: {i}\r\n" for i in range(n))


def test_100_header_fields_are_served(shared: ServerProcess) -> None:
    served(shared, request("/hello/x", headers=headers(99)))  # + Host = 100


@pytest.mark.parametrize("extra", [100, 1000])
def test_more_than_100_header_fields_is_431(shared: ServerProcess, extra: int) -> None:
    rejected(shared, request("/hello/x", headers=headers(extra)), 431)


def test_header_field_under_8190_bytes_is_served(shared: ServerProcess) -> None:
    served(shared, request("/hello/x", headers=f"X-Big: {'v' * 8000}\r\n"))


@pytest.mark.parametrize("name_len,value_len", [(5, 9000), (9000, 1), (5, 100000)])
def test_header_field_over_8190_bytes_is_431(shared: ServerProcess, name_len: int,
                                             value_len: int) -> None:
    name = "X" * name_len
    rejected(shared, request("/hello/x", headers=f"{name}: {'v' * value_len}\r\n"), 431)


# ---- request body ----------------------------------------------------------------

def chunked(body: bytes, size: int = 300) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, "--limit-request-body", "1000",
                    tmp_path=tmp_path_factory.mktemp("limited")) as srv:
        yield srv


def test_body_at_the_limit_is_served(limited: ServerProcess) -> None:
    body = b"x" * 1000
    assert served(limited, request("/echo", headers="Content-Length: 1000\r\n",
                                   method="POST") + body) == body
    assert served(limited, request("/echo", headers="Transfer-Encoding: chunked\r\n",
                                   method="POST") + chunked(body)) == body


def test_content_length_over_the_limit_is_413_before_the_body(limited: ServerProcess) -> None:
    # Only the head is sent: the answer must not wait for the body.
    rejected(limited, request("/echo", headers="Content-Length: 1001\r\n", method="POST"), 413,
             timeout=3)


def test_chunked_body_over_the_limit_is_413(limited: ServerProcess) -> None:
    rejected(limited, request("/echo", headers="Transfer-Encoding: chunked\r\n", method="POST")
             + chunked(b"x" * 1001), 413)


def test_expect_100_continue_over_the_limit_gets_413_not_100(limited: ServerProcess) -> None:
    with Client(limited, timeout=3) as c:
        c.send(request("/echo", method="POST",
                       headers="Content-Length: 5000\r\nExpect: 100-continue\r\n"))
        r = c.response()
        assert r.status == 413, r.raw[:200]
        assert c.closed_within(5)


# ---- malformed heads (DESIGN.md §7) ------------------------------------------------

@pytest.fixture
def fresh(serve: Serve) -> ServerProcess:
    return serve(APP)


MALFORMED = [
    pytest.param(b"GET /hello/x HTTP/1.1\r\n\r\n", 400, id="no-host"),
    pytest.param(b"GET /hello/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, id="two-hosts"),
    pytest.param(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, id="cl-and-te"),
    pytest.param(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
                 b"\r\nabcd", 400, id="two-cl"),
    pytest.param(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\nabc\r\n0\r\n\r\n", 400, id="bad-chunk-size"),
    pytest.param(b"GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n", 400,
                 id="obs-fold"),
    pytest.param(b"GET /hello/x HTTP/1.1\nHost: a\n\n", 400, id="bare-lf"),
    # RFC 9112 §6.3: chunked not final -> the length is unknowable -> 400.
    pytest.param(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
                 id="gzip-te"),
    pytest.param(b"GET /hello/x HTTP/2.0\r\nHost: a\r\n\r\n", 505, id="http2"),
]


@pytest.mark.parametrize("raw,status", MALFORMED)
def test_malformed_head_is_refused_and_the_worker_serves_on(fresh: ServerProcess, raw: bytes,
                                                            status: int) -> None:
    pid = worker_pid_after_request(fresh)
    rejected(fresh, raw, status, timeout=3)
    assert worker_pid_after_request(fresh) == pid, "the worker died"


def worker_pid_after_request(srv: ServerProcess) -> int:
    assert served(srv, request("/hello/x")) == b"hello /hello/x"
    return worker_pid(srv)


# ---- header timeout --------------------------------------------------------------

def test_incomplete_head_is_closed_by_the_header_timeout(serve: Serve) -> None:
    srv = serve(APP, "--header-timeout", "1")
    with Client(srv) as c:
        c.send(b"GET /hello/x HTTP/1.1\r\nHost: test\r\n")
        t0 = time.monotonic()
        c.sock.settimeout(5)
        try:
            data = c.read_to_eof()
        except TimeoutError:
            pytest.fail("the connection was not closed within 5 s")
        elapsed = time.monotonic() - t0
    assert data == b"" or data.startswith(b"HTTP/1.1 408 "), data[:200]
    assert 0.9 <= elapsed < 3.5, elapsed


def test_trickled_head_is_closed_by_the_header_timeout(serve: Serve) -> None:
    """A client that keeps sending a byte now and then (slowloris) is still
    cut off: the timeout counts from the head's first byte."""
    srv = serve(APP, "--header-timeout", "1")
    with Client(srv) as c:
        c.send(b"GET /hello/x HTTP/1.1\r\nHost: test\r\n")
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 5 and not closed:
            try:
                c.send(b"X")  # a header name that never ends
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed = c.closed_within(0.2)
        elapsed = time.monotonic() - t0
    assert closed
    assert 0.9 <= elapsed < 3.5, elapsed
