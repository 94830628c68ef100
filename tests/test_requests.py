"""Replay the raw-request corpus (tests/requests/, see its README) against the
engine, in-process and over a real socket, under several ways of splitting
the bytes (gunicorn's tests/requests + treq.py pattern).

Every case is sent with a second request right behind it:

- valid cases are followed by PROBE (``Connection: close``): the probe must be
  answered when the case leaves the connection open and must not be when it
  closes it, and either way the server ends the connection after that;
- invalid cases are followed by FOLLOW_UP: exactly one response (the error)
  comes back, then the connection ends, and FOLLOW_UP is never answered.

Senders: ``whole`` (one write), ``lines`` (one write per line), ``bytes``
(one write per byte) and ``random`` (cuts at seeded random offsets).  The
in-process engine and the live server take them all (a write per byte costs
the live server about 3 s for the whole corpus).

A case marked ``xfail`` in its .py is a known engine bug (see the README).
Section (c) holds what the corpus format cannot express: non-HTTP bytes
behind an Upgrade, and an unknown method cut before its SP.
"""

from __future__ import annotations

import ast
import json
import random
import socket
import time
import warnings
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.validate import WSGIWarning

import pytest

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings
from tests.apps import echo
from tests.support import ServerProcess, run_server
from tests.support.http import Response, split_responses

CORPUS = Path(__file__).resolve().parent / "requests"
PROBE = b"GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
FOLLOW_UP = b"GET /must-not-be-answered HTTP/1.1\r\nHost: x\r\n\r\n"
# The server under test runs with a body limit, so that 413 can be tested.
LIMIT_REQUEST_BODY = 65536
READ_TIMEOUT = 5.0


# ---- the corpus --------------------------------------------------------------

@dataclass
class Case:
    name: str
    raw: bytes
    requests: list[dict[str, Any]] = field(default_factory=list)
    close: bool = False
    expect_100: bool = False
    use_validator: bool = True
    status: tuple[int, ...] = ()  # invalid: the acceptable statuses, preferred first
    # A known engine bug (see the README): a reason, for every sender (strict),
    # or {sender: reason} for the senders that hit it (not strict).
    xfail: str | dict[str, str] = ""

    @property
    def valid(self) -> bool:
        return not self.status


def _literals(path: Path) -> dict[str, Any]:
    """The module-level `name = literal` assignments of an expectation file
    (read with literal_eval: the corpus is data, not code)."""
    out = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def load(kind: str) -> list[Case]:
    cases = []
    for http in sorted((CORPUS / kind).glob("*.http")):
        spec = _literals(http.with_suffix(".py"))
        case = Case(name=f"{kind}/{http.stem}", raw=http.read_bytes(), xfail=spec.get("xfail", ""))
        if kind == "valid":
            req = spec["request"]
            case.requests = req if isinstance(req, list) else [req]
            case.close = spec.get("close", False)
            case.expect_100 = spec.get("expect_100", False)
            case.use_validator = spec.get("use_validator", True)
        else:
            status = spec["expect"]["status"]
            case.status = tuple(status) if isinstance(status, list) else (status,)
        cases.append(case)
    return cases


VALID = load("valid")
INVALID = load("invalid")
ALL = VALID + INVALID


def params(cases: list[Case]) -> list[Any]:
    """(case, sender) pairs as pytest params.  A case whose `xfail` is a
    string must fail under every sender (strict: fixing the engine flags the
    marker for removal); a {sender: reason} xfail is not strict, since whether
    a random cut or a live write lands on the bug is chance."""
    out = []
    for case in cases:
        for sender in SENDERS:
            marks = []
            if isinstance(case.xfail, str) and case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
            elif isinstance(case.xfail, dict) and sender in case.xfail:
                marks.append(pytest.mark.xfail(strict=False, reason=case.xfail[sender]))
            out.append(pytest.param(case, sender, id=f"{case.name}-{sender}", marks=marks))
    return out


def test_corpus_size() -> None:
    assert len(VALID) >= 50
    assert len(INVALID) >= 45


# ---- senders -------------------------------------------------------------------

def split_whole(data: bytes, seed: str) -> list[bytes]:
    return [data]


def split_lines(data: bytes, seed: str) -> list[bytes]:
    return data.splitlines(keepends=True)


def split_bytes(data: bytes, seed: str) -> list[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


def split_random(data: bytes, seed: str) -> list[bytes]:
    rnd = random.Random(zlib.crc32(seed.encode()))
    cuts = sorted(rnd.sample(range(1, len(data)), min(len(data) - 1, 12)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


SENDERS: dict[str, Callable[[bytes, str], list[bytes]]] = {
    "whole": split_whole, "lines": split_lines, "bytes": split_bytes, "random": split_random,
}


# ---- responses -----------------------------------------------------------------

def echoed(resp: Response) -> dict[str, Any]:
    """The echo app's document: the body, or for HEAD the X-Echo header."""
    if "x-echo" in resp.headers:  # HEAD: the document is in a header
        return json.loads(resp.headers["x-echo"])  # type: ignore[no-any-return]
    return json.loads(resp.body)  # type: ignore[no-any-return]


def parse_responses(data: bytes, head_at: Collection[int] = ()) -> tuple[list[Response], bytes]:
    """The responses a server sent (``head_at``: indexes of the final ones
    that answer HEAD), and whatever bytes did not make a whole one."""
    return split_responses(data, head_at)


def check_echo(resp: Response, want: dict[str, Any]) -> None:
    assert resp.status == 200, resp
    doc = echoed(resp)
    got: dict[str, Any] = {
        "method": doc.pop("REQUEST_METHOD"),
        "path": doc.pop("PATH_INFO"),
        "query": doc.pop("QUERY_STRING"),
        "raw_uri": doc.pop("RAW_URI"),
        "protocol": doc.pop("SERVER_PROTOCOL"),
        "body": doc.pop("body").encode("latin-1"),
    }
    got["headers"] = doc  # what is left: HTTP_*, CONTENT_TYPE, CONTENT_LENGTH
    assert got == want


def check_valid(case: Case, output: bytes) -> None:
    """The case's requests answered in order, 100 Continue where expected,
    then the probe answered unless the case closed the connection."""
    head_at = {i for i, r in enumerate(case.requests) if r["method"] == "HEAD"}
    responses, rest = parse_responses(output, head_at)
    assert rest == b"", f"unparsed output {rest[:200]!r}"
    if case.expect_100:
        assert responses and responses[0].status == 100
        responses = responses[1:]
    assert all(r.status >= 200 for r in responses), [r.status for r in responses]
    n = len(case.requests)
    assert len(responses) == n + (0 if case.close else 1), [r.status for r in responses]
    for resp, want in zip(responses[:n], case.requests, strict=True):
        check_echo(resp, want)
    if case.close:
        # RFC 9112 9.6: a server that is about to close says so.
        assert responses[n - 1].headers.get("connection", "").lower() == "close"
    else:
        probe = echoed(responses[n])
        assert responses[n].status == 200 and probe["PATH_INFO"] == "/probe"


def check_invalid(case: Case, output: bytes) -> None:
    """Exactly one response, the expected error; the follow-up unanswered."""
    responses, rest = parse_responses(output)
    assert rest == b"", f"unparsed output {rest[:200]!r}"
    assert len(responses) == 1, [r.status for r in responses]
    assert responses[0].status in case.status, responses[0]
    assert responses[0].headers.get("connection", "").lower() == "close"


# ---- (a) the sans-I/O engine -----------------------------------------------------

def engine_replay(case: Case, pieces: list[bytes]) -> tuple[bytes, bool]:
    app = echo.validated_app if case.use_validator else echo.app
    conn = _core.Server(app, settings=EngineSettings(limit_request_body=LIMIT_REQUEST_BODY)).connection()
    out = []
    with warnings.catch_warnings():
        # The validator warns about methods outside RFC 9110's list; the
        # corpus sends registered extension methods (PROPFIND, PURGE, ...).
        warnings.filterwarnings("ignore", "Unknown REQUEST_METHOD", WSGIWarning)
        for piece in pieces:
            conn.feed(piece)
            out.append(conn.take_output())
    return b"".join(out), conn.closing


@pytest.mark.parametrize(("case", "sender"), params(ALL))
def test_engine(case: Case, sender: str) -> None:
    data = case.raw + (PROBE if case.valid else FOLLOW_UP)
    output, closing = engine_replay(case, SENDERS[sender](data, case.name))
    if case.valid:
        check_valid(case, output)
    else:
        check_invalid(case, output)
    assert closing


# ---- (b) a live server -------------------------------------------------------------

@pytest.fixture(scope="module")
def live_server() -> Iterator[ServerProcess]:
    with run_server("tests.apps.echo:validated_app",
                    "--limit-request-body", str(LIMIT_REQUEST_BODY)) as srv:
        if not server_answers(srv):
            pytest.fail(f"the test server did not come up:\n{srv.log_text()[-2000:]}")
        yield srv


def server_answers(srv: ServerProcess) -> bool:
    """One request first, watching the process: a server that cannot start
    fails the module at once instead of making every case time out."""
    deadline = time.monotonic() + 2 * READ_TIMEOUT
    with srv.connect(READ_TIMEOUT) as s:
        s.sendall(PROBE)
        s.settimeout(0.2)
        data = b""
        while time.monotonic() < deadline and srv.proc.poll() is None:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return False
            if not chunk:
                break
            data += chunk
    return [r.status for r in parse_responses(data)[0]] == [200]


@pytest.fixture
def server(live_server: ServerProcess) -> ServerProcess:
    if live_server.proc.poll() is not None:
        pytest.fail(f"the test server exited:\n{live_server.log_text()[-2000:]}")
    return live_server


def live_replay(srv: ServerProcess, pieces: list[bytes]) -> bytes:
    """Send the pieces one write each, then read until the server closes."""
    with srv.connect(READ_TIMEOUT) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            try:
                s.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # an error answer may end the connection mid-send
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                pytest.fail(f"the server neither answered nor closed in {READ_TIMEOUT} s; "
                            f"got {data[:300]!r}")
            if not chunk:
                break
            data += chunk
    return data


# The server runs validated_app; a case that the validator would refuse runs
# in-process only, and so does a case that fails for a known engine bug under
# every sender (it is the same bug on the wire, and a served invalid request
# leaves the connection open, which costs READ_TIMEOUT a case).
LIVE = [case for case in ALL
        if case.use_validator and not (isinstance(case.xfail, str) and case.xfail)]


@pytest.mark.parametrize(("case", "sender"), params(LIVE))
def test_live(server: ServerProcess, case: Case, sender: str) -> None:
    data = case.raw + (PROBE if case.valid else FOLLOW_UP)
    output = live_replay(server, SENDERS[sender](data, case.name))
    if case.valid:
        check_valid(case, output)
    else:
        check_invalid(case, output)


# ---- (c) what the corpus format cannot say -------------------------------------

# A WebSocket frame (a masked "Hello") and an HTTP request behind an Upgrade.
UPGRADE = (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
AFTER_UPGRADE = (b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
                 b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")


def check_upgrade_answered_then_closed(output: bytes) -> None:
    """The Upgrade request answered as plain HTTP (the server switches to no
    other protocol), with Connection: close; the bytes behind it are neither
    answered nor refused (no 400 for the WebSocket frame)."""
    responses, rest = parse_responses(output)
    assert rest == b""
    assert [r.status for r in responses] == [200]
    assert echoed(responses[0])["PATH_INFO"] == "/ws"
    assert responses[0].headers.get("connection", "").lower() == "close"


@pytest.mark.parametrize("sender", list(SENDERS))
def test_engine_upgrade_then_other_protocol(sender: str) -> None:
    case = Case(name="upgrade", raw=UPGRADE)
    data = UPGRADE + AFTER_UPGRADE
    output, closing = engine_replay(case, SENDERS[sender](data, "upgrade"))
    check_upgrade_answered_then_closed(output)
    assert closing


@pytest.mark.parametrize("sender", ["whole", "lines"])
def test_live_upgrade_then_other_protocol(server: ServerProcess, sender: str) -> None:
    output = live_replay(server, SENDERS[sender](UPGRADE + AFTER_UPGRADE, "upgrade"))
    check_upgrade_answered_then_closed(output)


@pytest.mark.parametrize("head", [b"FOO", b"FO", b"get", b"ge"])
def test_engine_unknown_method_split_before_sp(head: bytes) -> None:
    """A method llhttp does not know is decided by gunicorn's rule however
    the bytes arrive: FOO is served (valid/081), get refused (invalid/099),
    also when the token is cut before its SP."""
    raw = b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n" if head.startswith(b"F") else \
        b"get / HTTP/1.1\r\nHost: x\r\n\r\n"
    if head.startswith(b"F"):
        case = Case(name="split-method", raw=raw, requests=[{
            "method": "FOO", "path": "/", "query": "", "raw_uri": "/", "protocol": "HTTP/1.1",
            "headers": {"HTTP_HOST": "x"}, "body": b""}])
        output, closing = engine_replay(case, [head, raw[len(head):] + PROBE])
        check_valid(case, output)
    else:
        case = Case(name="split-method", raw=raw, status=(400,))
        output, closing = engine_replay(case, [head, raw[len(head):] + FOLLOW_UP])
        check_invalid(case, output)
    assert closing
