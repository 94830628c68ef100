"""TLS load runs: fastwsgi against nginx, gunicorn and granian, each serving
HTTPS with the same certificate (ECDSA P-256, made here with the openssl CLI)
on one worker, on loopback.

Scenarios (wrk speaks TLS; OpenSSL's defaults on both sides negotiate the same
TLS 1.3 suite with every server, which the probe prints):
  keepalive   "Hello, World!" over 50 keep-alive connections: server CPU time
              per request is the headline (less noisy than requests/s)
  handshakes  the same with "Connection: close": every request is a new TCP
              connection and a full TLS handshake; new connections per second
              and CPU per handshake

As bench/run.py: server pinned to CPU 1, wrk to CPU 0, a fresh server per
run, round-robin order rotated every repetition, medians of --reps runs.

    .venv/bin/python bench/tls.py [--reps 5] [--duration 5] [--peers fastwsgi,nginx,...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.proctree import CLK_TCK, cpu_ticks_delta, stop_tree, tree_stats

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS_VENV = BENCH / ".venv-peers"
HOST = "127.0.0.1"
BODY = b"Hello, World!"

NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {tmp}/cb; proxy_temp_path {tmp}/px; fastcgi_temp_path {tmp}/fc;
    uwsgi_temp_path {tmp}/uw; scgi_temp_path {tmp}/sc;
    server {{
        listen {host}:{port} ssl;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{ default_type text/plain; return 200 "Hello, World!"; }}
    }}
}}
"""


def make_cert(d: Path) -> tuple[Path, Path]:
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _nginx_bin() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                     else None)


def peers(cert: Path, key: Path) -> dict[str, Callable[[int, Path], list[str] | None]]:
    py = str(ROOT / ".venv" / "bin" / "python")

    def ours(port: int, tmp: Path) -> list[str]:
        return [py, "-m", "fastwsgi", "bench.apps.hello:app", "--bind", f"{HOST}:{port}",
                "--workers", "1", "--certfile", str(cert), "--keyfile", str(key)]

    def nginx(port: int, tmp: Path) -> list[str] | None:
        exe = _nginx_bin()
        if exe is None:
            return None
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, host=HOST, port=port, cert=cert, key=key))
        return [exe, "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")]

    def gunicorn(port: int, tmp: Path) -> list[str] | None:
        exe = PEERS_VENV / "bin" / "gunicorn"
        if not exe.exists():
            return None
        return [str(exe), "-k", "gthread", "--threads", "4", "-w", "1", "-b", f"{HOST}:{port}",
                "--log-level", "warning", "--certfile", str(cert), "--keyfile", str(key),
                "--keep-alive", "75", "apps.hello:app"]

    def granian(port: int, tmp: Path) -> list[str] | None:
        exe = PEERS_VENV / "bin" / "granian"
        if not exe.exists():
            return None
        return [str(exe), "--interface", "wsgi", "--host", HOST, "--port", str(port),
                "--workers", "1", "--no-access-log", "--log-level", "warning",
                "--ssl-certificate", str(cert), "--ssl-keyfile", str(key), "apps.hello:app"]

    return {"fastwsgi": ours, "nginx": nginx, "gunicorn": gunicorn, "granian": granian}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def probe(port: int, seconds: float = 20.0) -> str:
    """Wait for the server, check one HTTPS answer; return 'version cipher'."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=5) as raw, \
                    ctx.wrap_socket(raw) as s:
                version, cipher = s.version(), s.cipher()  # before the peer closes
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                if not data.startswith(b"HTTP/1.1 200") or not data.endswith(BODY):
                    raise RuntimeError(f"bad answer {data[:200]!r}")
                return f"{version} {cipher[0] if cipher else '?'}"
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wrk(port: int, duration: int, connections: int, close: bool) -> dict:
    argv = ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
            "-s", str(BENCH / "wrk" / "bench.lua")]
    if close:
        argv += ["-H", "Connection: close"]
    argv.append(f"https://{HOST}:{port}/")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60,
                         env=dict(os.environ, BENCH_EXPECT_LEN=str(len(BODY))), check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk: {out.stdout[-500:]} {out.stderr[-500:]}")
    result = dict(json.loads(line[len("BENCH_JSON "):]))
    if result["bad_status"] or result["bad_body"] or result["ok"] == 0:
        raise RuntimeError(f"wrong answers under load: {result}")
    return result


def one_run(name: str, build: Callable[[int, Path], list[str] | None], scenario: str,
            duration: int) -> dict | None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"tlsbench-{name}-") as tmpdir:
        tmp = Path(tmpdir)
        argv = build(port, tmp)
        if argv is None:
            return None
        env = dict(os.environ, PYTHONPATH=str(BENCH), PYTHONUNBUFFERED="1")
        cwd = ROOT if name == "fastwsgi" else BENCH
        log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(["taskset", "-c", "1", *argv], cwd=cwd, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            negotiated = probe(port)
            close = scenario == "handshakes"
            wrk(port, 1, 50, close)  # warm-up
            before = tree_stats(proc.pid)
            result = wrk(port, duration, 50, close)
            after = tree_stats(proc.pid)
        finally:
            stop_tree(proc)
            log.close()
    ticks = cpu_ticks_delta(before, after)
    requests = int(result["ok"])
    errors = sum(int(result[k]) for k in ("err_connect", "err_read", "err_write", "err_status",
                                           "err_timeout"))
    return {"server": name, "scenario": scenario, "requests": requests,
            "rps": requests / duration, "cpu_us_per_req": ticks / CLK_TCK / max(requests, 1) * 1e6,
            "negotiated": negotiated, "errors": errors, "raw": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--peers", default="fastwsgi,nginx,gunicorn,granian")
    parser.add_argument("--scenarios", default="keepalive,handshakes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/tls.py: wrk is not installed (bench/setup_peers.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="tlsbench-cert-") as d:
        cert, key = make_cert(Path(d))
        table = peers(cert, key)
        names = [n for n in args.peers.split(",") if n in table]
        results: dict[tuple[str, str], list[dict]] = {}
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for scenario in args.scenarios.split(","):
                for name in order:
                    r = one_run(name, table[name], scenario, args.duration)
                    if r is None:
                        print(f"{name}: not installed, skipped", file=sys.stderr)
                        continue
                    print(json.dumps({k: v for k, v in r.items() if k != "raw"}), flush=True)
                    results.setdefault((scenario, name), []).append(r)
    print()
    print(f"medians of {args.reps} runs of {args.duration} s, server on CPU 1, wrk -t1 -c50 on CPU 0")
    print("| scenario | server | negotiated | requests/s | server CPU µs/request |")
    print("|---|---|---|---:|---:|")
    for (scenario, name), runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        cpu = statistics.median(r["cpu_us_per_req"] for r in runs)
        print(f"| {scenario} | {name} | {runs[0]['negotiated']} | {rps:,.0f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
