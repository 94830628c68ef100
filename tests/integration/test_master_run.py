"""How the master runs: --daemon (found through its pidfile, WINCH, stopped
by PID), --pidfile, unix sockets with --umask, --chdir, --pythonpath,
-e/raw_env and --preload."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Callable
from pathlib import Path

from tests.support.master import (
    Run,
    alive,
    children,
    start_fixture,  # noqa: F401 - the `start` fixture
    stop_pid,
    wait_for,
)

Start = Callable[..., Run]


def test_daemon_found_by_pidfile_winch_hup_and_stop(start: Start, tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    errlog = tmp_path / "d.log"
    run = start("--daemon", "--workers", "2", "--pid", str(pidfile),
                "--error-logfile", str(errlog))
    assert run.wait(10) == 0  # the command returns once the daemon is detached
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                       what="the daemon's pidfile"))  # type: ignore[arg-type]
    start.pids.append(pid)  # type: ignore[attr-defined]
    assert pid != run.pid and alive(pid)
    # A session of its own (detached from ours), and not its leader (no tty to reacquire).
    assert os.getsid(pid) not in (os.getsid(0), pid)
    wait_for(lambda: len(children(pid)) == 2, what="the daemon's 2 workers")
    assert run.get("/")[0] == 200
    # WINCH (daemon mode): the workers stop gracefully, the master stays.
    os.kill(pid, signal.SIGWINCH)
    wait_for(lambda: not children(pid), what="the workers to stop on WINCH")
    assert alive(pid)
    # HUP brings them back (the reloaded config's worker count).
    os.kill(pid, signal.SIGHUP)
    wait_for(lambda: len(children(pid)) == 2, what="2 workers after HUP")
    assert run.get("/")[0] == 200
    stop_pid(pid)
    assert not pidfile.exists()
    text = errlog.read_text()
    assert "Handling signal: winch" in text and "Handling signal: term" in text


def test_winch_is_ignored_without_daemon(start: Start) -> None:
    run = start("--workers", "1", "--log-level", "debug")
    worker = run.worker_pid()
    run.send(signal.SIGWINCH)
    run.wait_log("SIGWINCH ignored")
    assert run.worker_pid() == worker


def test_pidfile_stale_replaced_live_refused(start: Start, tmp_path: Path) -> None:
    pidfile = tmp_path / "app.pid"
    pidfile.write_text("999999999\n")  # no such process: stale
    run = start("--pid", str(pidfile))
    run.worker_pid()
    assert pidfile.read_text().strip() == str(run.pid)
    again = start("--pid", str(pidfile), name="second")
    assert again.wait(10) == 1
    assert f"Already running on PID {run.pid}" in again.log_text()
    assert pidfile.read_text().strip() == str(run.pid)  # left alone
    assert run.stop() == 0
    assert not pidfile.exists()


def test_unix_socket_with_umask(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "fw.sock"
    run = start("--umask", "0o007", bind=f"unix:{path}")
    status, body = wait_for(lambda: path.exists() and run.get("/"), what="the unix socket")  # type: ignore[misc]
    assert status == 200 and body.startswith(b"pid=")
    mode = os.stat(path).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o770
    run.wait_log(rf"Listening at: unix:{path}")
    assert run.stop() == 0
    assert not path.exists()


def test_chdir_pythonpath_and_env(start: Start, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "pp_app.py").write_text("from tests.apps.master_apps import app\n")
    work = tmp_path / "work"
    work.mkdir()
    run = start("--pythonpath", str(lib), "--chdir", str(work), "-e", "FW_GREETING=hello there",
                "--env", "FW_OTHER=2", app="pp_app:app")
    assert run.get("/cwd") == (200, str(work).encode())
    assert run.get("/env?k=FW_GREETING") == (200, b"hello there")
    assert run.get("/env?k=FW_OTHER") == (200, b"2")


def test_preload_loads_the_app_in_the_master(start: Start, tmp_path: Path) -> None:
    marker = tmp_path / "loaded"
    conf = tmp_path / "preload.conf.py"
    conf.write_text(
        "import sys\n"
        "def when_ready(server):\n"
        f"    open({str(marker)!r}, 'w').write(str('tests.apps.master_apps' in sys.modules)"
        " + ' ' + str(server.app is not None))\n")
    run = start("--preload", "--workers", "2", "-c", str(conf))
    assert run.get("/")[0] == 200
    assert marker.read_text() == "True True"
    plain = start("--workers", "1", "-c", str(conf), name="plain")
    assert plain.get("/")[0] == 200
    assert marker.read_text() == "False False"  # without --preload, only workers import it
