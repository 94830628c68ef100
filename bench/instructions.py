"""User-space instructions per request for the engine's in-process round
trip: request bytes in -> llhttp -> environ -> app -> start_response ->
response bytes out, through the sans-I/O Connection (feed/take_output), with
no socket, no kernel and no clock in the figure.

Counted with valgrind's callgrind, which counts every instruction executed in
user space exactly: a figure does not move with the machine's load.  Each
scenario runs twice in a fresh interpreter, with N and 4N requests; the cost
of one request is (count(4N) - count(N)) / 3N, so the interpreter's start,
the imports and the first requests' warm-up cancel out.  PYTHONHASHSEED is
fixed, so that dict and set layouts are the same in every run.

(`perf stat -e instructions:u` would do the same much faster, but this
virtual machine has no hardware counters: perf reports them unsupported.)

    .venv/bin/python bench/instructions.py                   # every scenario
    .venv/bin/python bench/instructions.py -s plaintext,json
    .venv/bin/python bench/instructions.py --profile plaintext   # per function

--profile gives the same difference per C function (callgrind_annotate of
both runs, subtracted), self cost per request, largest first: where a
request's instructions go.

What the figure includes beyond the server's own work: this driver's loop
(one iteration, two method calls) and take_output()'s bytes object, which
stands in for the send.  For the POST, the request is fed in 64 KiB pieces,
as recv() would hand it over, and the copy into the connection's buffer is
the engine's (the kernel's copy of a real recv is not user space).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent
RECV_SIZE = 65536  # the engine's recv size (connection.pyx RECV_SIZE)
POST_SIZE = 64 * 1024


@dataclass(frozen=True)
class Scenario:
    app: str          # bench/apps module whose `app` is served
    request: bytes    # one request, as wrk sends it
    body: bytes       # the response body expected
    n: int            # requests in the short run (the long one has 4n)


# wrk's own requests (bench/wrk/bench.lua): GET with only Host, the POST with
# Content-Type and Content-Length.
_HOST = b"Host: 127.0.0.1:8080\r\n"
SCENARIOS = {
    "plaintext": Scenario("hello", b"GET / HTTP/1.1\r\n" + _HOST + b"\r\n",
                          b"Hello, World!", 2000),
    "json": Scenario("json_app", b"GET / HTTP/1.1\r\n" + _HOST + b"\r\n",
                     b'{"message": "Hello, World!"}', 2000),
    "post": Scenario("post", b"POST / HTTP/1.1\r\n" + _HOST
                     + b"Content-Type: application/octet-stream\r\n"
                     + b"Content-Length: %d\r\n\r\n" % POST_SIZE + b"x" * POST_SIZE,
                     str(POST_SIZE).encode(), 1000),
    "flask": Scenario("flask_app", b"GET / HTTP/1.1\r\n" + _HOST + b"\r\n",
                      b"Hello, World!", 400),
}


# ---- the driver (runs under valgrind) -------------------------------------

def _check(out: bytes, body: bytes) -> None:
    if not out.startswith(b"HTTP/1.1 200 ") or not out.endswith(b"\r\n\r\n" + body):
        raise SystemExit(f"unexpected response: {out[:300]!r}")


def drive(name: str, n: int) -> None:
    """Serve n requests of scenario `name` on one keep-alive connection."""
    sys.path.insert(0, str(BENCH_DIR))
    import importlib

    from fastwsgi import _core

    sc = SCENARIOS[name]
    app: Callable[..., Any] = importlib.import_module(f"apps.{sc.app}").app
    conn = _core.Server(app).connection()
    pieces = [sc.request[i:i + RECV_SIZE] for i in range(0, len(sc.request), RECV_SIZE)]
    feed, take = conn.feed, conn.take_output
    _check(_round(feed, take, pieces), sc.body)
    if len(pieces) == 1:
        req = pieces[0]
        for _ in range(n - 2):
            feed(req)
            take()
    else:
        for _ in range(n - 2):
            for piece in pieces:
                feed(piece)
            take()
    _check(_round(feed, take, pieces), sc.body)


def _round(feed: Callable[[bytes], None], take: Callable[[], bytes],
           pieces: list[bytes]) -> bytes:
    for piece in pieces:
        feed(piece)
    return take()


# ---- the measurement -------------------------------------------------------

def _valgrind() -> str:
    exe = shutil.which("valgrind")
    if exe is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    return exe


def callgrind(name: str, n: int, out: Path) -> int:
    """Run the driver under callgrind; the total instruction count."""
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    cmd = [_valgrind(), "--tool=callgrind", f"--callgrind-out-file={out}",
           sys.executable, str(Path(__file__).resolve()), "--drive", name, str(n)]
    p = subprocess.run(cmd, cwd=ROOT_DIR, env=env, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{name}: the driver failed under valgrind:\n{p.stderr[-3000:]}")
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"{name}: no summary line in {out}")


def per_request(name: str, tmp: Path, n: int | None = None) -> tuple[float, Path, Path, int]:
    n = n or SCENARIOS[name].n
    short, long_ = tmp / f"{name}-{n}.cg", tmp / f"{name}-{4 * n}.cg"
    a = callgrind(name, n, short)
    b = callgrind(name, 4 * n, long_)
    return (b - a) / (3 * n), short, long_, n


_FN_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?)\s*$")


def _self_costs(path: Path) -> dict[str, int]:
    p = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", str(path)],
                       capture_output=True, text=True, check=True)
    costs: dict[str, int] = {}
    for line in p.stdout.splitlines():
        m = _FN_LINE.match(line)
        if m and ":" in m.group(2) and not m.group(2).startswith(("PROGRAM", "Ir")):
            fn = re.sub(r" \[[^\]]*\]$", "", m.group(2)).split(":", 1)[-1]
            costs[fn] = costs.get(fn, 0) + int(m.group(1).replace(",", ""))
    return costs


def profile(name: str, tmp: Path, top: int) -> None:
    total, short, long_, n = per_request(name, tmp)
    a, b = _self_costs(short), _self_costs(long_)
    diff = {fn: (b.get(fn, 0) - a.get(fn, 0)) / (3 * n) for fn in set(a) | set(b)}
    print(f"{name}: {total:,.0f} instructions per request; self cost per request by function:")
    shown = 0.0
    for fn, cost in sorted(diff.items(), key=lambda kv: -kv[1])[:top]:
        shown += cost
        print(f"{cost:9.1f} {100 * cost / total:5.1f}%  {fn}")
    print(f"{shown:9.1f} {100 * shown / total:5.1f}%  (the {top} above)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-s", "--scenarios", default=",".join(SCENARIOS),
                    help=f"comma-separated, of {', '.join(SCENARIOS)}")
    ap.add_argument("-n", type=int, help="requests in the short run (default per scenario)")
    ap.add_argument("--profile", metavar="SCENARIO", help="per-function breakdown of one scenario")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--drive", nargs=2, metavar=("SCENARIO", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.drive:
        drive(args.drive[0], int(args.drive[1]))
        return
    with tempfile.TemporaryDirectory(prefix="fastwsgi-instr-") as d:
        if args.profile:
            profile(args.profile, Path(d), args.top)
            return
        for name in args.scenarios.split(","):
            if name not in SCENARIOS:
                raise SystemExit(f"unknown scenario {name!r}")
            total, _, _, n = per_request(name, Path(d), args.n)
            print(f"{name:10s} {total:10,.0f} instructions/request   (N={n}, 4N={4 * n})",
                  flush=True)


if __name__ == "__main__":
    main()
