"""Apps for the gevent/eventlet worker tests: each endpoint blocks the way a
real app does (time.sleep, a socket, an outbound HTTP call), through the
standard library the worker has monkey-patched; none of them knows about
greenlets.  The query string carries the parameters (seconds, a port)."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

_in_flight = 0
_most_in_flight = 0
# Who time.sleep was when this module was imported: a worker that patches
# after the app's import leaves the app holding the blocking one.
_SLEEP_AT_IMPORT = time.sleep.__module__


def _params(environ: dict[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _patched() -> str:
    """Which library patched time.sleep ("no" if none did)."""
    if "gevent.monkey" in sys.modules and sys.modules["gevent.monkey"].is_module_patched("time"):
        return "gevent"
    if "eventlet.patcher" in sys.modules and sys.modules["eventlet.patcher"].is_monkey_patched(
            "time"):
        return "eventlet"
    return "no"


def _wait(kind: str, q: dict[str, str]) -> bytes:
    if kind == "sleep":
        time.sleep(float(q.get("t", "0.2")))
        return b"slept"
    if kind == "socket":
        # A raw socket to the test's slow server: connect, ask, wait for the reply.
        with socket.create_connection(("127.0.0.1", int(q["port"])), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return data.rpartition(b"\r\n\r\n")[2]
    if kind == "http":
        with urllib.request.urlopen(f"http://127.0.0.1:{q['port']}/", timeout=10) as r:
            return bytes(r.read())
    raise ValueError(kind)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _in_flight, _most_in_flight
    path = environ["PATH_INFO"].strip("/")
    q = _params(environ)
    if path in ("sleep", "socket", "http"):
        _in_flight += 1
        _most_in_flight = max(_most_in_flight, _in_flight)
        try:
            body = _wait(path, q)
        finally:
            _in_flight -= 1
    elif path == "most":
        body = b"%d" % _most_in_flight
    elif path == "in-flight":
        body = b"%d" % _in_flight
    elif path == "patched":
        body = f"{_patched()} {environ['wsgi.multithread']}".encode()
    elif path == "sleep-at-import":
        body = _SLEEP_AT_IMPORT.encode()
    elif path == "echo":
        # The body is read in the app's greenlet, in small reads.
        parts = []
        while chunk := environ["wsgi.input"].read(7777):
            parts.append(chunk)
        body = b"".join(parts)
    elif path == "stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream(int(q.get("n", "5")), float(q.get("t", "0.05")))
    elif path == "write":
        write = start_response("200 OK", [("Content-Type", "application/octet-stream")])
        for i in range(4):
            write(bytes([65 + i]) * 300_000)  # past HIGH_WATER: waits for the socket to drain
            time.sleep(0.01)
        return []
    elif path == "file":
        f = tempfile.TemporaryFile()  # noqa: SIM115 - the server closes it (file_wrapper)
        f.write(b"0123456789" * 100_000)
        f.seek(0)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f)
    elif path == "raise":
        time.sleep(0.01)
        raise RuntimeError("boom in a greenlet")
    elif path == "pid":
        time.sleep(float(q.get("t", "0")))
        body = b"%d" % os.getpid()
    elif path == "mark":
        # Says it is in the app (a file in ?dir=, for the test to wait on), then waits.
        with open(os.path.join(q["dir"], f"{os.getpid()}-{id(environ)}"), "w"):
            pass
        time.sleep(float(q.get("t", "0")))
        body = b"%d" % os.getpid()
    elif path == "started":
        # When the app was called (CLOCK_MONOTONIC, the test's clock too).
        started = time.monotonic()
        time.sleep(float(q.get("t", "0")))
        body = b"%d %.6f" % (os.getpid(), started)
    else:
        body = b"fast"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def _stream(n: int, pause: float) -> Iterator[bytes]:
    for i in range(n):
        time.sleep(pause)
        yield b"part %d\n" % i
