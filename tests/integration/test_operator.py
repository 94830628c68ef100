"""What an operator sees, on the real `fastwsgi` command, beside gunicorn 27's
behaviour (issue #15 section 3): config files recognised by their content,
usage errors' exit status and "did you mean", --print-config's effective
worker mode, gunicorn's log lines with the right pid in their [pid] field."""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.master import (
    Run,
    start_fixture,  # noqa: F401 - the `start` fixture
    wait_for,
)

Start = Callable[..., Run]


def test_python_config_named_dot_conf_runs_as_gunicorn_runs_it(start: Start,
                                                                tmp_path: Path) -> None:
    """`-c gunicorn.conf` with Python inside is a gunicorn config, not supervisor mode."""
    conf = tmp_path / "gunicorn.conf"
    conf.write_text("import os\nworkers = 2\nproc_name = 'by-content'\n")
    run = start("-c", str(conf))
    run.wait_log(r"Booting worker with pid: \d+", 2)
    status, body = run.get("/")
    assert status == 200 and body.startswith(b"pid=")
    assert "supervisor" not in run.log_text().lower()
    assert run.stop() == 0


def test_ini_with_no_supervisord_section_is_read_as_python(start: Start,
                                                           tmp_path: Path) -> None:
    """Only INI with supervisord sections is supervisor mode; other INI is a
    Python config that does not parse, and says so."""
    conf = tmp_path / "site.conf"
    conf.write_text("[app]\nworkers = 2\n")
    run = start("-c", str(conf), bind=None)
    assert run.wait(10) == 1
    assert f"Error: failed to read config file {conf}" in run.log_text()


def test_usage_errors_exit_2_and_suggest_the_flag(start: Start) -> None:
    cases = {
        ("--workrs", "3"): "unrecognized arguments: --workrs (did you mean '--workers'?)",
        ("--time-out=5",): "unrecognized arguments: --time-out=5 (did you mean '--timeout'?)",
        ("-w", "abc"): "invalid value for 'workers': 'abc'",
        ("b:app",): "expected one APP_MODULE, got 2",
    }
    for index, (args, message) in enumerate(cases.items()):
        run = start(*args, bind=None, name=f"usage-{index}")
        assert run.wait(10) == 2, (args, run.log_text())
        assert message in run.log_text(), run.log_text()
    run = start("-w", "abc", bind=None, app=None, name="usage-env",
                env={"GUNICORN_CMD_ARGS": "--timeout x"})
    assert run.wait(10) == 2, run.log_text()
    assert "in GUNICORN_CMD_ARGS" in run.log_text()


def test_a_config_file_error_is_not_a_usage_error(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf.py"
    conf.write_text("workers = 'many'\n")
    run = start("-c", str(conf), bind=None)
    assert run.wait(10) == 1, run.log_text()


def test_mistyped_config_name_gets_did_you_mean(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "typo.conf.py"
    conf.write_text("workrs = 3\nkeep_alive = 5\n")
    run = start("--print-config", "-c", str(conf), app=None, bind=None)
    assert run.wait(10) == 0
    text = run.log_text()
    assert f"config file {conf}: 'workrs' is not a setting; ignored (did you mean 'workers'?)" \
        in text, text
    assert "'keep_alive' is not a setting; ignored (did you mean 'keepalive'?)" in text


def test_print_config_shows_the_effective_worker_mode(start: Start) -> None:
    cases = {
        (): "# effective worker mode: native, 1 worker; sync: one request at a time per worker",
        ("-w", "3", "--threads", "4"): "# effective worker mode: threaded, 3 workers; "
                                       "sync: up to 4 concurrent requests per worker",
        ("-k", "gthread", "--threads", "8"): "# effective worker mode: threaded, 1 worker; "
                                             "gthread: up to 8 concurrent requests",
    }
    for index, (args, line) in enumerate(cases.items()):
        run = start("--print-config", *args, app=None, bind=None, name=f"print-{index}")
        assert run.wait(10) == 0
        assert line in run.log_text(), run.log_text()


def test_gunicorn_lines_with_each_process_pid(start: Start) -> None:
    """`Booting worker` and `Worker exiting` come from the worker (its pid in
    the [pid] field); `Handling signal` and `Shutting down: Master` from the
    master, at INFO on a normal stop."""
    run = start("--workers", "1")
    booted = run.wait_log(r"\[(\d+)\] \[INFO\] Booting worker with pid: (\d+)")
    workers = {int(m.group(2)) for m in booted}
    assert {int(m.group(1)) for m in booted} == workers == set(run.workers())
    # Serving: its handlers are in place (a worker TERMed while it boots dies
    # of the signal, as gunicorn's does, with no last line).
    assert {run.worker_pid()} == workers
    assert run.stop(signal.SIGTERM) == 0
    text = run.log_text()
    assert f"[{run.pid}] [INFO] Handling signal: term" in text
    for pid in workers:
        assert re.search(rf"\[{pid}\] \[INFO\] Worker exiting \(pid: {pid}\)\n", text), text
    assert text.rstrip().endswith(f"[{run.pid}] [INFO] Shutting down: Master"), text[-500:]


# ---- --reload ---------------------------------------------------------------------------

APP_TEMPLATE = """\
def app(environ, start_response):
    body = {body!r}
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""


def _save(path: Path, text: str) -> None:
    """Write and move the mtime on, so that a save within the same tick is seen."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if path.stat().st_mtime_ns <= before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def _answer(run: Run) -> tuple[int, bytes]:
    try:
        return run.get("/", timeout=5)
    except (OSError, AssertionError):
        return 0, b""  # between a worker and its replacement


@pytest.mark.parametrize("broken, error", [
    ("def app(environ, start_response:\n", "SyntaxError"),
    ("import no_such_module_for_reload\n" + APP_TEMPLATE.format(body=b"x"),
     "ModuleNotFoundError"),
    ("app = undefined_name\n", "NameError"),
])
def test_reload_survives_a_broken_save_and_serves_the_fix(start: Start, tmp_path: Path,
                                                          broken: str, error: str) -> None:
    """As gunicorn: the worker stays up, answers 500 (the traceback in the error
    log), watches the broken file and serves the fixed app after the next save;
    the master never shuts down."""
    module = tmp_path / "reloadapp.py"
    _save(module, APP_TEMPLATE.format(body=b"v1"))
    run = start("--reload", "--pythonpath", str(tmp_path), app="reloadapp:app")
    wait_for(lambda: _answer(run) == (200, b"v1"), what="v1")
    _save(module, broken)
    wait_for(lambda: _answer(run)[0] == 500, what="a 500 from the broken app")
    status, body = _answer(run)
    assert status == 500 and error.encode() in body, body
    run.wait_log(rf"\[ERROR\] Worker \(pid:\d+\) cannot load the app, serving 500 until a "
                 rf"watched file changes \(--reload\): .*{error}")
    assert "Traceback (most recent call last)" in run.log_text()
    _save(module, APP_TEMPLATE.format(body=b"v3"))
    wait_for(lambda: _answer(run) == (200, b"v3"), what="the fixed app")
    assert run.proc.poll() is None  # the master is still there
    assert "Shutting down" not in run.log_text()


def test_reload_extra_file_globs_are_expanded_at_each_check(start: Start,
                                                            tmp_path: Path) -> None:
    """gunicorn 26.1: a file matching a reload_extra_files pattern that appears
    after start is watched from then on; its first edit reloads."""
    templates = tmp_path / "templates"
    templates.mkdir()
    run = start("--reload", "--reload-extra-file", f"{templates}/**/*.html",
                "--log-level", "debug")
    first = run.worker_pid()
    late = templates / "sub" / "late.html"
    late.parent.mkdir()
    _save(late, "created after start")
    # Created, not edited: watched from the next check on, no reload.
    run.wait_log(rf"\[{first}\] \[DEBUG\] Worker \(pid:{first}\) watching {re.escape(str(late))}")
    assert run.worker_pid() == first
    _save(late, "edited")
    run.wait_log(rf"Worker reloading: {re.escape(str(late))} modified")
    wait_for(lambda: _answer(run)[0] == 200 and run.worker_pid() != first,
             what="a new worker")


# ---- process titles -------------------------------------------------------------------


def _cmdline(pid: int) -> str:
    """What ps shows for the process: /proc/PID/cmdline, NULs as spaces."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode().strip()


def test_process_titles_out_of_the_box(start: Start) -> None:
    """gunicorn's shape, with no package for the user to install."""
    run = start("--workers", "2", "--name", "shop")
    run.wait_log(r"Booting worker with pid: \d+", 2)
    wait_for(lambda: _cmdline(run.pid) == "fastwsgi: master [shop]", what="the master's title")
    workers = run.workers()
    assert len(workers) == 2
    for pid in workers:
        wait_for(lambda pid=pid: _cmdline(pid) == "fastwsgi: worker [shop]",
                 what=f"worker {pid}'s title")
    run.stop()
    default = start("--workers", "1", name="default-name")
    default.wait_log(r"Booting worker with pid: \d+")
    # Named after the app, as gunicorn's default_proc_name.
    wait_for(lambda: _cmdline(default.pid) == "fastwsgi: master [tests.apps.master_apps:app]",
             what="the master's title, named after the app")


# ---- HUP and the logging set-up ---------------------------------------------------------


def test_hup_reruns_the_logging_setup_and_keeps_it_when_broken(start: Start,
                                                               tmp_path: Path) -> None:
    """gunicorn 26: a HUP applies new handlers, formats and levels; a broken
    logging config is refused with one line, and the logging stays as it was."""
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    conf = tmp_path / "logs.conf.py"
    conf.write_text(f"errorlog = {str(first)!r}\nloglevel = 'info'\n")
    run = start("-c", str(conf))
    run.wait_log("Booting worker with pid", log=first)
    conf.write_text(
        "loglevel = 'warning'\n"
        "logconfig_dict = {'version': 1, 'disable_existing_loggers': False,\n"
        "    'formatters': {'mine': {'format': 'MINE %(levelname)s %(message)s'}},\n"
        f"    'handlers': {{'second': {{'class': 'logging.FileHandler', 'filename': {str(second)!r},\n"
        "                               'formatter': 'mine'}},\n"
        "    'loggers': {'fastwsgi.error': {'handlers': ['second'], 'level': 'WARNING',\n"
        "                                   'propagate': False}}}\n")
    old_worker = run.worker_pid()
    run.send(signal.SIGHUP)
    # The new worker logs through the new handler, in its format, at its level.
    wait_for(lambda: run.worker_pid() != old_worker, what="the reloaded worker")
    # Until the old worker has exited it may still take a connection (and
    # log to the old file): the new worker's answer does not mean it is gone.
    wait_for(lambda: old_worker not in run.workers(), what="the old worker's exit")
    wait_for(lambda: run.get("/log?msg=after-first-hup")[0] == 200
             and second.exists() and "MINE WARNING after-first-hup" in second.read_text(),
             what="the app's warning through the new handler")
    assert "[INFO]" not in second.read_text() and "MINE INFO" not in second.read_text()
    assert "after-first-hup" not in first.read_text()
    conf.write_text(conf.read_text().replace("logging.FileHandler", "logging.NoSuchHandler"))
    reloaded_worker = run.worker_pid()
    run.send(signal.SIGHUP)
    wait_for(lambda: second.exists() and "MINE ERROR Reload failed: invalid logconfig_dict"
             in second.read_text(), what="the refusal, through the logging in force")
    assert run.worker_pid() == reloaded_worker  # the workers never changed
    assert run.get("/log?msg=still-here")[0] == 200
    wait_for(lambda: "MINE WARNING still-here" in second.read_text(), what="the same logging")
    assert run.proc.poll() is None


def test_an_ignored_setting_warns_what_is_lost(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "h2.conf.py"
    conf.write_text("http_protocols = 'h2,h1'\nspew = True\n")
    run = start("-c", str(conf))
    run.wait_log(r"Booting worker with pid")
    text = run.log_text()
    assert ("[WARNING] Setting 'http_protocols' is ignored (not built in fastwsgi): HTTP/2 is "
            "not served: clients will use HTTP/1.1") in text, text
    assert "[WARNING] Setting 'spew' is ignored (not built in fastwsgi): no line-by-line trace" \
        in text
    assert run.get("/")[0] == 200


# ---- wsgi.early_hints (gunicorn 26) --------------------------------------------------------

HINT = (b"HTTP/1.1 103 Early Hints\r\nLink: </s%d.css>; rel=preload; as=style\r\n"
        b"X-Hint: n\r\n\r\n")


def _read_until(sock: socket.socket, marker: bytes, have: bytes = b"") -> bytes:
    while marker not in have:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"closed before {marker!r}: {have!r}")
        have += chunk
    return have


@pytest.mark.parametrize("args", [(), ("--threads", "2")], ids=["inline", "threads"])
def test_early_hints_go_out_before_the_response(start: Start, tmp_path: Path,
                                                args: tuple[str, ...]) -> None:
    run = start(*args)
    with run.connect() as sock:
        for round_ in range(2):  # the second request on the kept connection too
            go = tmp_path / f"go{round_}"
            sock.sendall(f"GET /hints?n=2&wait={go} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            # Both 103s arrive while the app is still waiting: they are sent first.
            got = _read_until(sock, HINT % 1)
            assert got == HINT % 0 + HINT % 1, got
            go.write_text("")
            got = _read_until(sock, b"\r\n\r\nok")
            assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.count(b"HTTP/1.1") == 1, got


def test_early_hints_not_for_http10_nor_after_the_head(start: Start) -> None:
    run = start()
    with run.connect() as sock:
        sock.sendall(b"GET /hints?n=1 HTTP/1.0\r\n\r\n")
        got = _read_until(sock, b"\r\n\r\nok")
        assert got.startswith(b"HTTP/1.1 200 OK\r\n") and b"103" not in got, got
    with run.connect() as sock:
        sock.sendall(b"GET /hints?late=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        got = _read_until(sock, b"late")
        assert got.startswith(b"HTTP/1.1 200 OK\r\n") and b"103" not in got, got


def test_early_hints_refuse_a_response_splitting_value(start: Start) -> None:
    run = start()
    with run.connect() as sock:
        sock.sendall(b"GET /hints?bad=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        got = _read_until(sock, b"CR, LF or NUL in its value")
        assert got.startswith(b"HTTP/1.1 200 OK\r\n"), got
        assert b"103" not in got and b"evil" not in got, got
