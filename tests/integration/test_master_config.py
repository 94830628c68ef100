"""Where the configuration comes from, on the real command: command line >
FASTWSGI_CMD_ARGS > GUNICORN_CMD_ARGS > config file (-c file.py, -c
python:module, else ./fastwsgi.conf.py, else ./gunicorn.conf.py) > defaults,
read back with --print-config; then the deployment guide's config and every
server hook on a live server."""

from __future__ import annotations

import itertools
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

from tests.support import ROOT
from tests.support.master import (
    Run,
    start_fixture,  # noqa: F401 - the `start` fixture
    wait_for,
)

Start = Callable[..., Run]
FIXTURES = ROOT / "tests" / "fixtures"


_runs = itertools.count()


def printed(start: Start, *args: str, cwd: Path | str = ROOT,
            env: dict[str, str] | None = None) -> dict[str, str]:
    """`fastwsgi --print-config ARGS` (no app, no bind), parsed."""
    run = start("--print-config", *args, app=None, bind=None, cwd=cwd, env=env,
                name=f"print-{next(_runs)}")
    assert run.wait(10) == 0, run.log_text()
    values = {}
    for line in run.log_text().splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            values[name.strip()] = value.strip()
    return values


def test_defaults(start: Start, tmp_path: Path) -> None:
    v = printed(start, cwd=tmp_path)
    assert v["workers"] == "1" and v["timeout"] == "30" and v["backlog"] == "2048"
    assert v["config"] == "None"


def test_precedence_of_every_source(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "site.conf.py"
    conf.write_text("workers = 2\ntimeout = 11\nkeepalive = 12\ngraceful_timeout = 13\n"
                    "backlog = 14\n")
    env = {"GUNICORN_CMD_ARGS": "--timeout 21 --keep-alive 22 --graceful-timeout 23",
           "FASTWSGI_CMD_ARGS": "--keep-alive 32 --graceful-timeout 33"}
    v = printed(start, "-c", str(conf), "--graceful-timeout", "43", cwd=tmp_path, env=env)
    assert v["backlog"] == "14"            # config file over the default
    assert v["workers"] == "2"
    assert v["timeout"] == "21"            # GUNICORN_CMD_ARGS over the file
    assert v["keepalive"] == "32"          # FASTWSGI_CMD_ARGS over GUNICORN_CMD_ARGS
    assert v["graceful_timeout"] == "43"   # the command line over everything
    # -c given in the environment arguments, when the command line has none.
    v = printed(start, cwd=tmp_path, env={"GUNICORN_CMD_ARGS": f"-c {conf}"})
    assert v["workers"] == "2" and v["timeout"] == "11"


def test_default_config_files_in_the_working_directory(start: Start, tmp_path: Path) -> None:
    (tmp_path / "gunicorn.conf.py").write_text("workers = 4\ntimeout = 44\n")
    v = printed(start, cwd=tmp_path)
    assert v["workers"] == "4" and v["timeout"] == "44"
    (tmp_path / "fastwsgi.conf.py").write_text("workers = 5\n")
    v = printed(start, cwd=tmp_path)  # ours first, and only one file is read
    assert v["workers"] == "5" and v["timeout"] == "30"
    v = printed(start, "--workers", "7", cwd=tmp_path)
    assert v["workers"] == "7"


def test_python_module_config(start: Start, tmp_path: Path) -> None:
    (tmp_path / "mysettings.py").write_text("workers = 6\nmax_requests = 99\n")
    v = printed(start, "-c", "python:mysettings", cwd=tmp_path)
    assert v["workers"] == "6" and v["max_requests"] == "99"


def test_deployment_guide_config_runs(start: Start, tmp_path: Path) -> None:
    """DESIGN.md section 4's config, unchanged but for its two paths; its
    bind (0.0.0.0:9000) is overridden from the command line, which takes
    precedence, so that the test owns the port."""
    run = start("-c", str(FIXTURES / "deployment_guide.conf.py"),
                env={"FW_TEST_DIR": str(tmp_path)})
    errorlog = tmp_path / "gunicorn.log"
    expected = (os.cpu_count() or 1) * 2 + 1
    run.wait_log("Booting worker with pid", expected, log=errorlog)
    pidfile = tmp_path / "gunicorn.pid"
    assert pidfile.read_text().strip() == str(run.pid)
    assert run.get("/")[0] == 200
    text = errorlog.read_text()
    assert "Using worker: gevent: up to 1024 concurrent requests per worker" in text
    assert re.search(r"\[WARNING\] .*'debug' is not a setting; ignored", run.log_text() + text)
    wait_for(lambda: len(run.workers()) == expected, what=f"{expected} workers")
    assert run.stop() == 0
    assert not pidfile.exists()


def test_every_hook_is_called_with_gunicorns_signature(start: Start, tmp_path: Path) -> None:
    hooks = tmp_path / "hooks.log"
    run = start("-c", str(FIXTURES / "hooks.conf.py"), env={"FW_HOOK_LOG": str(hooks)})
    first = run.worker_pid()
    assert run.get("/hello")[0] == 200
    run.send(signal.SIGTTIN)
    run.wait_log("Booting worker with pid", 2)
    run.send(signal.SIGHUP)
    run.wait_log("Reload complete")
    wait_for(lambda: len(run.workers()) == 1 and first not in run.workers(),
             what="the reloaded config's single worker")
    last = run.worker_pid()
    assert run.stop(signal.SIGINT) == 0
    master = run.pid
    lines = hooks.read_text().splitlines()

    def index(pattern: str) -> int:
        for i, line in enumerate(lines):
            if re.fullmatch(pattern, line):
                return i
        raise AssertionError(f"no hook line {pattern!r} in:\n" + "\n".join(lines))

    order = [
        index(f"on_starting pid={master} Master num_workers=1"),
        index(f"when_ready pid={master} Master listeners=1"),
        index(f"pre_fork pid={master} Master Worker age=1"),
        index(f"post_fork pid={first} Master Worker wpid={first}"),
        index(f"post_worker_init pid={first} Worker wpid={first}"),
        index(f"pre_request pid={first} Worker GET /hello"),
        index(f"post_request pid={first} Worker GET /hello /hello 200 OK"),
    ]
    assert order == sorted(order)
    assert index(f"nworkers_changed pid={master} Master new=2 old=1") < index(
        f"on_reload pid={master} Master")
    index(f"child_exit pid={master} Master wpid={first}")
    index(f"worker_exit pid={first} Master wpid={first}")
    index(f"worker_int pid={last} Worker wpid={last}")
    assert lines[-1] == f"on_exit pid={master} Master"
