"""`supervisorctl status` with 200 processes, fastwsgi beside the real
supervisord, in one run on one file.

For each daemon: start it on a generated file with N `sleep` processes, wait
until every one is RUNNING, then measure
- the wall time of the whole `supervisorctl status` command (interpreter start
  included: what an operator waits for), median of --reps runs;
- the wall time of the answer alone: one getAllProcessInfo round trip (what
  status asks the server), request out and the whole response in, on a
  kept-open connection, median of --calls;
- the daemon's CPU time per getAllProcessInfo (utime+stime from /proc over
  --calls calls).

    .venv/bin/python bench/control_status.py [--procs 200] [--reps 9] [--calls 200]
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import read_response
from tests.support.supervisor_master import Daemon, running

PROGRAMS = """\
[program:worker]
command=sleep 100000
process_name=%(program_name)s_%(process_num)03d
numprocs={procs}
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def all_running(daemon: Daemon, procs: int) -> bool:
    states = daemon.states()
    return len(states) == procs and all(s == "RUNNING" for s in states.values())


def measure(impl: str, procs: int, reps: int, calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, \
            running(impl, Path(tmp), PROGRAMS.format(procs=procs)) as daemon:
        deadline = time.monotonic() + 120
        while not all_running(daemon, procs):
            if time.monotonic() > deadline:
                raise SystemExit(f"{impl}: not all {procs} processes RUNNING")
            time.sleep(0.2)
        command = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out = subprocess.run(daemon.ctl_argv("status"),
                                 capture_output=True, text=True, check=False).stdout
            command.append(time.perf_counter() - t0)
            assert out.count("RUNNING") == procs, out[-300:]
        # The answer alone: the request's bytes out, the whole response in,
        # on one kept-open connection (no client-side XML parsing counted).
        body = xmlrpc.client.dumps((), "supervisor.getAllProcessInfo").encode()
        request = (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic "
                   + base64.b64encode(b"admin:s3cret") + b"\r\nContent-Type: text/xml\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(body) + body)
        answer = []
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(daemon.socket)
            cpu0 = cpu_seconds(daemon.proc.pid)
            for _ in range(calls):
                t0 = time.perf_counter()
                sock.sendall(request)
                response = read_response(sock)
                answer.append(time.perf_counter() - t0)
            cpu = cpu_seconds(daemon.proc.pid) - cpu0
        infos = xmlrpc.client.loads(response.partition(b"\r\n\r\n")[2])[0][0]
        assert len(infos) == procs
    return {"command_ms": statistics.median(command) * 1000,
            "answer_ms": statistics.median(answer) * 1000,
            "cpu_ms_per_call": cpu / calls * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--procs", type=int, default=200)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print(f"supervisorctl status, {args.procs} processes; medians "
          f"({args.reps} commands, {args.calls} getAllProcessInfo calls)")
    print(f"{'daemon':<12} {'command ms':>11} {'answer ms':>10} {'daemon CPU ms/call':>19}")
    for impl in ("fastwsgi", "supervisord"):
        r = measure(impl, args.procs, args.reps, args.calls)
        print(f"{impl:<12} {r['command_ms']:>11.1f} {r['answer_ms']:>10.2f} "
              f"{r['cpu_ms_per_call']:>19.2f}")


if __name__ == "__main__":
    main()
