"""The master's signals, with gunicorn's meanings, on live processes: TERM
(graceful), INT/QUIT (fast), HUP (reload under load, and a reload whose new
workers fail), TTIN/TTOU, USR1 (log reopening), USR2 (a new master under
load, then the old one stopped) and WINCH (daemon mode, see test_master_run)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.http import request
from tests.support.master import (
    APP,
    Load,
    Run,
    alive,
    read_one,
    start_fixture,  # noqa: F401 - the `start` fixture
    stop_pid,
    wait_for,
)

Start = Callable[..., Run]


def _slow_request(run: Run, path: str, out: dict[str, object]) -> threading.Thread:
    """GET path (/sleep or /hang) on its own connection in a thread, the answer
    (or error) in out; returns once the app is running it."""
    mark = run.tmp_path / f"mark-{time.monotonic_ns()}"
    sock = run.connect()
    sock.sendall(request(f"{path}{'&' if '?' in path else '?'}mark={mark}"))

    def reader() -> None:
        try:
            out["answer"] = read_one(sock)
            out["then"] = sock.recv(100)  # b"": closed after the response
        except OSError as exc:
            out["error"] = exc
        finally:
            sock.close()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    wait_for(mark.exists, what=f"the app to run {path}")
    return t


# ---- TERM, INT, QUIT ---------------------------------------------------------------


def test_term_finishes_in_flight_and_closes_idle(start: Start) -> None:
    run = start("--workers", "1", "--graceful-timeout", "10")
    worker = run.worker_pid()
    idle = run.connect()
    idle.sendall(request("/"))
    assert read_one(idle) is not None  # a keep-alive connection, now idle
    out: dict[str, object] = {}
    t = _slow_request(run, "/sleep?s=1", out)
    t0 = time.monotonic()
    run.send(signal.SIGTERM)
    # The idle connection is closed (clean EOF, no response) without waiting for keepalive.
    idle.settimeout(5)
    assert idle.recv(100) == b""
    idle.close()
    t.join(5)
    assert "error" not in out, out
    status, _, body = out["answer"]  # type: ignore[misc]
    assert status == 200 and body == f"pid={worker}".encode()
    assert out["then"] == b""  # and then closed
    assert run.wait(5) == 0
    took = time.monotonic() - t0
    assert took < 4, f"graceful stop took {took:.1f} s"
    text = run.log_text()
    assert "Handling signal: term" in text
    # gunicorn's lines: the worker's own (its pid in the [pid] field) and the master's.
    assert re.search(rf"\[{worker}\] \[INFO\] Worker exiting \(pid: {worker}\)\n", text), text
    assert f"Worker (pid:{worker}) exited: shutdown" in text or \
        f"Worker (pid:{worker}) stopped (shutdown)" in text, text
    assert re.search(rf"\[{run.pid}\] \[INFO\] Shutting down: Master\n", text), text
    # Nothing listens any more.
    try:
        run.get("/", timeout=1)
    except OSError:
        pass
    else:
        raise AssertionError("the listener still accepts after the master exited")


def test_graceful_timeout_bounds_term(start: Start) -> None:
    run = start("--workers", "1", "--graceful-timeout", "1")
    worker = run.worker_pid()
    out: dict[str, object] = {}
    t = _slow_request(run, "/sleep?s=30", out)
    t0 = time.monotonic()
    run.send(signal.SIGTERM)
    assert run.wait(8) == 0
    took = time.monotonic() - t0
    t.join(5)
    assert took < 4, f"TERM took {took:.1f} s with graceful_timeout 1"
    assert f"Worker (pid:{worker}) was killed (SIGKILL): still busy shutdown after 1s" \
        in run.log_text()


def test_int_and_quit_stop_fast(start: Start) -> None:
    for sig in (signal.SIGINT, signal.SIGQUIT):
        run = start("--workers", "2", "--graceful-timeout", "30", name=sig.name)
        run.worker_pid()
        out: dict[str, object] = {}
        t = _slow_request(run, "/sleep?s=30", out)
        t0 = time.monotonic()
        run.send(sig)
        assert run.wait(8) == 0
        took = time.monotonic() - t0
        t.join(5)
        assert took < 2, f"{sig.name} took {took:.1f} s"
        assert out.get("answer") is None  # the request in flight was cut
        assert f"Handling signal: {sig.name[3:].lower()}" in run.log_text()


def test_int_during_graceful_stop_makes_it_fast(start: Start) -> None:
    run = start("--workers", "1", "--graceful-timeout", "30")
    run.worker_pid()
    out: dict[str, object] = {}
    t = _slow_request(run, "/sleep?s=30", out)
    run.send(signal.SIGTERM)
    run.wait_log("Handling signal: term")
    t0 = time.monotonic()
    run.send(signal.SIGINT)
    assert run.wait(5) == 0
    assert time.monotonic() - t0 < 2
    t.join(5)


# ---- TTIN / TTOU -------------------------------------------------------------------


def test_ttin_ttou(start: Start) -> None:
    run = start("--workers", "1")
    first = run.worker_pid()
    run.send(signal.SIGTTIN)
    run.wait_log("Booting worker with pid", 2)
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    run.send(signal.SIGTTOU)
    # gunicorn retires the oldest worker.
    run.wait_log(rf"Worker \(pid:{first}\) exited: too many workers \(TTOU\)")
    wait_for(lambda: len(run.workers()) == 1, what="1 worker")
    assert run.workers() != [first]
    run.send(signal.SIGTTOU)  # never below one
    run.wait_log("Handling signal: ttou", 2)
    assert len(run.workers()) == 1
    assert run.get("/")[0] == 200


# ---- HUP -----------------------------------------------------------------------------


def test_hup_under_load_reloads_config_with_zero_failures(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "fw.conf.py"
    conf.write_text("workers = 2\n")
    run = start("-c", str(conf))
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    old = set(run.workers())
    with Load(run, connections=4) as load:
        load.wait_requests(200)
        conf.write_text("workers = 3\n")  # HUP reads the config file again
        t0 = time.monotonic()
        run.send(signal.SIGHUP)
        run.wait_log(r"Reload complete: 3 new workers serving")
        for pid in old:
            run.wait_log(rf"Worker \(pid:{pid}\) exited: replaced by a reload")
        load.wait_requests(200)
        new = load.pids_after(t0) - old
    print(f"HUP under load: {load.report()}")
    assert not load.failures, load.failures[:5]
    now = set(run.workers())
    assert len(now) == 3 and not now & old  # the reloaded config's 3 workers, all new
    assert new and new <= now  # after the HUP, only new workers answered


def test_hup_with_failing_new_workers_keeps_the_old_ones(start: Start,
                                                          tmp_path: Path) -> None:
    marker = tmp_path / "broken"
    run = start("--workers", "2", env={"FW_FAIL_IMPORT": str(marker)})
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    old = set(run.workers())
    with Load(run, connections=2) as load:
        load.wait_requests(50)
        marker.write_text("")
        run.send(signal.SIGHUP)
        match = run.wait_log(r"Reload failed: (.*)")[0]
        load.wait_requests(50)
        assert set(run.workers()) == old
        assert "could not load the app" in match.group(1)
        assert "RuntimeError" in match.group(1) and "broken deploy" in match.group(1)
        assert "the previous workers keep serving" in match.group(1)
        # Fixed: the next HUP goes through.
        marker.unlink()
        run.send(signal.SIGHUP)
        run.wait_log("Reload complete: 2 new workers serving")
        wait_for(lambda: not (set(run.workers()) & old), what="the old workers to go")
        load.wait_requests(50)
    assert not load.failures, load.failures[:5]
    assert run.proc.poll() is None


def test_hup_with_a_broken_config_keeps_the_current_one(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "fw.conf.py"
    conf.write_text("workers = 2\n")
    run = start("-c", str(conf))
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    old = set(run.workers())
    conf.write_text("workers = (\n")
    run.send(signal.SIGHUP)
    line = run.wait_log(r"Reload failed: (.*)")[0].group(1)
    assert "SyntaxError" in line and "the current configuration stays" in line
    conf.write_text("workers = 'many'\n")
    run.send(signal.SIGHUP)
    line = run.wait_log(r"Reload failed: (.*)", 2)[1].group(1)
    assert "'workers'" in line
    assert set(run.workers()) == old
    assert run.worker_pid() in old


# ---- USR1 -------------------------------------------------------------------------


def test_usr1_reopens_log_files(start: Start, tmp_path: Path) -> None:
    errlog = tmp_path / "error.log"
    run = start("--workers", "1", "--error-logfile", str(errlog))
    run.worker_pid()
    run.wait_log("Booting worker", log=errlog)
    rotated = tmp_path / "error.log.1"
    errlog.rename(rotated)
    run.send(signal.SIGUSR1)
    # The master's line about the signal is written before it reopens;
    # afterwards, both the master and the worker write to the new file.
    run.wait_log("Handling signal: usr1", log=rotated)
    wait_for(errlog.exists, what="the new error log")
    run.send(signal.SIGTTIN)
    run.wait_log("Booting worker", log=errlog)
    # The worker reopened too (the log line comes from the app in the worker).
    wait_for(lambda: run.get("/log?msg=after-rotation")[0] == 200 and
             "after-rotation" in errlog.read_text(), what="the worker's line in the new file")
    assert "after-rotation" not in rotated.read_text()


# ---- USR2 ------------------------------------------------------------------------


def test_usr2_under_load_then_old_master_stopped(start: Start, tmp_path: Path) -> None:
    pidfile = tmp_path / "app.pid"
    hooks = tmp_path / "hooks.log"
    conf = tmp_path / "usr2.conf.py"
    conf.write_text(
        "import os\n"
        "def pre_exec(server):\n"
        f"    open({str(hooks)!r}, 'a').write(f'pre_exec {{os.getpid()}}\\n')\n")
    run = start("--workers", "2", "--pid", str(pidfile), "-c", str(conf))
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    assert pidfile.read_text().strip() == str(run.pid)
    old_workers = set(run.workers())
    with Load(run, connections=4) as load:
        load.wait_requests(200)
        run.send(signal.SIGUSR2)
        new_master = int(run.wait_log(r"Started a new master \(pid:(\d+)\)")[0].group(1))
        start.pids.append(new_master)  # type: ignore[attr-defined]
        pid2 = Path(f"{pidfile}.2")
        wait_for(lambda: pid2.exists() and pid2.read_text().strip() == str(new_master),
                 what="<pidfile>.2")
        # gunicorn 27: the old master keeps <pidfile>; there is no .oldbin.
        assert pidfile.read_text().strip() == str(run.pid)
        assert not Path(f"{pidfile}.oldbin").exists()
        assert hooks.read_text().startswith(f"pre_exec {new_master}")  # in the child, pre-exec
        wait_for(lambda: _title(new_master) == f"fastwsgi: master [{APP}.2]",
                 what="the new master's title, gunicorn's '.2'")
        # The new master's workers serve beside the old ones, on the same listener.
        wait_for(lambda: len([p for p in os.listdir("/proc") if p.isdigit()
                              and _ppid(int(p)) == new_master]) == 2,
                 what="the new master's 2 workers")
        new_workers = set(_children_of(new_master))
        t0 = time.monotonic()
        # The runbook's `kill -TERM $(cat app.pid)`: the old master goes, the new one takes over.
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
        assert run.wait(10) == 0
        load.wait_requests(200)
        served_after = load.pids_after(t0)
    print(f"USR2 under load: {load.report()}")
    assert not load.failures, load.failures[:5]
    assert served_after <= new_workers | old_workers
    assert served_after & new_workers
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() == str(new_master),
             what="the promoted master's pidfile")
    assert not Path(f"{pidfile}.2").exists()
    assert not Path(f"{pidfile}.oldbin").exists()
    assert alive(new_master)
    run.wait_log(rf"\[{new_master}\] \[INFO\] Master has been promoted")
    wait_for(lambda: _title(new_master) == f"fastwsgi: master [{APP}]", what="its title back")
    stop_pid(new_master)
    assert not pidfile.exists()


def _title(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode().strip()


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[1]) if fields[0] != "Z" else -1


def _children_of(pid: int) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]


def test_usr2_new_master_failing_leaves_old_one_serving(start: Start, tmp_path: Path) -> None:
    pidfile = tmp_path / "app.pid"
    marker = tmp_path / "broken"
    run = start("--workers", "1", "--pid", str(pidfile), env={"FW_FAIL_IMPORT": str(marker)})
    worker = run.worker_pid()
    marker.write_text("")
    run.send(signal.SIGUSR2)
    run.wait_log(r"New master \(pid:\d+\) exited \(exit code 4\); this master carries on")
    assert run.worker_pid() == worker
    assert pidfile.read_text().strip() == str(run.pid)  # never moved
    assert not Path(f"{pidfile}.2").exists()  # the failed master removed its own
    assert "broken deploy" in run.log_text()
