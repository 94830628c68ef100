"""The engine's invariants and the input mutations, shared by
tests/test_fuzz.py (a bounded, seeded run in the suite) and
tests/fuzz/fuzz_connection.py (coverage-guided, with atheris).  No pytest
here, so that the atheris harness runs without the test dependencies.

See tests/test_fuzz.py for the invariants checked.
"""

from __future__ import annotations

import gc
import hashlib
import ipaddress
import json
import random
import re
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings
from tests.apps.echo import read_body

CORPUS = Path(__file__).resolve().parents[1] / "requests"
PROBE = b"GET /probe HTTP/1.1\r\nHost: x\r\n\r\n"
FOLLOW_UP = b"GET /must-not-be-answered HTTP/1.1\r\nHost: x\r\n\r\n"
REFUSALS = frozenset({400, 413, 414, 431, 501, 505})


# ---- the app: records what it sees, answers 200 --------------------------------

TCHAR = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]"
TOKEN = re.compile(rb"%s+" % TCHAR)
ENV_KEY = re.compile(r"HTTP_[!#$%&'*+.^_`|~0-9A-Z]+")
# A field value as the app may see it: no CTL but HTAB, no OWS at either end.
FIELD_VALUE = re.compile(
    r"(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?")
RAW_URI = re.compile(r"[\x21-\x7e]+")


class App:
    """A WSGI app that checks the environ it is given (PEP 3333 and what the
    engine's refusals promise) and answers 200 with a small JSON document."""

    def __init__(self) -> None:
        self.calls = 0
        self.problems: list[str] = []

    def reset(self) -> None:
        self.calls = 0
        self.problems = []

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        problems, body = environ_problems(environ)
        self.problems += problems
        # The digest of everything the request gave the app, so that split
        # invariance (the same answers however the input is cut) covers the
        # whole environ and body, not only the method and path.
        doc = {"method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
               "environ": environ_digest(environ, body)}
        out = json.dumps(doc).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
        if environ.get("REQUEST_METHOD") == "HEAD":
            headers.append(("X-Head", "1"))  # the engine drops the body of a HEAD answer
        start_response("200 OK", headers)
        return [out]


# What a request sets in the environ (the rest is the server's, the same for all).
REQUEST_KEYS = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "SERVER_PROTOCOL",
                "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme")


def environ_digest(env: dict[str, Any], body: bytes | None) -> str:
    items = sorted((k, str(v)) for k, v in env.items()
                   if k in REQUEST_KEYS or k.startswith("HTTP_"))
    return hashlib.sha1(repr((items, body)).encode("utf-8", "surrogateescape")).hexdigest()


def environ_problems(env: dict[str, Any]) -> tuple[list[str], bytes | None]:
    """What is wrong with the environ, and the body read from wsgi.input."""
    bad = []
    body: bytes | None = None
    method = env.get("REQUEST_METHOD", "")
    if not isinstance(method, str) or not TOKEN.fullmatch(method.encode("latin-1")):
        bad.append(f"REQUEST_METHOD {method!r} is not a token")
    proto = env.get("SERVER_PROTOCOL")
    if proto not in ("HTTP/1.0", "HTTP/1.1"):
        bad.append(f"SERVER_PROTOCOL {proto!r}")
    if proto == "HTTP/1.1" and "HTTP_HOST" not in env:
        bad.append("HTTP/1.1 request without Host reached the app")
    if "HTTP_TRANSFER_ENCODING" in env:
        if "CONTENT_LENGTH" in env:
            bad.append("both Transfer-Encoding and Content-Length reached the app")
        if env["HTTP_TRANSFER_ENCODING"].lower() != "chunked":
            bad.append(f"Transfer-Encoding {env['HTTP_TRANSFER_ENCODING']!r} reached the app")
        if proto != "HTTP/1.1":
            bad.append("Transfer-Encoding in HTTP/1.0 reached the app")
    if "HTTP_CONTENT_LENGTH" in env or "HTTP_CONTENT_TYPE" in env:
        bad.append("HTTP_CONTENT_* key")
    for key, value in env.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key.startswith("HTTP_") and not ENV_KEY.fullmatch(key):
                bad.append(f"environ key {key!r}")
            if not isinstance(value, str) or not FIELD_VALUE.fullmatch(value):
                bad.append(f"{key} = {value!r}")
    for key in ("PATH_INFO", "QUERY_STRING", "RAW_URI", "SCRIPT_NAME", "REMOTE_ADDR"):
        if not isinstance(env.get(key), str):
            bad.append(f"{key} missing or not a str")
    if isinstance(env.get("RAW_URI"), str) and not RAW_URI.fullmatch(env["RAW_URI"]):
        bad.append(f"RAW_URI {env['RAW_URI']!r}")
    if "#" in env.get("QUERY_STRING", ""):
        bad.append("fragment in QUERY_STRING")
    remote = env.get("REMOTE_ADDR", "")
    try:
        ipaddress.ip_address(remote)
    except ValueError:
        bad.append(f"REMOTE_ADDR {remote!r}")
    if not str(env.get("REMOTE_PORT", "")).isdigit():
        bad.append(f"REMOTE_PORT {env.get('REMOTE_PORT')!r}")
    length = env.get("CONTENT_LENGTH", "")
    if length and not length.isdigit():
        bad.append(f"CONTENT_LENGTH {length!r}")
    try:
        body = read_body(env)
    except Exception as exc:  # noqa: BLE001 - any failure to read is a finding
        bad.append(f"reading wsgi.input raised {exc!r}")
    else:
        if length.isdigit() and len(body) != int(length):
            bad.append(f"body of {len(body)} bytes for CONTENT_LENGTH {length}")
        if env["wsgi.input"].read(1) != b"":
            bad.append("wsgi.input goes on past the body")
    return bad, body


# ---- set-ups ---------------------------------------------------------------------

@dataclass
class Setup:
    name: str
    server_kw: dict[str, Any]
    proxy: bool = False
    app: App = field(default_factory=App)
    server: Any = None

    def connection(self) -> Any:
        if self.server is None:
            self.server = _core.Server(self.app, settings=EngineSettings(**self.server_kw))
        self.app.reset()
        return self.server.connection(proxy=self.proxy)


SETUPS = {
    "default": lambda: Setup("default", {"limit_request_body": 65536}),
    "tiny": lambda: Setup("tiny", {"limit_request_line": 40, "limit_request_fields": 4,
                                   "limit_request_field_size": 40, "limit_request_body": 24,
                                   "spool_threshold": 4}),
    "proxy": lambda: Setup("proxy", {"proxy_protocol": "auto", "proxy_allow_ips": ("*",)},
                           proxy=True),
}

PROXY_HEADERS = [
    b"PROXY TCP4 192.0.2.1 198.51.100.2 51000 80\r\n",
    b"PROXY TCP6 2001:db8::1 2001:db8::2 51000 443\r\n",
    b"PROXY UNKNOWN\r\n",
    b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x02\xc7\x38\x00\x50",
    b"\r\n\r\n\x00\r\nQUIT\n\x21\x21\x00\x24" + bytes(range(32)) + b"\xc7\x38\x01\xbb",
    b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00",
    b"\r\n\r\n\x00\r\nQUIT\n\x21\x00\x00\x03abc",
]


def corpus(kind: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((CORPUS / kind).glob("*.http"))
            if p.stat().st_size <= 4096]


def pick_seed(rnd: random.Random, setup: Setup) -> bytes:
    """A corpus request, valid three times in four (mutations break enough);
    behind a PROXY header when the set-up expects one."""
    data = rnd.choice(VALID if rnd.random() < 0.75 else INVALID)
    if setup.proxy:
        data = rnd.choice(PROXY_HEADERS) + data
    return data


# ---- mutations ---------------------------------------------------------------------

INSERTS = [b"\r", b"\n", b"\r\n", b"\x00", b" ", b"\t", b":", b"-", b",", b";", b"0", b"1",
           b"9", b"a", b"F", b"\x7f", b"\xff", b"\r\n\r\n", b"\r\n "]
NUMBERS = [b"0", b"00", b"1", b"-1", b"+1", b"4294967296", b"18446744073709551615",
           b"18446744073709551616", b"ffffffffffffffff", b"1 1", b"1,1"]
HEADER_LINES = [
    b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: gzip\r\n",
    b"Content-Length: 0\r\n", b"Content-Length: 5\r\n", b"Content-Length: 100000\r\n",
    b"Connection: close\r\n", b"Connection: keep-alive\r\n", b"Expect: 100-continue\r\n",
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n", b"Host: y\r\n", b"Host: a b\r\n",
    b"Trailer: X\r\n", b"X_Y: z\r\n", b"X-Y: \x80\r\n",
]


NUMBER_RUN = re.compile(rb"[0-9a-fA-F]*[0-9][0-9a-fA-F]*")


def _header_lines(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each header line of the first head in data."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        head_end = len(data)
    spans = []
    pos = data.find(b"\r\n") + 2
    while 1 < pos < head_end:
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        spans.append((pos, end + 2))
        pos = end + 2
    return spans


def mutate(rnd: random.Random, data: bytes) -> bytes:
    for _ in range(rnd.choice((1, 1, 1, 2, 2, 3))):
        n = len(data)
        pos = rnd.randrange(n + 1)
        op = rnd.randrange(10)
        if op == 0 and n:  # flip to any byte
            pos = min(pos, n - 1)
            data = data[:pos] + bytes([rnd.randrange(256)]) + data[pos + 1:]
        elif op == 1:  # insert a byte that matters to the grammar
            data = data[:pos] + rnd.choice(INSERTS) + data[pos:]
        elif op == 2 and n:  # delete a few bytes
            data = data[:pos] + data[pos + rnd.randint(1, 3):]
        elif op == 3:  # truncate
            data = data[:pos]
        elif op == 4:  # duplicate a header line
            lines = _header_lines(data)
            if lines:
                a, b = rnd.choice(lines)
                data = data[:b] + data[a:b] + data[b:]
        elif op == 5 and n:  # duplicate a slice somewhere else
            a = rnd.randrange(n)
            b = min(n, a + rnd.randint(1, 32))
            data = data[:pos] + data[a:b] + data[pos:]
        elif op == 6 and n:  # flip the case of a letter
            pos = min(pos, n - 1)
            data = data[:pos] + data[pos:pos + 1].swapcase() + data[pos + 1:]
        elif op == 7:  # add a header line that changes framing or connection
            lines = _header_lines(data)
            at = rnd.choice(lines)[rnd.randrange(2)] if lines else pos
            data = data[:at] + rnd.choice(HEADER_LINES) + data[at:]
        elif op == 8:  # pipeline another request behind
            data = data + rnd.choice((PROBE, data))
        elif op == 9:  # change a number (a Content-Length, a chunk size, a version)
            runs = [m.span() for m in NUMBER_RUN.finditer(data)]
            if runs:
                a, b = rnd.choice(runs)
                old = data[a:b]
                new = rnd.choice([*NUMBERS, b"%d" % (int(old, 16) + rnd.choice((-1, 1)))])
                data = data[:a] + new + data[b:]
    return data


def split_random(rnd: random.Random, data: bytes) -> list[bytes]:
    if len(data) < 2:
        return [data]
    if len(data) <= 200 and rnd.random() < 0.2:
        return [data[i:i + 1] for i in range(len(data))]
    cuts = sorted(rnd.sample(range(1, len(data)), min(len(data) - 1, rnd.randint(1, 8))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


# ---- running and checking ------------------------------------------------------------

class Violation(AssertionError):
    """An invariant broken; `kind` groups the same bug for shrinking."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass
class Response:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> list[bytes]:
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def close(self) -> bool:
        return any(v.lower() == b"close" for v in self.header(b"connection"))

    def key(self) -> tuple[Any, ...]:
        """What must not depend on how the input was cut: all but the Date
        (which may tick) and a refusal's text (which says what the parser
        saw first, and that may change with the cut)."""
        if self.status in REFUSALS:
            return (self.status, self.close)
        return (self.status, [h for h in self.headers if h[0].lower() != b"date"], self.body)


STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5][0-9][0-9]) ([\t\x20-\x7e]*)\r\n")
FIELD_LINE = re.compile(rb"(%s+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*\r\n" % TCHAR)


def parse_output(data: bytes) -> list[Response]:
    """Strictly split the engine's output into responses."""
    out: list[Response] = []
    pos = 0
    while pos < len(data):
        m = STATUS_LINE.match(data, pos)
        if not m:
            raise Violation("malformed status line", repr(data[pos:pos + 80]))
        status, reason, pos = int(m[1]), m[2], m.end()
        headers = []
        while not data.startswith(b"\r\n", pos):
            f = FIELD_LINE.match(data, pos)
            if not f:
                raise Violation("malformed response header", repr(data[pos:pos + 80]))
            headers.append((f[1], f[2]))
            pos = f.end()
        pos += 2
        resp = Response(status, reason, headers, b"")
        lengths = resp.header(b"content-length")
        if resp.header(b"transfer-encoding"):
            raise Violation("Transfer-Encoding in a response", repr(headers))
        if status < 200:
            if status != 100 or lengths:
                raise Violation("unexpected interim response", repr(data[:pos]))
        else:
            if len(lengths) != 1 or not lengths[0].isdigit():
                raise Violation("a response without one Content-Length", repr(headers))
            if len(resp.header(b"date")) != 1:
                raise Violation("a response without one Date", repr(headers))
            length = int(lengths[0])
            if resp.header(b"x-head") or (status in REFUSALS and pos == len(data)):
                length = 0  # an answer to HEAD
            if len(data) - pos < length:
                raise Violation("truncated response body", repr(data[pos - 200:]))
            resp.body = data[pos:pos + length]
            pos += length
        out.append(resp)
    return out


@dataclass
class Outcome:
    responses: list[Response]
    closing: bool
    calls: int

    def key(self) -> tuple[Any, ...]:
        return ([r.key() for r in self.responses], self.closing)


def violation(kind: str, detail: str = "") -> None:
    if kind not in KNOWN_BUGS:
        raise Violation(kind, detail)


def _feed(setup: Setup, pieces: list[bytes]) -> tuple[bytes, bool]:
    conn = setup.connection()
    output = b""
    closed_at = None
    for i, piece in enumerate(pieces):
        try:
            conn.feed(piece)
            chunk = conn.take_output()
        except Exception as exc:
            raise Violation("feed() raised", repr(exc)) from exc
        if closed_at is not None and chunk:
            raise Violation("output after closing", f"piece {i}: {chunk[:120]!r}")
        output += chunk
        if conn.closing and closed_at is None:
            closed_at = i
    closing = conn.closing
    if closing:
        conn.feed(FOLLOW_UP)
        if conn.take_output():
            raise Violation("a request answered after closing")
    try:
        conn.close()
    except Exception as exc:
        raise Violation("close() raised", repr(exc)) from exc
    del conn
    gc.collect(1)  # the spool sits in a reference cycle: make its leak show here
    return output, closing


# Engine bugs the fuzz steps over (each has a strict xfail in tests/test_fuzz.py
# that says when it is fixed): their violations are not raised.
# Violations the engine is known to commit (empty: keep it so, or name them).
KNOWN_BUGS: frozenset[str] = frozenset()
# The spool is a tempfile.TemporaryFile: its FileIO, or the BufferedRandom
# around it once the body is handed to the app.
SPOOL_FILE = re.compile(
    r"unclosed file <_io\.(FileIO name=\d+ mode='rb\+'|BufferedRandom name=\d+)")


def run(setup: Setup, pieces: list[bytes]) -> Outcome:
    """Feed the pieces, close the connection as the server loop would, and
    check every invariant but split invariance."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        output, closing = _feed(setup, pieces)
        gc_leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    if gc_leaks:
        spool = all(SPOOL_FILE.match(m) for m in gc_leaks)
        violation("a spooled request body left unclosed" if spool else "a resource left unclosed",
                  "; ".join(gc_leaks))
    app = setup.app
    if app.problems:
        raise Violation("the app saw a bad environ", "; ".join(app.problems))

    responses = parse_output(output)
    data = b"".join(pieces)
    finals = [r for r in responses if r.status >= 200]
    for i, r in enumerate(responses):
        last = i == len(responses) - 1
        if r.status == 100:
            if b"100-continue" not in data.lower():
                raise Violation("100 Continue without Expect")
            if not last and responses[i + 1].status < 200:
                raise Violation("two interim responses in a row")
        elif r.status != 200:
            if r.status not in REFUSALS:
                raise Violation(f"status {r.status}", repr(r))
            if not last:
                raise Violation("a response after a refusal", repr([x.status for x in responses]))
            if not r.close:
                raise Violation("a refusal without Connection: close", repr(r.headers))
        if r.close and not last:
            raise Violation("a response after Connection: close")
    if app.calls != sum(r.status == 200 for r in responses):
        raise Violation("app calls and 200s differ", f"{app.calls} calls, {len(finals)} finals")
    if app.calls > data.count(b" HTTP/"):
        raise Violation("more requests answered than request lines sent")
    says_close = bool(responses) and responses[-1].status >= 200 and responses[-1].close
    if closing != says_close:
        raise Violation("closing disagrees with the last response",
                        f"closing={closing}, statuses={[r.status for r in responses]}")
    return Outcome(responses, closing, app.calls)


LIMITS = frozenset({413, 414, 431})


def tolerated_split_difference(whole: Outcome, split: Outcome) -> bool:
    """Two refusals of the same request that may differ with the cut:

    - an input that breaks a limit and the syntax both is refused for
      whichever the parser meets first, and a limit is checked on the bytes
      seen so far (413/414/431 against 400 or another limit).
    """
    a, b = whole.responses, split.responses
    if not (len(a) == len(b) and a and [r.key() for r in a[:-1]] == [r.key() for r in b[:-1]]
            and a[-1].status in REFUSALS and b[-1].status in REFUSALS):
        return False
    return bool({a[-1].status, b[-1].status} & LIMITS)


def check(setup: Setup, data: bytes, pieces: list[bytes]) -> None:
    whole = run(setup, [data])
    split = run(setup, pieces)
    if whole.key() != split.key() and not tolerated_split_difference(whole, split):
        raise Violation("the answer depends on how the input is cut",
                        f"whole {[r.status for r in whole.responses]} closing={whole.closing}, "
                        f"cut {[r.status for r in split.responses]} closing={split.closing}")


# ---- shrinking a failure -------------------------------------------------------------

def fails_with(setup: Setup, kind: str, data: bytes, cut: str) -> bool:
    pieces = [data[i:i + 1] for i in range(len(data))] if cut == "bytes" else [data]
    try:
        check(setup, data, pieces)
    except Violation as v:
        return v.kind == kind
    return False


def shrink(setup: Setup, kind: str, data: bytes, cut: str, budget: float = 5.0) -> bytes:
    """Delta debugging: drop chunks of bytes while the same violation shows."""
    deadline = time.monotonic() + budget
    # Whole requests in front first, then lines, then ever smaller chunks.
    for m in reversed(list(re.finditer(rb"\r\n\r\n", data))):
        if m.end() < len(data) and fails_with(setup, kind, data[m.end():], cut):
            data = data[m.end():]
            break
    lines = data.splitlines(keepends=True)
    i = 0
    while i < len(lines) and time.monotonic() < deadline:
        candidate = b"".join(lines[:i] + lines[i + 1:])
        if candidate and fails_with(setup, kind, candidate, cut):
            del lines[i]
        else:
            i += 1
    data = b"".join(lines)
    size = max(1, len(data) // 2)
    while size >= 1 and time.monotonic() < deadline:
        i = 0
        shrunk = False
        while i < len(data) and time.monotonic() < deadline:
            candidate = data[:i] + data[i + size:]
            if candidate and fails_with(setup, kind, candidate, cut):
                data, shrunk = candidate, True
            else:
                i += size
        if not shrunk:
            size //= 2
    return data


def reproduce(setup: Setup, v: Violation, data: bytes, pieces: list[bytes]) -> str:
    for cut in ("whole", "bytes"):
        if fails_with(setup, v.kind, data, cut):
            small = shrink(setup, v.kind, data, cut)
            return (f"[{setup.name}] {v}\nminimal input ({cut}, fed "
                    f"{'whole' if cut == 'whole' else 'one byte per feed()'}): {small!r}")
    return f"[{setup.name}] {v}\ninput {data!r}\nfed as {pieces!r}"


def fuzz(setup: Setup, seed: int, iterations: int) -> int:
    """Run `iterations` mutated inputs; raise Violation (with a reproduction)
    on the first broken invariant.  Returns the number of inputs run."""
    rnd = random.Random(f"{setup.name}-{seed}")
    for _ in range(iterations):
        data = mutate(rnd, pick_seed(rnd, setup))
        pieces = split_random(rnd, data)
        try:
            check(setup, data, pieces)
        except Violation as v:
            raise Violation(v.kind, reproduce(setup, v, data, pieces)) from None
    return iterations


VALID = corpus("valid")
INVALID = corpus("invalid")
