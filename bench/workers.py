"""Worker classes side by side with gunicorn's, in one run (issue 13).

Scenarios (server on CPU 1, clients on CPU 0; each repetition starts every
server afresh, the order rotated; medians of --reps):
  io-gevent       200 concurrent requests that each wait 0.2 s on I/O, 2 workers,
                  the deployment guide's settings (gevent, worker_connections 1024,
                  backlog 2048, timeout 30): wall time of the burst (ideal 0.2 s)
  io-gthread      the same burst, -k gthread --threads 8 -w 4 (ideal 200/32 x 0.2 = 1.25 s)
  plaintext-gevent  wrk keep-alive hello, 1 worker: server CPU per request
                  (gevent worker classes, and fastwsgi's native mode for reference)
  mix             1 gevent worker, 500 requests of a 0.5 s endpoint kept in flight
                  while wrk asks a fast one: the fast one's p99 latency

  .venv/bin/python bench/workers.py [--reps 3] [--scenarios io-gevent,mix] [--out bench/RESULTS-workers.md]

gunicorn and gevent come from bench/.venv-peers (bench/setup_peers.sh)."""

from __future__ import annotations

import argparse
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from peers import HOST, PEERS_VENV, PROJECT_PY, ROOT_DIR
from proctree import CLK_TCK, cpu_ticks_delta, stop_tree, tree_stats

SERVER_CPU, CLIENT_CPU = "1", "0"
GUIDE = ["--worker-connections", "1024", "--backlog", "2048", "--timeout", "30"]


def ours(*flags: str) -> Callable[[int, int], tuple[list[str], Path, dict[str, str]]]:
    def build(port: int, workers: int) -> tuple[list[str], Path, dict[str, str]]:
        return ([str(PROJECT_PY), "-m", "fastwsgi", "bench.apps.sleepy:app", "--bind",
                 f"{HOST}:{port}", "-w", str(workers), *flags], ROOT_DIR, {})
    return build


def gunicorn(*flags: str) -> Callable[[int, int], tuple[list[str], Path, dict[str, str]]]:
    def build(port: int, workers: int) -> tuple[list[str], Path, dict[str, str]]:
        return ([str(PEERS_VENV / "bin" / "gunicorn"), "-b", f"{HOST}:{port}", "-w",
                 str(workers), "--log-level", "warning", *flags, "apps.sleepy:app"],
                BENCH_DIR, {"PYTHONPATH": str(BENCH_DIR)})
    return build


SERVERS = {
    "fastwsgi -k gevent": ours("-k", "gevent", *GUIDE),
    "gunicorn -k gevent": gunicorn("-k", "gevent", *GUIDE),
    "fastwsgi -k gthread --threads 8": ours("-k", "gthread", "--threads", "8"),
    "gunicorn -k gthread --threads 8": gunicorn("-k", "gthread", "--threads", "8"),
    "fastwsgi (native)": ours(),
}


class Server:
    def __init__(self, name: str, workers: int, log: Path) -> None:
        with socket.socket() as s:
            s.bind((HOST, 0))
            self.port = s.getsockname()[1]
        argv, cwd, env = SERVERS[name](self.port, workers)
        self.argv = ["taskset", "-c", SERVER_CPU, *argv]
        with open(log, "wb") as f:
            self.proc = subprocess.Popen(self.argv, cwd=cwd, env={**os.environ, **env},
                                         stdout=f, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.workers = workers
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv} exited {self.proc.returncode}")
            try:
                with socket.create_connection((HOST, self.port), timeout=5) as s:
                    s.sendall(b"GET /fast HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                    if read_all(s).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.argv} did not answer within 30 s") from None
                time.sleep(0.1)  # still booting: poll again
        time.sleep(1.0)  # the other workers boot beside the first: let them be up

    def stop(self) -> None:
        stop_tree(self.proc)


def read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def burst(port: int, count: int, target: str) -> float:
    """Seconds from the first connect to the last of `count` concurrent
    one-shot requests answered (each on its own connection)."""
    request = f"GET {target} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((HOST, port))
        sel.register(s, selectors.EVENT_WRITE, [b""])
    done = ok = 0
    while done < count:
        for key, events in sel.select(timeout=30):
            s = key.fileobj
            assert isinstance(s, socket.socket)
            if events & selectors.EVENT_WRITE:
                s.sendall(request)
                sel.modify(s, selectors.EVENT_READ, key.data)
                continue
            chunk = s.recv(65536)
            if chunk:
                key.data[0] += chunk
                continue
            ok += key.data[0].startswith(b"HTTP/1.1 200")
            sel.unregister(s)
            s.close()
            done += 1
    if ok != count:
        raise RuntimeError(f"{count - ok} of {count} requests failed")
    return time.monotonic() - start


def wrk(port: int, path: str, connections: int, seconds: int) -> tuple[int, dict[str, float]]:
    """(requests, {"p50": ms, "p99": ms, "rps": ...}) from wrk --latency."""
    argv = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
            "--latency", f"http://{HOST}:{port}{path}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)$", out, re.MULTILINE)
        assert m is not None, out
        lat["p" + pct] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors: {out}")
    return requests, lat


class SlowLoad(threading.Thread):
    """Keeps `count` requests of /slow in flight (keep-alive, one per connection)."""

    def __init__(self, port: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stopping = False
        self.answered = 0

    def run(self) -> None:
        request = b"GET /slow HTTP/1.1\r\nHost: b\r\n\r\n"
        sel = selectors.DefaultSelector()
        for _ in range(self.count):
            s = socket.create_connection((HOST, self.port))
            s.sendall(request)
            sel.register(s, selectors.EVENT_READ, [b""])
        while not self.stopping:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                assert isinstance(s, socket.socket)
                key.data[0] += s.recv(65536)
                if key.data[0].endswith(b"Hello, World!"):
                    key.data[0] = b""
                    self.answered += 1
                    s.sendall(request)
        for key in list(sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


def run_io(name: str, workers: int, log: Path) -> dict[str, float]:
    srv = Server(name, workers, log)
    try:
        burst(srv.port, 20, "/io?t=0.2")  # warm-up: the import of the first request's paths
        return {"seconds": burst(srv.port, 200, "/io?t=0.2")}
    finally:
        srv.stop()


def run_plaintext(name: str, workers: int, log: Path) -> dict[str, float]:
    srv = Server(name, workers, log)
    try:
        wrk(srv.port, "/fast", 100, 1)
        before = tree_stats(srv.proc.pid)
        requests, _ = wrk(srv.port, "/fast", 100, 5)
        ticks = cpu_ticks_delta(before, tree_stats(srv.proc.pid))
        return {"us_per_request": ticks / CLK_TCK / requests * 1e6, "rps": requests / 5}
    finally:
        srv.stop()


def run_mix(name: str, workers: int, log: Path) -> dict[str, float]:
    srv = Server(name, workers, log)
    load = SlowLoad(srv.port, 500)
    try:
        load.start()
        time.sleep(1.5)  # all 500 in flight
        _, lat = wrk(srv.port, "/fast", 2, 5)
        return {"fast_p99_ms": lat["p99"], "fast_p50_ms": lat["p50"],
                "slow_per_s": load.answered / 6.5}
    finally:
        load.stopping = True
        load.join(5)
        srv.stop()


SCENARIOS = {
    "io-gevent": (run_io, 2, ["fastwsgi -k gevent", "gunicorn -k gevent"], "seconds"),
    "io-gthread": (run_io, 4, ["fastwsgi -k gthread --threads 8",
                               "gunicorn -k gthread --threads 8"], "seconds"),
    "plaintext-gevent": (run_plaintext, 1, ["fastwsgi -k gevent", "gunicorn -k gevent",
                                            "fastwsgi (native)"], "us_per_request"),
    "mix": (run_mix, 1, ["fastwsgi -k gevent", "gunicorn -k gevent"], "fast_p99_ms"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS-workers.md")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    log = Path("/tmp") / f"bench-workers-{os.getpid()}.log"
    lines = [f"# Worker classes against gunicorn ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
             "", f"`{' '.join(sys.argv)}`; medians of {args.reps} repetitions, each on fresh servers.",
             ""]
    for scenario in args.scenarios.split(","):
        runner, workers, names, headline = SCENARIOS[scenario]
        results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for rep in range(args.reps):
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                results[name].append(runner(name, workers, log))
                print(scenario, name, results[name][-1], flush=True)
        lines += [f"## {scenario} ({workers} worker{'s' * (workers > 1)}; headline: {headline})",
                  "",
                  "| server | " + " | ".join(results[names[0]][0]) + " |",
                  "|---|" + "---|" * len(results[names[0]][0])]
        for name in names:
            keys = results[name][0]
            med = {k: statistics.median(r[k] for r in results[name]) for k in keys}
            lines.append(f"| {name} | " + " | ".join(f"{med[k]:.3f}" for k in keys) + " |")
        lines.append("")
        print("\n".join(lines[-len(names) - 4:]), flush=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
