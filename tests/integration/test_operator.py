"""What an operator sees, on the real `fastwsgi` command, beside gunicorn 27's
behaviour (issue #15 section 3): config files recognised by their content,
usage errors' exit status and "did you mean", --print-config's effective
worker mode, gunicorn's log lines with the right pid in their [pid] field."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path

from tests.support.master import (
    Run,
    start_fixture,  # noqa: F401 - the `start` fixture
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
    run = start("--workers", "2")
    booted = run.wait_log(r"\[(\d+)\] \[INFO\] Booting worker with pid: (\d+)", 2)
    workers = {int(m.group(2)) for m in booted}
    assert {int(m.group(1)) for m in booted} == workers
    assert set(run.workers()) == workers
    assert run.stop(signal.SIGTERM) == 0
    text = run.log_text()
    assert f"[{run.pid}] [INFO] Handling signal: term" in text
    for pid in workers:
        assert re.search(rf"\[{pid}\] \[INFO\] Worker exiting \(pid: {pid}\)\n", text), text
    assert text.rstrip().endswith(f"[{run.pid}] [INFO] Shutting down: Master"), text[-500:]
