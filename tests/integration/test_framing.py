"""PEP 3333's framing rule on every body path, raw bytes in and out.

An app that declares a Content-Length and sends fewer bytes gets the
connection closed after what it sent (the client would otherwise wait, or
read the next response as the end of this one), the error logged with the
request; more bytes are cut at the Content-Length, logged, and the
connection closed.  One table over every way a body leaves the server
(tests/apps/framing.py: one bytestring, an iterable, write(), a file_wrapper
over a real file by sendfile or read, over BytesIO; small bodies and ones
larger than the socket takes at once) and every server set-up (the default,
--no-sendfile, --threads, TLS, -k gevent).  A response that keeps its length
keeps the connection, and the next request on it reads its own response,
never a byte left from the last one; so do HEAD, 204 and 304 whatever body
the app gives them.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.apps.framing import PROBE_BODY, body
from tests.support import ServerProcess, run_server, wait_for
from tests.tls.pki import have_openssl, make_pki

APP = "tests.apps.framing:app"
TIMEOUT = 10.0
MB = 1 << 20
# The client's receive buffer: small, so that a large body cannot be taken
# by the kernel at once and the server's sends are partial.
SMALL_RCVBUF = 32768

PATHS = ("single", "iterable", "write", "file", "bytesio", "mixed", "mixed-file")


@dataclass(frozen=True)
class Case:
    name: str
    declared: int
    sent: int
    query: str = ""

    @property
    def outcome(self) -> str:
        if self.sent < self.declared:
            return "short"
        return "over" if self.sent > self.declared else "exact"


CASES = (
    Case("exact", 1000, 1000),
    Case("short", 1000, 600),
    Case("over", 600, 1000),
    Case("empty", 10, 0),
    Case("large-exact", 2 * MB, 2 * MB, "?piece=262144"),
    Case("large-short", 3 * MB, 2 * MB, "?piece=262144"),
    Case("large-over", 2 * MB, 3 * MB, "?piece=262144"),
)

MODES: dict[str, tuple[str, ...]] = {
    "default": (),
    "no-sendfile": ("--no-sendfile",),
    "threads": ("--threads", "4"),
    "tls": (),          # + the certificate's flags, see the fixture
    "gevent": ("-k", "gevent"),
}


@dataclass
class Served:
    srv: ServerProcess
    tls: ssl.SSLContext | None

    def connect(self) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RCVBUF)
        s.settimeout(TIMEOUT)
        s.connect(self.srv.address)
        if self.tls is not None:
            return self.tls.wrap_socket(s, server_hostname="localhost")
        return s


@pytest.fixture(scope="module", params=list(MODES))
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    mode = request.param
    args = list(MODES[mode])
    tls = None
    if mode == "gevent" and importlib.util.find_spec("gevent") is None:
        pytest.skip("-k gevent needs gevent (pip install gevent)")
    if mode == "tls":
        if not have_openssl():
            pytest.skip("the TLS mode needs the openssl CLI to make its test CA (apt-get install openssl)")
        pki = make_pki(tmp_path_factory.mktemp("pki"))
        args += ["--certfile", str(pki / "server.pem"), "--keyfile", str(pki / "server.key")]
        tls = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    with run_server(APP, *args, tmp_path=tmp_path_factory.mktemp(f"framing-{mode}")) as srv:
        yield Served(srv, tls)


# ---- a raw HTTP/1.1 client: bytes in, bytes out --------------------------------------

def get(s: socket.socket, target: str, method: str = "GET") -> None:
    s.sendall(f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())


def read_head(s: socket.socket, buf: bytearray) -> tuple[bytes, dict[str, str]]:
    """The next response head (status line and fields); the bytes after it stay in buf."""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            raise AssertionError(f"the connection closed before a response head: {bytes(buf)!r}")
        buf += data
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    del buf[:end]
    fields = {}
    for line in head.split(b"\r\n")[1:-2]:
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    return head, fields


def read_exactly(s: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        data = s.recv(1 << 20)
        if not data:
            break
        buf += data
    out = bytes(buf[:n])
    del buf[:n]
    return out


def read_to_close(s: socket.socket, buf: bytearray) -> bytes:
    """What else comes before the server closes; fails if it keeps the connection
    open (the client would hang there)."""
    try:
        while data := s.recv(65536):
            buf += data
    except TimeoutError:
        raise AssertionError(f"the connection stayed open {TIMEOUT} s after the response") from None
    except (ConnectionResetError, ssl.SSLEOFError):
        pass
    return bytes(buf)


def probe(s: socket.socket, buf: bytearray) -> None:
    """The next request on the connection gets its own response, from its first byte."""
    get(s, "/probe")
    head, fields = read_head(s, buf)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    assert read_exactly(s, buf, int(fields["content-length"])) == PROBE_BODY
    assert not buf, f"bytes after the probe's response: {bytes(buf[:64])!r}"


def logged(srv: ServerProcess, pattern: str) -> bool:
    return re.search(pattern, srv.log_text()) is not None


# ---- the table -------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("path", PATHS)
def test_content_length_rule(served: Served, path: str, case: Case) -> None:
    target = f"/{path}/{case.declared}/{case.sent}{case.query}"
    buf = bytearray()
    with served.connect() as s:
        get(s, target)
        head, fields = read_head(s, buf)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
        assert fields["content-length"] == str(case.declared), head
        assert "transfer-encoding" not in fields, head
        want = body(min(case.declared, case.sent))
        got = read_exactly(s, buf, case.declared)
        assert len(got) == len(want) and got == want, (
            f"{len(got)} body bytes, not the {len(want)} expected (or different ones)")
        if case.outcome == "exact":
            assert fields.get("connection") != "close", head
            probe(s, buf)
            assert not logged(served.srv, f"Response to GET {re.escape(target)} ")
            return
        assert read_to_close(s, buf) == b"", "bytes past the Content-Length"
    if case.outcome == "short":
        what = (f"declared Content-Length {case.declared} and sent {case.sent} bytes; "
                f"the connection is closed")
    else:
        what = f"sent more than its Content-Length \\({case.declared} bytes"
    wait_for(lambda: logged(served.srv, f"Response to GET {re.escape(target)} \\(status 200\\): the app {what}"),
             what=f"the framing error of {target} in the log")


BODYLESS = (
    # (method, query, status, the app's Content-Length, the one sent)
    # HEAD: the Content-Length a GET would get, as the app declared it; no body.
    ("HEAD", "", "200 OK", "1000", "1000"),
    ("HEAD", "?piece=262144", "200 OK", str(2 * MB), str(2 * MB)),
    # 304 keeps the app's Content-Length; 204 never has one (RFC 9110 §8.6), as gunicorn.
    ("GET", "?status=304", "304 Not Modified", "1000", "1000"),
    ("GET", "?status=204", "204 No Content", "-", None),
    ("GET", "?status=204", "204 No Content", "1000", None),
)


@pytest.mark.parametrize(("method", "query", "status", "declared", "length"), BODYLESS,
                         ids=["head", "head-large", "304", "204", "204-declared"])
@pytest.mark.parametrize("path", PATHS)
def test_bodyless_responses_send_no_body(served: Served, path: str, method: str, query: str,
                                         status: str, declared: str, length: str | None) -> None:
    size = 2 * MB if "piece" in query else 1000
    target = f"/{path}/{declared}/{size}{query}"
    buf = bytearray()
    with served.connect() as s:
        get(s, target, method)
        head, fields = read_head(s, buf)
        assert head.startswith(f"HTTP/1.1 {status}\r\n".encode()), head
        assert fields.get("content-length") == length, head
        assert "transfer-encoding" not in fields, head
        assert fields.get("connection") != "close", head
        probe(s, buf)
    if method == "GET":
        # As gunicorn: a warning that the app's body bytes were dropped.
        wait_for(lambda: logged(served.srv, f"Response to GET {re.escape(target)} .*dropped"),
                 what="the dropped body's warning")
