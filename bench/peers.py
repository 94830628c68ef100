"""The servers under test: how to start each one with app X on port P and N workers.

Policy: every server runs with its own defaults, except what the suite needs
(bind address, worker count, access log off). The tree of processes each one
starts (master, workers, threads) is what gets measured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent
PROJECT_PY = ROOT_DIR / ".venv" / "bin" / "python"
PEERS_VENV = BENCH_DIR / ".venv-peers"
PYPI_VENV = BENCH_DIR / ".venv-fastwsgi-pypi"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Launch:
    """One concrete start: command, working directory, extra environment, config files."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    files: dict[Path, str]  # written before start (nginx.conf)


@dataclass(frozen=True)
class Peer:
    name: str
    description: str
    venv: Path | None  # None: not a Python server
    requires: tuple[str, ...]  # lines of install-status.tsv that must be "ok"
    dist: str | None  # distribution whose version is reported
    build: Callable[[str, int, int, Path], Launch]  # (app module, port, workers, tmp dir)
    multiworker: bool = True
    reference: bool = False
    ours: bool = False
    # A floor: bench/floor/floor.c in one of its modes, which answers only the
    # hello response (the scenarios whose app is "hello"): not a WSGI server,
    # the kernel's share of a request, so that a server's own share shows.
    floor: str | None = None

    def launch(self, app: str, port: int, workers: int, tmp: Path) -> Launch:
        return self.build(app, port, workers, tmp)


def _bin(venv: Path, name: str) -> str:
    return str(venv / "bin" / name)


def _peer_launch(argv: list[str]) -> Launch:
    """Peers import the apps as `apps.NAME` from bench/ (never /work/main: see fastwsgi-pypi)."""
    return Launch(argv, BENCH_DIR, {"PYTHONPATH": str(BENCH_DIR), "PYTHONUNBUFFERED": "1"}, {})


def _ours(app: str, port: int, workers: int, tmp: Path) -> Launch:
    argv = [
        str(PROJECT_PY),
        "-m",
        "fastwsgi",
        f"bench.apps.{app}:app",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
    ]
    return Launch(
        argv, ROOT_DIR, {"PYTHONUNBUFFERED": "1"}, {}
    )  # unbuffered: complete log tails on failure


def _ours_uncounted(app: str, port: int, workers: int, tmp: Path) -> Launch:
    """Ours with the workers' request counters off: the A/B of what counting costs."""
    launch = _ours(app, port, workers, tmp)
    launch.argv.append("--no-request-counters")
    return launch


def _ours_base(app: str, port: int, workers: int, tmp: Path) -> Launch:
    """Another build of this project, for a same-run A/B of an engine change:
    the tree in $FASTWSGI_BASE_TREE (e.g. `git archive <commit>` unpacked and
    built with `setup.py build_ext --inplace`), run by our interpreter from
    that directory, so that its fastwsgi package is the one imported."""
    launch = _ours(app, port, workers, tmp)
    tree = os.environ.get("FASTWSGI_BASE_TREE", "")
    return Launch(launch.argv, Path(tree), launch.env, {})


def _ours_epoll(app: str, port: int, workers: int, tmp: Path) -> Launch:
    """Ours forced onto the epoll backend (fastwsgi itself picks io_uring where it can)."""
    launch = _ours(app, port, workers, tmp)
    launch.argv.extend(["--io-backend", "epoll"])
    return launch


def _gunicorn(worker_class: str, parser: str) -> Callable[[str, int, int, Path], Launch]:
    def build(app: str, port: int, workers: int, tmp: Path) -> Launch:
        return _peer_launch(
            [
                _bin(PEERS_VENV, "gunicorn"),
                "-k",
                worker_class,
                "-w",
                str(workers),
                "-b",
                f"{HOST}:{port}",
                "--http-parser",
                parser,
                "--log-level",
                "warning",
                f"apps.{app}:app",
            ]
        )

    return build


def _launcher(server: str, venv: Path) -> Callable[[str, int, int, Path], Launch]:
    def build(app: str, port: int, workers: int, tmp: Path) -> Launch:
        return _peer_launch(
            [
                _bin(venv, "python"),
                str(BENCH_DIR / "launch.py"),
                server,
                f"apps.{app}:app",
                HOST,
                str(port),
                str(workers),
            ]
        )

    return build


def _granian(app: str, port: int, workers: int, tmp: Path) -> Launch:
    return _peer_launch(
        [
            _bin(PEERS_VENV, "granian"),
            "--interface",
            "wsgi",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            f"apps.{app}:app",
        ]
    )


def _socketify(app: str, port: int, workers: int, tmp: Path) -> Launch:
    return _peer_launch(
        [
            _bin(PEERS_VENV, "python"),
            "-m",
            "socketify",
            f"apps.{app}:app",
            "--interface",
            "wsgi",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    )


def _uwsgi(app: str, port: int, workers: int, tmp: Path) -> Launch:
    return _peer_launch(
        [
            _bin(PEERS_VENV, "uwsgi"),
            "--http11-socket",
            f"{HOST}:{port}",
            "--module",
            f"apps.{app}:app",
            "--pythonpath",
            str(BENCH_DIR),
            "--master",
            "--processes",
            str(workers),
            "--disable-logging",
            "--die-on-term",
        ]
    )


def _waitress(app: str, port: int, workers: int, tmp: Path) -> Launch:
    return _peer_launch(
        [_bin(PEERS_VENV, "waitress-serve"), f"--listen={HOST}:{port}", f"apps.{app}:app"]
    )


def _cheroot(app: str, port: int, workers: int, tmp: Path) -> Launch:
    return _peer_launch(
        [_bin(PEERS_VENV, "cheroot"), "--bind", f"{HOST}:{port}", f"apps.{app}:app"]
    )


# nginx answers every scenario with the same bytes the WSGI app would send.
NGINX_LOCATION: dict[str, str] = {
    "hello": 'default_type text/plain; return 200 "Hello, World!";',
    "flask_app": 'default_type text/plain; return 200 "Hello, World!";',
    "json_app": 'default_type application/json; return 200 \'{"message": "Hello, World!"}\';',
    "post": 'default_type text/plain; return 200 "65536";',
    "bigfile": "default_type application/octet-stream; root {data}; "
    "rewrite ^ /bigfile-1048576.bin break;",
    "filewrap": "default_type application/octet-stream; root {data}; "
    "rewrite ^ /file-10485760.bin break;",
}

NGINX_CONF = """\
worker_processes {workers};
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000000;
    client_max_body_size 16m;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        location / {{ {location} }}
    }}
}}
"""


FLOOR_BIN = BENCH_DIR / "floor" / "floor"


def _floor(mode: str) -> Callable[[str, int, int, Path], Launch]:
    def build(app: str, port: int, workers: int, tmp: Path) -> Launch:
        return Launch([str(FLOOR_BIN), mode, str(port)], BENCH_DIR, {}, {})

    return build


def floor_modes() -> list[str]:
    """The modes the built floor binary has (none when it is not built)."""
    try:
        out = subprocess.run([str(FLOOR_BIN), "modes"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except OSError:
        return []
    return out.split()


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx(app: str, port: int, workers: int, tmp: Path) -> Launch:
    from apps.filewrap import data_dir

    location = NGINX_LOCATION[app].replace("{data}", str(data_dir()))
    conf = tmp / "nginx.conf"
    text = NGINX_CONF.format(workers=workers, tmp=tmp, host=HOST, port=port, location=location)
    return Launch([nginx_binary(), "-p", str(tmp), "-c", str(conf)], tmp, {}, {conf: text})


PEERS: list[Peer] = [
    Peer(
        "fastwsgi",
        "this project (python -m fastwsgi)",
        PROJECT_PY.parent.parent,
        (),
        None,
        _ours,
        ours=True,
    ),
    Peer(
        "fastwsgi-nocount",
        "this project with --no-request-counters (the A/B of counting's cost)",
        PROJECT_PY.parent.parent,
        (),
        None,
        _ours_uncounted,
    ),
    Peer(
        "fastwsgi-base",
        "another build of this project, from $FASTWSGI_BASE_TREE (the A/B of an engine change)",
        PROJECT_PY.parent.parent,
        (),
        None,
        _ours_base,
    ),
    Peer(
        "fastwsgi-epoll",
        "this project with --io-backend epoll (fastwsgi uses io_uring where the kernel allows)",
        PROJECT_PY.parent.parent,
        (),
        None,
        _ours_epoll,
    ),
    Peer(
        "nginx",
        "Debian nginx, `return 200`/static file (reference, not WSGI)",
        None,
        (),
        None,
        _nginx,
        reference=True,
    ),
    Peer(
        "floor-epoll",
        "the kernel's floor: a C responder with nothing but epoll, recv and send "
        "(bench/floor/floor.c; hello scenarios only)",
        None,
        (),
        None,
        _floor("epoll"),
        multiworker=False,
        floor="epoll",
    ),
    Peer(
        "floor-io_uring",
        "the same responder on io_uring: multishot recv, batched sends "
        "(needs liburing-dev; hello scenarios only)",
        None,
        (),
        None,
        _floor("uring"),
        multiworker=False,
        floor="uring",
    ),
    Peer(
        "gunicorn-sync",
        "gunicorn, sync worker, Python parser",
        PEERS_VENV,
        ("gunicorn==27.0.1",),
        "gunicorn",
        _gunicorn("sync", "python"),
    ),
    Peer(
        "gunicorn-gthread",
        "gunicorn, gthread worker, Python parser",
        PEERS_VENV,
        ("gunicorn==27.0.1",),
        "gunicorn",
        _gunicorn("gthread", "python"),
    ),
    Peer(
        "gunicorn-gthread-h1c",
        "gunicorn, gthread worker, gunicorn-h1c C parser",
        PEERS_VENV,
        ("gunicorn==27.0.1", "gunicorn-h1c==0.6.10"),
        "gunicorn-h1c",
        _gunicorn("gthread", "fast"),
    ),
    Peer(
        "bjoern",
        "bjoern (libev, C)",
        PEERS_VENV,
        ("bjoern==3.2.2",),
        "bjoern",
        _launcher("bjoern", PEERS_VENV),
    ),
    Peer(
        "fastpysgi",
        "fastpysgi (libuv, C)",
        PEERS_VENV,
        ("fastpysgi==0.6",),
        "fastpysgi",
        _launcher("fastpysgi", PEERS_VENV),
    ),
    Peer(
        "freastal",
        "freastal (libuv + picohttpparser, C)",
        PEERS_VENV,
        ("freastal==0.0.3",),
        "freastal",
        _launcher("freastal", PEERS_VENV),
    ),
    Peer(
        "fastwsgi-pypi",
        "PyPI fastwsgi 0.0.9 (libuv, C; own venv)",
        PYPI_VENV,
        ("fastwsgi==0.0.9",),
        "fastwsgi",
        _launcher("fastwsgi-pypi", PYPI_VENV),
    ),
    Peer(
        "granian",
        "granian --interface wsgi (Rust)",
        PEERS_VENV,
        ("granian==2.8.7",),
        "granian",
        _granian,
    ),
    Peer(
        "socketify",
        "socketify WSGI (uWebSockets, C++)",
        PEERS_VENV,
        ("socketify==0.0.31",),
        "socketify",
        _socketify,
    ),
    Peer(
        "uwsgi",
        "uWSGI (pyuwsgi) --http11-socket, master + workers",
        PEERS_VENV,
        ("pyuwsgi==2.0.30.post1",),
        "pyuwsgi",
        _uwsgi,
    ),
    Peer(
        "waitress",
        "waitress (pure Python, threads)",
        PEERS_VENV,
        ("waitress==3.0.2",),
        "waitress",
        _waitress,
        multiworker=False,
    ),
    Peer(
        "cheroot",
        "cheroot (pure Python, threads)",
        PEERS_VENV,
        ("cheroot==11.1.2",),
        "cheroot",
        _cheroot,
        multiworker=False,
    ),
]

QUICK_PEERS = [
    "fastwsgi",
    "nginx",
    "gunicorn-gthread",
    "bjoern",
    "fastpysgi",
    "freastal",
    "fastwsgi-pypi",
    "granian",
]


def install_status(venv: Path) -> dict[str, tuple[bool, str]]:
    """setup_peers.sh's record: spec -> (installed, reason)."""
    status: dict[str, tuple[bool, str]] = {}
    path = venv / "install-status.tsv"
    if path.exists():
        for line in path.read_text().splitlines():
            spec, ok, reason = (line.split("\t") + ["", ""])[:3]
            status[spec] = (ok == "ok", reason)
    return status


def missing_reason(peer: Peer) -> str | None:
    """Why a peer cannot run at all (not installed), or None."""
    if peer.reference:
        return (
            None
            if Path(nginx_binary()).exists()
            else "nginx is not installed (apt-get install nginx-light)"
        )
    if peer.name == "fastwsgi-base":
        tree = Path(os.environ.get("FASTWSGI_BASE_TREE") or "/nonexistent")
        if not any((tree / "fastwsgi").glob("_core*.so")):
            return "FASTWSGI_BASE_TREE is not a built tree of this project (an A/B peer)"
    if peer.ours:
        return None if PROJECT_PY.exists() else f"{PROJECT_PY} does not exist (make venv)"
    if peer.floor:
        if peer.floor in floor_modes():
            return None
        return ("bench/floor/floor is not built with this mode (bench/setup_peers.sh; "
                "io_uring needs liburing-dev)")
    assert peer.venv is not None
    if not (peer.venv / "bin" / "python").exists():
        return f"{peer.venv.name} missing: run bench/setup_peers.sh"
    status = install_status(peer.venv)
    for spec in peer.requires:
        ok, reason = status.get(spec, (False, "not attempted"))
        if not ok:
            return f"pip install {spec} failed: {reason or 'see bench/setup_peers.sh output'}"
    return None


def venv_versions(venv: Path) -> dict[str, str]:
    """Installed distributions of a venv (lower-case name -> version)."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version"
        " for d in m.distributions()}))"
    )
    try:
        out = subprocess.run(
            [_bin(venv, "python"), "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            check=False,
        ).stdout
        return json.loads(out)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
