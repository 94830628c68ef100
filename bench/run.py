#!/usr/bin/env python3
"""Benchmark runner: fastwsgi against its peers, one scenario at a time.

    .venv/bin/python bench/run.py            # full -> bench/RESULTS.md, results.csv, results.png
    .venv/bin/python bench/run.py --quick    # < 3 minutes -> bench/RESULTS-quick.md, ...
    .venv/bin/python bench/run.py --peers fastwsgi,bjoern --scenarios plaintext,post --reps 5

Every (repetition, scenario, server) is a fresh server process tree, started by
PID in a session of its own, readiness-polled, checked with one real request,
warmed up, measured with wrk, and stopped (whole tree; SIGKILL after a grace
period). Servers are visited round-robin in every repetition. See README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

import context as run_context
import proctree
import report
from peers import BENCH_DIR, HOST, PEERS, QUICK_PEERS, Peer, missing_reason

DATA_DIR = Path(
    os.environ.get("BENCH_DATA_DIR") or Path(tempfile.gettempdir()) / "fastwsgi-bench-data"
)
os.environ["BENCH_DATA_DIR"] = str(DATA_DIR)  # the apps and nginx read the same files

from scenarios import QUICK_SCENARIOS, Scenario, build_scenarios

LUA_SCRIPT = BENCH_DIR / "wrk" / "bench.lua"
SERVER_CPU = "1"
CLIENT_CPU = "0"
READY_TIMEOUT = 30.0
CHECK_TIMEOUT = 15.0
PIPELINE_CHECK_TIMEOUT = (
    3.0  # 16 tiny responses take microseconds; a server that ignores them is not waited for
)
LOG_TAIL_LINES = 8


class StartError(Exception):
    """The server did not come up (exited, or never answered)."""


@dataclass
class RunResult:
    peer: str
    scenario: str
    rep: int
    status: str  # "ok" or the reason this run scores nothing
    requests: int = 0
    wrk_seconds: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    rps: float = 0.0
    cpu_us_per_req: float = 0.0
    cpu_share: float = 0.0  # server CPU seconds / wall seconds (1.0 = one core)
    core_busy: float = (
        0.0  # the server's CPU (all CPUs if unpinned) busy from /proc/stat, softirq included
    )
    mb_per_s: float = 0.0
    rss_peak_kib: int = 0
    rss_worker_kib: int = 0  # the largest process below the root, else the root
    socket_errors: int = 0
    error_kinds: str = ""  # e.g. "read 120, timeout 3"
    lat_p50_ms: float = 0.0
    lat_p99_ms: float = 0.0
    wrk_cpu_share: float = 0.0
    file_wrapper: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ---------------------------------------------------------------- utilities


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def pinned(argv: list[str], cpu: str, pin: bool) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if pin else argv


# ---------------------------------------------------------------- server lifecycle


def start_server(
    peer: Peer, scenario: Scenario, port: int, tmp: Path
) -> tuple[subprocess.Popen, list[str]]:
    launch = peer.launch(scenario.app, port, scenario.workers, tmp)
    for path, text in launch.files.items():
        path.write_text(text)
    argv = pinned(launch.argv, SERVER_CPU, scenario.pinned)
    with open(tmp / "server.log", "wb") as logfile:  # the child keeps its own copy of the fd
        proc = subprocess.Popen(
            argv,
            cwd=launch.cwd,
            env={**os.environ, **launch.env, **dict(scenario.server_env)},
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, argv


def http_request(
    port: int, scenario: Scenario, timeout: float
) -> tuple[int, bytes, dict[str, str]]:
    method, body, headers = scenario.request()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def wait_listening(proc: subprocess.Popen, port: int, deadline: float, logfile: Path) -> None:
    """Poll until the port accepts a TCP connection (or the server exits)."""
    while True:
        if proc.poll() is not None:
            raise StartError(f"exited with code {proc.returncode}: {log_tail(logfile)}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise StartError(
                    f"not listening after {READY_TIMEOUT:.0f}s ({exc}): {log_tail(logfile)}"
                )
        time.sleep(0.05)  # poll interval while the server boots


def wait_ready(
    proc: subprocess.Popen, port: int, scenario: Scenario, logfile: Path
) -> tuple[int, bytes, dict]:
    """Poll until the server answers a real request; that answer is returned for verification.

    A server may listen before its workers are up (the kernel queues the
    connection): a refused or reset connection is retried until the deadline,
    but a request that gets no answer at all fails the start.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    wait_listening(proc, port, deadline, logfile)
    while True:
        try:
            return http_request(port, scenario, timeout=CHECK_TIMEOUT)
        except TimeoutError:
            raise StartError(
                f"accepted the connection but sent no answer within {CHECK_TIMEOUT:.0f}s: "
                f"{log_tail(logfile)}"
            ) from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if proc.poll() is not None:
                raise StartError(
                    f"exited with code {proc.returncode}: {log_tail(logfile)}"
                ) from None
            if time.monotonic() > deadline:
                raise StartError(
                    f"no answer after {READY_TIMEOUT:.0f}s ({type(exc).__name__}: {exc}): "
                    f"{log_tail(logfile)}"
                ) from None
        time.sleep(0.05)


def read_response(f: BinaryIO) -> tuple[int, bytes]:
    """One HTTP/1.1 response from a buffered socket file (Content-Length or chunked)."""
    status_line = f.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (line := f.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, f.read(length)
    body = b""
    while (size := int(f.readline().split(b";")[0], 16)) > 0:
        body += f.read(size)
        f.readline()
    while f.readline() not in (b"\r\n", b"\n", b""):
        pass
    return status, body


def verify_pipelining(port: int, scenario: Scenario) -> str | None:
    """Send `pipeline` requests in one write; all of them must be answered, in order and right."""
    request = f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode() * scenario.pipeline
    i = 0
    try:
        with socket.create_connection((HOST, port), timeout=PIPELINE_CHECK_TIMEOUT) as sock:
            sock.sendall(request)
            with sock.makefile("rb") as f:
                for i in range(scenario.pipeline):
                    status, body = read_response(f)
                    wrong = verify(scenario, status, body)
                    if wrong:
                        return f"pipelined response {i + 1}/{scenario.pipeline}: {wrong}"
    except (OSError, ValueError, IndexError) as exc:
        return (
            f"does not answer pipelined requests: {i}/{scenario.pipeline} answered, "
            f"then {type(exc).__name__}: {exc}"
        )
    return None


def verify(scenario: Scenario, status: int, body: bytes) -> str | None:
    """None when the response is right, else what is wrong with it."""
    import hashlib

    if status != 200:
        return f"status {status} (body {body[:80]!r})"
    if len(body) != scenario.expected.length:
        return f"body length {len(body)}, expected {scenario.expected.length} ({body[:40]!r})"
    if hashlib.sha256(body).hexdigest() != scenario.expected.sha256:
        return f"body differs from the expected {scenario.expected.text!r} ({body[:40]!r})"
    return None


# ---------------------------------------------------------------- wrk


@dataclass
class WrkRun:
    summary: dict
    cpu_seconds: float
    argv: list[str]


def run_wrk(scenario: Scenario, port: int, duration: int) -> WrkRun:
    argv = pinned(
        scenario.wrk_args(f"http://{HOST}:{port}/", duration, LUA_SCRIPT),
        CLIENT_CPU,
        scenario.pinned,
    )
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **scenario.env()},
        start_new_session=True,
    )
    out = _read_all(proc, deadline=time.monotonic() + duration + 60)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("BENCH_JSON "):
            return WrkRun(
                json.loads(line[len("BENCH_JSON ") :]), usage.ru_utime + usage.ru_stime, argv
            )
    raise RuntimeError(f"wrk exited {proc.returncode} without a summary: {text.strip()[-300:]}")


def _read_all(proc: subprocess.Popen, deadline: float) -> bytes:
    """Read wrk's output to EOF; kill wrk if it overruns the deadline."""
    assert proc.stdout is not None
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if sel.select(timeout=remaining):
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                chunks.append(data)
    proc.stdout.close()
    return b"".join(chunks)


# ---------------------------------------------------------------- one run


def measure(
    peer: Peer,
    scenario: Scenario,
    rep: int,
    args: argparse.Namespace,
    workdir: Path,
    commands: dict,
) -> RunResult:
    result = RunResult(peer.name, scenario.name, rep, "ok")
    tmp = workdir / f"{peer.name}-{scenario.name}-{rep}"
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc, argv = start_server(peer, scenario, port, tmp)
    commands.setdefault(("server", peer.name, scenario.name), _generic(argv, port, tmp))
    try:
        status, body, headers = wait_ready(proc, port, scenario, tmp / "server.log")
        wrong = verify(scenario, status, body)
        if not wrong and scenario.pipeline > 1:
            wrong = verify_pipelining(port, scenario)
        if wrong:
            result.status = f"wrong response: {wrong}"
            return result
        result.file_wrapper = headers.get("x-file-wrapper", "")
        if args.warmup > 0:
            run_wrk(scenario, port, args.warmup)
        cpus_before, before = proctree.cpu_times(), proctree.tree_stats(proc.pid)
        t0 = time.monotonic()
        wrk = run_wrk(scenario, port, args.duration)
        t1 = time.monotonic()
        after, cpus_after = proctree.tree_stats(proc.pid), proctree.cpu_times()
        server_cpus = [f"cpu{SERVER_CPU}"] if scenario.pinned else sorted(cpus_after)
        result.core_busy = proctree.busy_cores(cpus_before, cpus_after, server_cpus)
        result.rss_peak_kib = proctree.vm_hwm_kib(set(after))
        result.rss_worker_kib = proctree.worker_vm_hwm_kib(proc.pid, set(after))
        commands.setdefault(("wrk", scenario.name), _generic(wrk.argv, port, tmp))
        if proc.poll() is not None:
            result.status = (
                f"crashed during the run (exit {proc.returncode}): {log_tail(tmp / 'server.log')}"
            )
            return result
        fill_metrics(
            result,
            wrk,
            proctree.cpu_ticks_delta(before, after) / proctree.CLK_TCK,
            t1 - t0,
            scenario,
        )
    except StartError as exc:
        result.status = f"did not serve: {exc}"
    except (RuntimeError, OSError) as exc:
        result.status = f"run failed: {exc}"
    finally:
        proctree.stop_tree(proc)
    return result


def fill_metrics(
    result: RunResult, wrk: WrkRun, cpu_s: float, wall_s: float, scenario: Scenario
) -> None:
    s = wrk.summary
    requests = int(s["requests"])
    kinds = {k: int(s[f"err_{k}"]) for k in ("connect", "read", "write", "timeout")}
    result.requests = requests
    result.wrk_seconds = s["duration_us"] / 1e6
    result.wall_seconds = wall_s
    result.cpu_seconds = cpu_s
    result.socket_errors = sum(kinds.values())
    result.error_kinds = ", ".join(f"{k} {v}" for k, v in kinds.items() if v)
    result.rps = requests / result.wrk_seconds if result.wrk_seconds else 0.0
    result.cpu_us_per_req = cpu_s / requests * 1e6 if requests else 0.0
    result.cpu_share = cpu_s / wall_s if wall_s else 0.0
    result.mb_per_s = s["bytes"] / result.wrk_seconds / 1e6 if result.wrk_seconds else 0.0
    result.lat_p50_ms = s["lat_p50_us"] / 1000
    result.lat_p99_ms = s["lat_p99_us"] / 1000
    result.wrk_cpu_share = wrk.cpu_seconds / wall_s if wall_s else 0.0
    if requests == 0:
        result.status = (
            f"no request completed ({result.socket_errors} socket errors: {result.error_kinds})"
        )
    elif problem := response_problem(s, scenario):
        result.status = f"wrong responses: {problem}"


def response_problem(s: dict, scenario: Scenario) -> str | None:
    """What was wrong with the responses wrk received, or None."""
    requests = int(s["requests"])
    if s["check"] == "full":  # every response went through the Lua response() hook
        if s["bad_status"] or s["bad_body"]:
            return (
                f"{s['bad_status']} non-200 and {s['bad_body']} wrong-length bodies among "
                f"{requests:,} "
                "responses"
            )
        return None
    # light check (MiB bodies): wrk's own status errors and byte count must add up
    if s["err_status"]:
        return f"{s['err_status']} responses with status >= 400 among {requests:,}"
    if s["bytes"] < requests * scenario.expected.length:
        expected = scenario.expected.length
        return f"{s['bytes']:,} bytes received for {requests:,} responses of {expected:,} bytes"
    return None


def _generic(argv: list[str], port: int, tmp: Path) -> str:
    """A command line with the run-specific port and temp dir replaced by placeholders."""
    import shlex

    return shlex.join(argv).replace(str(tmp), "$TMP").replace(str(port), "$PORT")


# ---------------------------------------------------------------- the whole run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"short run: peers {','.join(QUICK_PEERS)}; scenarios {','.join(QUICK_SCENARIOS)}; "
        "2 s per measurement",
    )
    ap.add_argument("--peers", help="comma-separated server names (default: all; see --list)")
    ap.add_argument("--scenarios", help="comma-separated scenario names (default: all; see --list)")
    ap.add_argument(
        "--duration", type=int, help="whole seconds per measurement (default 5; quick 2)"
    )
    ap.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="whole seconds of warm-up load before each measurement, 0 for none (default 1)",
    )
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every scenario (default 3)")
    ap.add_argument(
        "--out", help="output name prefix (default bench/RESULTS.md etc.; quick: *-quick.*)"
    )
    ap.add_argument("--no-setup", action="store_true", help="do not run setup_peers.sh first")
    ap.add_argument("--list", action="store_true", help="list servers and scenarios, then exit")
    args = ap.parse_args(argv)
    args.duration = args.duration if args.duration is not None else (2 if args.quick else 5)
    if args.duration < 1 or args.warmup < 0 or args.reps < 1:
        ap.error("--duration >= 1, --warmup >= 0 and --reps >= 1 (wrk takes whole seconds)")
    return args


def select(names: str | None, default: list[str], known: list[str], what: str) -> list[str]:
    chosen = [n.strip() for n in names.split(",") if n.strip()] if names else default
    unknown = [n for n in chosen if n not in known]
    if unknown:
        sys.exit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def run_setup() -> None:
    log("== bench/setup_peers.sh (idempotent)")
    rc = subprocess.run(["bash", str(BENCH_DIR / "setup_peers.sh")], check=False).returncode
    if rc != 0:
        log(f"setup_peers.sh exited {rc}; peers that did not install are reported as such")


def ensure_data_files() -> None:
    from apps import bigfile

    path = DATA_DIR / f"bigfile-{bigfile.SIZE}.bin"
    if not path.exists() or path.read_bytes() != bigfile.BODY:
        path.write_bytes(bigfile.BODY)


def run_all(args: argparse.Namespace) -> None:
    scenarios = build_scenarios()
    by_name = {p.name: p for p in PEERS}
    if args.list:
        for p in PEERS:
            print(f"server   {p.name:22} {p.description}")
        for s in scenarios.values():
            print(f"scenario {s.name:22} {s.what}")
        return
    peer_names = select(
        args.peers, QUICK_PEERS if args.quick else list(by_name), list(by_name), "servers"
    )
    scen_names = select(
        args.scenarios,
        QUICK_SCENARIOS if args.quick else list(scenarios),
        list(scenarios),
        "scenarios",
    )
    if shutil.which("wrk") is None and args.no_setup:
        sys.exit("wrk is not installed: run bench/setup_peers.sh")
    if not args.no_setup:
        run_setup()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed and setup_peers.sh could not install it")
    ensure_data_files()

    peers = [by_name[n] for n in peer_names]
    chosen = [scenarios[n] for n in scen_names]
    missing = {p.name: r for p in peers if (r := missing_reason(p))}
    for name, reason in missing.items():
        log(f"!! {name}: {reason}")

    started = time.time()
    context = run_context.collect_context(peers, args, started)
    results, commands = execute(peers, chosen, missing, args)
    context["finished"] = time.time()
    context["loadavg_end"] = run_context.loadavg()
    paths = report.write_all(results, peers, chosen, missing, commands, context, args)
    log(f"== done in {time.time() - started:.0f}s: " + ", ".join(str(p) for p in paths))


def execute(
    peers: list[Peer], scenarios: list[Scenario], missing: dict[str, str], args: argparse.Namespace
) -> tuple[list[RunResult], dict]:
    results: list[RunResult] = []
    commands: dict = {}
    start_failures: dict[tuple[str, str], str] = {}
    runnable = [p for p in peers if p.name not in missing]
    total = args.reps * len(scenarios) * len(runnable)
    estimate = total * (args.duration + args.warmup + 0.6)
    log(
        f"== {total} runs ({args.reps} reps x {len(scenarios)} scenarios x {len(runnable)} "
        "servers), "
        f"about {estimate / 60:.1f} min"
    )
    with tempfile.TemporaryDirectory(prefix="fastwsgi-bench-") as workdir:
        n = 0
        for rep in range(1, args.reps + 1):
            for scenario in scenarios:
                # round-robin, rotated every repetition so no server always goes first
                shift = (rep - 1) % max(len(runnable), 1)
                for peer in runnable[shift:] + runnable[:shift]:
                    n += 1
                    result = run_or_skip(
                        peer, scenario, rep, args, Path(workdir), commands, start_failures
                    )
                    results.append(result)
                    log(
                        f"[{n}/{total}] rep {rep} {scenario.name:10} {peer.name:22} "
                        f"{describe(result)}"
                    )
    for peer in peers:
        if peer.name in missing:
            for scenario in scenarios:
                results.append(
                    RunResult(peer.name, scenario.name, 0, f"not installed: {missing[peer.name]}")
                )
    return results, commands


def run_or_skip(
    peer: Peer,
    scenario: Scenario,
    rep: int,
    args: argparse.Namespace,
    workdir: Path,
    commands: dict,
    start_failures: dict[tuple[str, str], str],
) -> RunResult:
    if scenario.workers > 1 and not peer.multiworker:
        return RunResult(peer.name, scenario.name, rep, "n/a: single-process server")
    if scenario.server_env and not peer.ours:
        return RunResult(peer.name, scenario.name, rep, "n/a: a fastwsgi setting")
    if peer.floor and scenario.app != "hello":
        return RunResult(peer.name, scenario.name, rep, "n/a: answers only the hello response")
    key = (peer.name, scenario.name)
    if key in start_failures:  # it already did not serve / answered wrongly here: do not wait again
        return RunResult(
            peer.name, scenario.name, rep, f"{start_failures[key]} (as in an earlier repetition)"
        )
    result = measure_safely(peer, scenario, rep, args, workdir, commands)
    if result.status.startswith(
        "did not serve"
    ):  # once more, in case it was transient (port taken, ...)
        log(f"   {peer.name} did not serve; trying once more: {result.status[:150]}")
        result = measure_safely(peer, scenario, rep, args, workdir, commands)
    if result.status.startswith(("did not serve", "wrong response:")):
        start_failures[key] = result.status
    return result


def measure_safely(
    peer: Peer,
    scenario: Scenario,
    rep: int,
    args: argparse.Namespace,
    workdir: Path,
    commands: dict,
) -> RunResult:
    try:
        return measure(peer, scenario, rep, args, workdir, commands)
    except Exception as exc:  # noqa: BLE001  (a bug or an odd peer must not end the whole run)
        return RunResult(
            peer.name, scenario.name, rep, f"runner error: {type(exc).__name__}: {exc}"
        )


def describe(r: RunResult) -> str:
    if not r.ok:
        return r.status[:200]
    extra = (
        f", {r.mb_per_s:,.0f} MB/s" if r.mb_per_s and r.scenario in ("bigfile", "filewrap") else ""
    )
    return (
        f"{r.rps:>10,.0f} req/s  {r.cpu_us_per_req:7.1f} us CPU/req  core {r.cpu_share:4.0%}  "
        f"wrk {r.wrk_cpu_share:4.0%}  err {r.socket_errors}{extra}"
    )


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the running server
    run_all(args)


if __name__ == "__main__":
    main()
