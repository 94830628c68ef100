"""How 2 fastwsgi workers split keep-alive connections, with and without reuse_port.

    .venv/bin/python bench/reuseport_split.py [--reps 3] [--duration 5] [--connections 100]

For each mode (shared socket, reuse_port) and repetition: start fastwsgi with
2 workers on bench/apps/hello.py (unpinned, as the workers2 scenarios), run
wrk with keep-alive connections, and read, in the middle of the run, how
many established connections each worker holds (its socket descriptors
matched against /proc/net/tcp), and at the end how much CPU each worker
used (/proc/PID/stat) and wrk's requests/s.  Every process is stopped by PID.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"
_ESTABLISHED = "01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(p))
    return sorted(out)


def _cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _connections(pid: int, port: int) -> int:
    """Established connections on the server's port whose socket ``pid`` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(m.group(1))
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if f[1].endswith(f":{port:04X}") and f[3] == _ESTABLISHED and f[9] in inodes:
            count += 1
    return count


def _wait_ready(port: int, proc: subprocess.Popen[bytes], workers: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode})")
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(100).startswith(b"HTTP/1.1 200") and len(_children(proc.pid)) == workers:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer within 20 s")


def one(reuse_port: bool, duration: int, connections: int, log: Path) -> dict[str, object]:
    port = _free_port()
    argv = [str(PYTHON), "-m", "fastwsgi", "bench.apps.hello:app", "--bind", f"{HOST}:{port}",
            "--workers", "2"] + (["--reuse-port"] if reuse_port else [])
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for var in ("GUNICORN_CMD_ARGS", "FASTWSGI_CMD_ARGS"):
        env.pop(var, None)
    with open(log, "ab") as logf:
        server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    wrk: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(port, server, 2)
        workers = _children(server.pid)
        cpu0 = {w: _cpu(w) for w in workers}
        wrk = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{duration}s",
                                f"http://{HOST}:{port}/"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        time.sleep(duration / 2)
        conns = {w: _connections(w, port) for w in workers}
        out = wrk.communicate(timeout=duration + 30)[0].decode()
        cpu = {w: _cpu(w) - cpu0[w] for w in workers}
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None:
        raise RuntimeError(f"wrk said:\n{out}")
    return {"rps": float(m.group(1)), "conns": sorted(conns.values()), "cpu": sorted(cpu.values())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=100)
    args = ap.parse_args()
    log = Path("/tmp") / f"reuseport_split-{os.getpid()}.log"
    print(f"{'mode':12} {'rep':>3} {'req/s':>9}  connections per worker   CPU s per worker")
    for rep in range(1, args.reps + 1):
        for reuse in (False, True):  # alternated, so that drift hits both alike
            r = one(reuse, args.duration, args.connections, log)
            cpu = ", ".join(f"{c:.2f}" for c in r["cpu"])  # type: ignore[attr-defined]
            print(f"{'reuse_port' if reuse else 'shared':12} {rep:3} {r['rps']:9.0f}  "
                  f"{r['conns']!s:23}  {cpu}", flush=True)
    print(f"(server log: {log})")


if __name__ == "__main__":
    sys.exit(main())
