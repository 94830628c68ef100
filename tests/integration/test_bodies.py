"""Request and response bodies on a live server: chunked uploads with
trailers, Expect: 100-continue, 100 MB uploads spooled to disk in bounded
memory, a 1 GB wsgi.file_wrapper download by sendfile(2), and clients that
vanish in the middle of a body."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.apps.basic import pattern
from tests.support import (
    Client,
    ServerProcess,
    Strace,
    memory_kb,
    request,
    run_server,
    wait_for,
    worker_pid,
)

APP = "tests.apps.basic:app"
Serve = Callable[..., ServerProcess]
MB = 1 << 20
GB = 1 << 30
# The worker's peak resident memory while it moves 100 MB or 1 GB.
RSS_LIMIT_KB = 64 * 1024


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, tmp_path=tmp_path_factory.mktemp("bodies")) as srv:
        yield srv


def warm(srv: ServerProcess) -> int:
    """Answer one request, then give the worker's PID."""
    with Client(srv) as c:
        c.send(request("/hello/warm"))
        assert c.response().status == 200
    return worker_pid(srv)


def open_fds(pid: int) -> list[str]:
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            pass
    return out



def chunked(body: bytes, sizes: tuple[int, ...] = (1, 7, 300, 4096)) -> bytes:
    """``body`` in chunks of the given sizes, round robin; no trailers."""
    out, i, k = [], 0, 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        out.append(b"%x\r\n%s\r\n" % (len(body[i:i + n]), body[i:i + n]))
        i, k = i + n, k + 1
    return b"".join(out) + b"0\r\n\r\n"


# ---- chunked request bodies ----------------------------------------------------

TRAILERS_BODY = (b"5\r\nhello\r\n1;ext=1\r\n \r\n5;a=b;c=\"d\"\r\nworld\r\n"
                 b"0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n")


@pytest.mark.parametrize("split", ["whole", "lines", "bytes"])
def test_chunked_body_with_trailers(shared: ServerProcess, split: str) -> None:
    raw = request("/echo", method="POST", headers="Transfer-Encoding: chunked\r\n") + TRAILERS_BODY
    if split == "whole":
        pieces = [raw]
    elif split == "lines":
        pieces = [line + b"\n" for line in raw.split(b"\n")[:-1]]
    else:
        pieces = [raw[i:i + 1] for i in range(len(raw))]
    assert b"".join(pieces) == raw
    with Client(shared) as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            c.send(piece)
        r = c.response()
        assert (r.status, r.body) == (200, b"hello world")
        # The trailers were consumed: the next request on the connection is
        # parsed from the right place.
        c.send(request("/hello/next"))
        assert c.response().body == b"hello /hello/next"


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_body_above_the_spool_threshold_arrives_intact(shared: ServerProcess,
                                                       framing: str) -> None:
    body = os.urandom(3 * MB + 12345)  # spooled to disk above 1 MiB
    if framing == "chunked":
        raw = (request("/hash", method="POST", headers="Transfer-Encoding: chunked\r\n")
               + chunked(body, (65536, 1, 100000, 3)))
    else:
        raw = request("/hash", method="POST", headers=f"Content-Length: {len(body)}\r\n") + body
    with Client(shared) as c:
        c.send(raw)
        r = c.response()
    assert r.body == f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()


# ---- large response bodies -------------------------------------------------------

def test_large_responses_to_a_slow_reader_stay_whole_and_in_order(shared: ServerProcess) -> None:
    """Megabyte bodies (sent from the app's bytes object) and streamed chunks
    behind them on one connection, read in small pieces by a client with a
    small receive buffer, so that every send of the server comes back short."""
    targets = ["/big?size=1048576&i=1", "/stream?n=3&size=100000", "/hello/after",
               "/big?size=40000&i=2", "/big?size=7&i=3"]
    expected = [pattern(1, 1 << 20), b"".join(pattern(i, 100000) for i in range(3)),
                b"hello /hello/after", pattern(2, 40000), pattern(3, 7)]
    with Client(shared) as c:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        c.send(b"".join(request(t) for t in targets))
        raw = b""
        while raw.count(b"hello /hello/after") == 0 or len(raw) < sum(map(len, expected)):
            chunk = c.sock.recv(8192)
            assert chunk, "connection closed early"
            raw += chunk
        c.buf = raw
        bodies = [c.response().body for _ in targets]
    assert bodies == expected


# ---- Expect: 100-continue -------------------------------------------------------------

@pytest.mark.parametrize("framing", ["Content-Length: 11", "Transfer-Encoding: chunked"])
def test_100_continue_arrives_before_the_body_is_sent(shared: ServerProcess,
                                                      framing: str) -> None:
    body = b"hello world"
    with Client(shared) as c:
        c.send(request("/echo", method="POST", headers=f"{framing}\r\nExpect: 100-continue\r\n"))
        while b"\r\n\r\n" not in c.buf:
            assert c._recv(), "closed before 100 Continue"
        assert c.buf == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.buf = b""
        c.send(body if framing.startswith("Content-Length") else chunked(body))
        r = c.response()
        assert (r.status, r.body) == (200, body)


def test_no_100_continue_for_http10(shared: ServerProcess) -> None:
    with Client(shared) as c:
        c.send(request("/echo", "1.0", method="POST",
                       headers="Content-Length: 11\r\nExpect: 100-continue\r\n"))
        c.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            c._recv()  # an HTTP/1.0 client does not know 1xx: nothing comes
        c.sock.settimeout(5)
        c.send(b"hello world")
        r = c.response()
        assert (r.status, r.body) == (200, b"hello world")


def test_no_100_continue_without_a_body(shared: ServerProcess) -> None:
    with Client(shared) as c:
        c.send(request("/echo", method="POST",
                       headers="Content-Length: 0\r\nExpect: 100-continue\r\n"))
        r = c.response()
        assert (r.status, r.body) == (200, b"")


# ---- 100 MB uploads --------------------------------------------------------------------

def upload_blocks(total: int) -> Iterator[bytes]:
    seed = os.urandom(MB)
    for i in range(total // MB):
        yield i.to_bytes(8, "big") + seed[8:]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_100mb_upload_is_spooled_in_bounded_memory(serve: Serve, framing: str) -> None:
    total = 100 * MB
    srv = serve(APP)
    pid = warm(srv)
    digest = hashlib.sha256()
    with Client(srv, timeout=30) as c:
        if framing == "length":
            c.send(request("/hash", method="POST", headers=f"Content-Length: {total}\r\n"))
        else:
            c.send(request("/hash", method="POST", headers="Transfer-Encoding: chunked\r\n"))
        for block in upload_blocks(total):
            digest.update(block)
            c.send(block if framing == "length" else b"%x\r\n%s\r\n" % (len(block), block))
        if framing == "chunked":
            c.send(b"0\r\n\r\n")
        r = c.response()
    assert r.body == f"{total} {digest.hexdigest()}".encode()
    mem = memory_kb(pid)
    assert mem["VmHWM"] < RSS_LIMIT_KB, mem


# ---- 1 GB download by sendfile -----------------------------------------------------------

@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """A sparse 1 GiB file with markers at both ends."""
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.write(b"START")
        f.truncate(GB)
        f.seek(GB - 3)
        f.write(b"END")
    return path


def test_1gb_file_wrapper_download_by_sendfile(serve: Serve, big_file: Path,
                                               tmp_path: Path) -> None:
    srv = serve(APP)
    pid = warm(srv)
    trace = Strace(pid, "sendfile", tmp_path / "strace.out")
    try:
        with Client(srv, timeout=30) as c:
            c.send(request(f"/sendfile?path={quote(str(big_file))}"))
            while b"\r\n\r\n" not in c.buf:
                assert c._recv()
            head, _, first = c.buf.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 "), head
            assert f"content-length: {GB}".encode() in head.lower()
            buf = bytearray(4 * MB)
            view = memoryview(buf)
            received, start, tail = len(first), first[:5], first[-3:]
            while received < GB:
                n = c.sock.recv_into(view)
                assert n, f"closed after {received} bytes"
                received += n
                if len(start) < 5:
                    start = (start + bytes(view[:5]))[:5]
                tail = (tail + bytes(view[max(0, n - 3):n]))[-3:]
            # The connection stays usable: the body had exactly that length.
            c.send(request("/hello/after"))
            c.buf = b""
            assert c.response().body == b"hello /hello/after"
    finally:
        trace.stop()
    assert received == GB
    assert start == b"START"
    assert tail == b"END"
    mem = memory_kb(pid)
    assert mem["VmHWM"] < RSS_LIMIT_KB, mem
    calls = trace.calls()  # last: without strace, the test is skipped, saying why
    assert "sendfile(" in calls, calls[:2000]


def test_file_wrapper_through_the_validator(shared: ServerProcess, tmp_path: Path) -> None:
    """The validated app gets the same bytes (the server iterates the
    wrapper instead of using sendfile)."""
    data = os.urandom(MB + 7)
    path = tmp_path / "small.bin"
    path.write_bytes(data)
    with Client(shared) as c:
        c.send(request(f"/file?path={quote(str(path))}"))
        r = c.response()
    assert (r.status, r.body) == (200, data)


# ---- clients that vanish mid-body --------------------------------------------------------

@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_client_vanishing_mid_request_body(serve: Serve, framing: str, how: str) -> None:
    srv = serve(APP)
    pid = warm(srv)
    baseline = len(open_fds(pid))
    c = Client(srv)
    block = b"x" * MB
    if framing == "length":
        c.send(request("/hash", method="POST", headers=f"Content-Length: {10 * MB}\r\n"))
        for _ in range(5):
            c.send(block)
    else:
        c.send(request("/hash", method="POST", headers="Transfer-Encoding: chunked\r\n"))
        for _ in range(5):
            c.send(b"%x\r\n%s\r\n" % (len(block), block))
    if how == "reset":
        c.reset()
    else:
        c.sock.close()
    # The connection and its half-spooled body are let go...
    assert wait_for(lambda: len(open_fds(pid)) <= baseline), open_fds(pid)
    # ...and the same worker serves on.
    assert warm(srv) == pid


def test_client_vanishing_mid_sendfile(serve: Serve, big_file: Path) -> None:
    srv = serve(APP)
    pid = warm(srv)
    c = Client(srv)
    c.send(request(f"/sendfile?path={quote(str(big_file))}"))
    while len(c.buf) < MB:
        assert c._recv()
    assert any(str(big_file) in link for link in open_fds(pid))
    c.reset()
    # The file is closed (the wrapper's close() was called)...
    assert wait_for(lambda: not any(str(big_file) in link for link in open_fds(pid))), \
        "the file is still open in the worker"
    # ...and the same worker serves on.
    assert warm(srv) == pid
