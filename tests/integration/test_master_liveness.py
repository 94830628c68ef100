"""Keeping workers alive and right: every worker exit is logged with its real
reason and the worker replaced; a stuck worker is aborted at --timeout with
its stack and request logged; max_requests and max_worker_memory recycle
workers by draining them; an app that cannot load stops the master with
exit code 4 and one short line, a bad setting with exit code 1 and one line."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.metrics.support import Metrics, samples, web
from tests.support import ROOT
from tests.support.http import receive_response, request
from tests.support.master import (
    Load,
    Run,
    read_one,
    start_fixture,  # noqa: F401 - the `start` fixture
    wait_for,
)

Start = Callable[..., Run]


def test_two_workers_serve_from_two_pids(start: Start) -> None:
    run = start("--workers", "2")
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    seen: set[int] = set()

    def one() -> None:
        seen.add(int(run.get("/sleep?s=0.2")[1].decode().split("=")[1]))
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert seen == set(run.workers()), (seen, run.workers())


def test_kill_9_worker_under_load_is_replaced_at_once(start: Start) -> None:
    run = start("--workers", "1")
    with Load(run, connections=2) as load:
        load.wait_requests(100)
        (victim,) = run.workers()
        t0 = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: load.pids_after(t0) - {victim}, 5, "a response from the replacement")
        took = time.monotonic() - t0
        (replacement,) = load.pids_after(t0) - {victim}
        first = load.pids[replacement] - t0
        load.wait_requests(100)
    print(f"kill -9 -> first response from the replacement worker: {first * 1000:.0f} ms "
          f"({load.report()})")
    assert first < 1.0, f"the replacement answered {first:.2f} s after kill -9"
    assert took < 1.5
    assert run.proc.poll() is None
    run.wait_log(rf"Worker \(pid:{victim}\) was killed by signal SIGKILL")
    assert run.workers() == [replacement]


def test_every_exit_is_logged_with_its_reason(start: Start) -> None:
    run = start("--workers", "1")
    first = run.worker_pid()
    with run.connect() as s:  # the worker crashes with exit status 7 mid-request
        s.sendall(request("/exit?code=7"))
        assert read_one(s) is None
    run.wait_log(rf"Worker \(pid:{first}\) exited with code 7")
    second = run.worker_pid()
    assert second != first
    os.kill(second, signal.SIGSEGV)
    run.wait_log(rf"Worker \(pid:{second}\) was killed by signal SIGSEGV")
    third = run.worker_pid()
    assert third not in (first, second)


def test_stuck_worker_is_aborted_with_its_stack_and_request(start: Start,
                                                           tmp_path: Path) -> None:
    hooks = tmp_path / "hooks.log"
    run = start("--workers", "1", "--timeout", "2", "-c", str(ROOT / "tests/fixtures/hooks.conf.py"),
                env={"FW_HOOK_LOG": str(hooks)})
    stuck = run.worker_pid()
    mark = tmp_path / "running"
    sock = run.connect()
    sock.sendall(request(f"/hang?mark={mark}"))
    wait_for(mark.exists, what="the app to run /hang")
    t0 = time.monotonic()
    sock.settimeout(10)
    # As gunicorn's client: a 500 with Connection: close, then the end.
    raw = _all_bytes(sock)
    sock.close()
    took = time.monotonic() - t0
    assert raw.startswith(b"HTTP/1.1 500 Internal Server Error\r\n"), raw
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in head and body == b"500 Internal Server Error\n"
    assert took < 5, f"the stuck worker went after {took:.1f} s with --timeout 2"
    run.wait_log(rf"Worker \(pid:{stuck}\) timed out \(no heartbeat for 2s\) and was aborted")
    text = run.log_text()
    assert f"[CRITICAL] WORKER TIMEOUT (pid:{stuck})" in text
    m = re.search(rf"\[{stuck}\] \[CRITICAL\] WORKER TIMEOUT \(pid:{stuck}\) serving GET "
                  rf"/hang\?mark=\S+ from 127\.0\.0\.1:\d+ for (\d+\.\d) s", text)
    assert m, text
    assert 1.0 <= float(m.group(1)) <= 4.0
    trace = text[m.end():]
    assert "Thread MainThread" in trace
    assert 'master_apps.py", line' in trace and "time.sleep(3600)" in trace
    assert "master.py" not in trace.split("timed out")[0]  # the worker's own stack only
    assert f"worker_abort pid={stuck} Worker wpid={stuck}" in hooks.read_text()
    replacement = run.worker_pid()
    assert replacement != stuck


def _all_bytes(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (bounded by the socket's timeout)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_stuck_after_its_head_is_cut_not_answered_twice(start: Start) -> None:
    """A response whose head is already out when the app gets stuck (a
    streaming iterable) gets no second head: the connection just ends, so the
    client sees an incomplete response, never a wrong one; an idle keep-alive
    connection is closed with no bytes."""
    run = start("--workers", "1", "--timeout", "2")
    stuck = run.worker_pid()
    idle = run.connect()
    idle.sendall(request("/"))
    taken = receive_response(idle)
    assert taken is not None and taken[0].status == 200
    streaming = run.connect()
    streaming.sendall(request("/stream-hang"))
    streaming.settimeout(10)
    raw = _all_bytes(streaming)
    streaming.close()
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and raw.count(b"HTTP/1.1") == 1, raw
    assert raw.endswith(b"first\r\n"), raw  # chunked, and no last chunk: incomplete
    idle.settimeout(10)
    assert idle.recv(100) == b""
    idle.close()
    run.wait_log(rf"Worker \(pid:{stuck}\) timed out \(no heartbeat for 2s\) and was aborted")
    assert "answered" not in run.log_text()
    assert run.worker_pid() != stuck


def test_max_requests_recycles_workers_with_zero_failures(start: Start) -> None:
    run = start("--workers", "2", "--max-requests", "50", "--max-requests-jitter", "10")
    with Load(run, connections=4) as load:
        run.wait_log(r"Worker \(pid:\d+\) exited: max_requests reached", 6, seconds=20)
        load.wait_requests(50)
    print(f"max_requests recycling: {load.report()}")
    assert not load.failures, load.failures[:5]
    assert len(load.pids) >= 6
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")


def test_max_worker_memory_recycles_the_worker(start: Start) -> None:
    run = start("--workers", "1", "--max-worker-memory", "60")
    first = run.worker_pid()
    status, body = run.get("/alloc?mb=80")
    assert status == 200 and body == f"pid={first}".encode()
    run.wait_log(rf"Worker \(pid:{first}\) exited: max_worker_memory exceeded")
    assert run.worker_pid() != first


def _memory_cgroup(limit_mb: int) -> Iterator[Path]:
    """A fresh cgroup v1 memory cgroup under ours, limited to limit_mb."""
    with open("/proc/self/cgroup") as f:
        lines = f.read().splitlines()
    paths = [line.split(":", 2)[2] for line in lines if "memory" in line.split(":", 2)[1].split(",")]
    if not paths:
        pytest.skip("no cgroup v1 memory controller here")
    base = Path(f"/sys/fs/cgroup/memory{paths[0]}")
    cg = base / f"fastwsgi-test-{os.getpid()}"
    try:
        cg.mkdir()
        (cg / "memory.limit_in_bytes").write_text(str(limit_mb << 20))
    except OSError as exc:
        if cg.exists():
            cg.rmdir()
        pytest.skip(f"cannot make a memory cgroup: {exc}")
    try:
        yield cg
    finally:
        wait_for(lambda: not (cg / "cgroup.procs").read_text().strip(), 10, "an empty cgroup")
        cg.rmdir()


@pytest.fixture
def memory_cgroup() -> Iterator[Path]:
    yield from _memory_cgroup(200)


def test_oom_kill_is_named(start: Start, memory_cgroup: Path, tmp_path: Path) -> None:
    # The master starts inside the limited cgroup (its workers are forked there too).
    enter = ["sh", "-c", f'echo $$ > {memory_cgroup}/cgroup.procs && exec "$@"', "sh"]
    metrics = Metrics(None, tmp_path / "metrics.sock")  # type: ignore[arg-type]
    run = start("--workers", "1", "--metrics-bind", f"unix:{metrics.path}", prefix=enter)
    first = run.worker_pid()
    assert str(run.pid) in (memory_cgroup / "cgroup.procs").read_text().split()
    with run.connect() as s:
        s.sendall(request("/alloc?mb=400"))  # over the cgroup's 200 MB
        assert read_one(s) is None
    run.wait_log(rf"Worker \(pid:{first}\) was killed by the kernel's OOM killer")
    assert run.worker_pid() != first
    # /metrics counts it under its own reason, not as a crash.
    counts = samples(metrics.text())
    assert {r: counts[("fastwsgi_worker_restarts_total", web(reason=r))]
            for r in ("oom", "crash")} == {"oom": 1, "crash": 0}
    run.stop()


# ---- failures that stop the master ------------------------------------------------------


def _one_error_line(text: str) -> str:
    """The one line that says what failed (beside gunicorn's "Shutting down: Master")."""
    errors = [line for line in text.splitlines()
              if ("[ERROR]" in line or "Error:" in line) and "Shutting down: Master" not in line]
    assert len(errors) == 1, text
    assert "Traceback" not in text, text
    return errors[0]


@pytest.mark.parametrize("app, expected", [
    ("tests.apps.no_such_module:app", "No module named 'tests.apps.no_such_module'"),
    ("tests.apps.master_apps:no_such_app", "Failed to find attribute 'no_such_app'"),
])
def test_bad_app_path_exits_4_with_one_short_line(start: Start, app: str, expected: str) -> None:
    run = start("--workers", "3", app=app)
    assert run.wait(10) == 4
    line = _one_error_line(run.log_text())
    assert expected in line
    # One try per worker, no respawn loop (a worker the halt stops before it
    # logged its "Booting worker" line is not counted).
    assert 1 <= len(run.booted()) <= 3


def test_app_raising_on_import_exits_4(start: Start, tmp_path: Path) -> None:
    marker = tmp_path / "broken"
    marker.write_text("")
    run = start("--workers", "2", env={"FW_FAIL_IMPORT": str(marker)})
    assert run.wait(10) == 4
    line = _one_error_line(run.log_text())
    assert "RuntimeError" in line and "broken deploy" in line


def test_bad_app_with_preload_and_check_config(start: Start) -> None:
    for flag in ("--preload", "--check-config"):
        run = start(flag, app="tests.apps.no_such_module:app", name=flag[2:])
        assert run.wait(10) == 4
        assert "No module named" in _one_error_line(run.log_text())
    ok = start("--check-config", name="check-ok")
    assert ok.wait(10) == 0
    assert ok.log_text() == ""


def test_worker_failing_to_boot_exits_3(start: Start, tmp_path: Path) -> None:
    conf = tmp_path / "boom.conf.py"
    conf.write_text("def post_fork(server, worker):\n    raise ValueError('no database')\n")
    run = start("--workers", "2", "-c", str(conf))
    assert run.wait(10) == 3
    text = run.log_text()
    assert "ValueError: no database" in text
    # gunicorn's two lines, at ERROR since the exit code is not 0.
    assert re.search(r"\[ERROR\] Shutting down: Master\n.*\[ERROR\] Reason: a worker failed "
                     r"to boot: ValueError: no database", text), text


def test_workers_dying_while_booting_are_not_respawned_forever(start: Start) -> None:
    run = start("--workers", "2", env={"FW_EXIT_ON_IMPORT": "1"})
    assert run.wait(10) == 3
    text = run.log_text()
    assert "exited before they were ready; the last one exited before it was ready " \
        "(exit code 9)" in text, text
    assert len(run.booted()) <= 12


@pytest.mark.parametrize("args, env, setting, code", [
    # A flag's bad value is a usage error (2, as gunicorn's argparse); a file's is 1.
    (["--workers", "lots"], {}, "workers", 2),
    (["--timeout", "-3"], {}, "timeout", 2),
    ([], {"GUNICORN_CMD_ARGS": "--keep-alive soon"}, "keepalive", 2),
    (["-c", "CONF"], {}, "graceful_timeout", 1),
])
def test_bad_config_value_exits_naming_the_setting(start: Start, tmp_path: Path,
                                                  args: list[str], env: dict[str, str],
                                                  setting: str, code: int) -> None:
    conf = tmp_path / "bad.conf.py"
    conf.write_text("graceful_timeout = 'a while'\n")
    args = [str(conf) if a == "CONF" else a for a in args]
    run = start(*args, env=env)
    assert run.wait(10) == code
    lines = run.log_text().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ") and repr(setting) in lines[0]
