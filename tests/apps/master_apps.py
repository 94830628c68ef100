"""WSGI apps for the master's integration tests (tests/integration/test_master_*.py).

``app`` answers every path with ``pid=<worker pid>``; a few paths change that:

``/sleep?s=N``   sleep N seconds, then answer (an in-flight request)
``/hang``        sleep forever (a stuck worker, for --timeout)
``/stream-hang`` stream one chunk, then sleep forever (stuck after the head is out)
``/hints?n=N&wait=PATH`` send N 103 Early Hints (a Link each), then wait (at most
                 10 s) for the file PATH to exist before answering; ``bad=1``: try a
                 CR LF in a hint and answer with the error; ``late=1``: hint after
                 the response's first chunk
                 (both take ``&mark=PATH``: a file created once the app runs)
``/alloc?mb=N``  keep N more MB allocated in this worker (for max_worker_memory)
``/env?k=NAME``  the value of os.environ[NAME]
``/cwd``         the working directory
``/log?msg=X``   log X at WARNING on the "gunicorn.error" logger (as apps do)
``/exit?code=N`` end this worker at once with exit status N (a crash)

Importing this module raises RuntimeError while the file named by the
environment variable ``FW_FAIL_IMPORT`` exists (a deploy that broke the app:
"the new workers fail to boot"), and ends the process at once with exit
status 9 while ``FW_EXIT_ON_IMPORT`` is set (a worker that dies while booting).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

_HOARD: list[bytes] = []

if os.environ.get("FW_EXIT_ON_IMPORT"):
    os._exit(9)

_marker = os.environ.get("FW_FAIL_IMPORT")
if _marker and os.path.exists(_marker):
    raise RuntimeError(f"broken deploy ({_marker} exists)")

Environ = dict[str, Any]


def _q(environ: Environ) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    q = _q(environ)
    if "mark" in q:
        with open(q["mark"], "w") as f:
            f.write(str(os.getpid()))
    if path == "/hints":
        return _hints(environ, start_response, q)
    if path == "/stream-hang":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _first_then_hang()
    if path == "/sleep":
        time.sleep(float(q.get("s", "1")))
    elif path == "/hang":
        while True:
            time.sleep(3600)
    elif path == "/alloc":
        _HOARD.append(b"x" * (int(q.get("mb", "10")) << 20))
    elif path == "/log":
        logging.getLogger("gunicorn.error").warning("%s", q.get("msg", "hello"))
    elif path == "/exit":
        os._exit(int(q.get("code", "1")))
    if path == "/env":
        body = os.environ.get(q.get("k", ""), "<unset>").encode()
    elif path == "/cwd":
        body = os.getcwd().encode()
    else:
        body = f"pid={os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def _hints(environ: Environ, start_response: Callable[..., Any],
           q: dict[str, str]) -> Iterable[bytes]:
    hint = environ["wsgi.early_hints"]
    if q.get("bad"):
        try:
            hint([("Link", "</a.css>\r\nSet-Cookie: evil=1")])
        except ValueError as exc:
            body = f"refused: {exc}".encode()
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
    if q.get("late"):
        start_response("200 OK", [("Content-Length", "4")])
        return _hint_after_first_chunk(hint)
    for i in range(int(q.get("n", "1"))):
        hint([("Link", f"</s{i}.css>; rel=preload; as=style"), (b"X-Hint", b" n ")])
    deadline = time.monotonic() + 10
    while "wait" in q and not os.path.exists(q["wait"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def _hint_after_first_chunk(hint: Callable[..., Any]) -> Iterator[bytes]:
    yield b"la"
    hint([("Link", "</late.css>; rel=preload")])
    yield b"te"


def _first_then_hang() -> Iterator[bytes]:
    yield b"first"
    while True:
        time.sleep(3600)


def factory() -> Callable[..., Any]:
    return app

