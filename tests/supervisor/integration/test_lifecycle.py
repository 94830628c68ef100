"""Supervisor mode with real processes: the state machine's rules, observed from outside."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.supervisor.integration.harness import Master, alive, head
from tests.support import wait_for


def test_a_program_that_exits_at_once_ends_fatal_after_startretries(tmp_path: Path) -> None:
    m = Master(tmp_path, head(tmp_path) + "[program:bad]\ncommand=/bin/false\nstartretries=2\n"
               "[program:good]\ncommand=/bin/sleep 60\nstartsecs=0\n")
    try:
        assert m.wait_log(r"gave up: bad entered FATAL state, too many start retries")
        assert len(m.pids("bad")) == 3  # the first try and 2 retries
        assert "exited: bad (exit status 1; not expected)" in m.log
        assert m.proc.poll() is None  # off by default: the master keeps running
    finally:
        assert m.stop() == 0


def test_fatal_exits_master_when_asked(tmp_path: Path) -> None:
    m = Master(tmp_path, head(tmp_path) + "[program:bad]\ncommand=/bin/false\nstartretries=0\n"
               "fatal_exits_master=true\n[program:good]\ncommand=/bin/sleep 60\n")
    try:
        assert m.proc.wait(10) == 1
        good = m.pids("good")
        assert good and not alive(good[0])
        assert "bad is FATAL and has fatal_exits_master=true: shutting down" in m.log
    finally:
        m.stop()


def test_autorestart_unexpected_follows_exitcodes(tmp_path: Path) -> None:
    body = ("[program:expected]\ncommand=/bin/sh -c 'echo x >> %(here)s/expected.runs; exit 2'\n"
            "exitcodes=0,2\nstartsecs=0\n"
            "[program:unexpected]\n"
            "command=/bin/sh -c 'echo x >> %(here)s/unexpected.runs; sleep 0.2; exit 3'\n"
            "exitcodes=0,2\nstartsecs=0\n")
    m = Master(tmp_path, head(tmp_path) + body)
    try:
        assert m.wait_log(r"exited: unexpected \(exit status 3; not expected\)", count=3)
        assert "exited: expected (exit status 2; expected)" in m.log
        assert len(m.pids("unexpected")) >= 3
        assert (tmp_path / "expected.runs").read_text() == "x\n"  # never restarted
    finally:
        assert m.stop() == 0


TRAPPER = ("/bin/sh -c 'echo start %(program_name)s $$ >> %(here)s/order; "
           "trap \"echo stop %(program_name)s >> %(here)s/order; exit 0\" TERM; "
           "while :; do sleep 0.05; done'")


def test_priorities_order_start_and_stop(tmp_path: Path) -> None:
    body = "".join(f"[program:{name}]\ncommand={TRAPPER}\npriority={prio}\nstartsecs=0\n"
                   for name, prio in (("b", 20), ("c", 30), ("a", 10)))
    m = Master(tmp_path, head(tmp_path) + body)
    order = tmp_path / "order"
    try:
        assert wait_for(lambda: order.exists() and order.read_text().count("start") == 3)
    finally:
        assert m.stop() == 0
    lines = order.read_text().split("\n")
    starts = sorted((int(line.split()[2]), line.split()[1]) for line in lines
                    if line.startswith("start"))
    assert [name for _, name in starts] == ["a", "b", "c"]  # forked low priority first
    assert [line for line in lines if line.startswith("stop")] == ["stop c", "stop b", "stop a"]


def grandchild_conf(tmp_path: Path, stopasgroup: bool) -> str:
    return head(tmp_path) + (
        "[program:parent]\ncommand=/bin/sh -c '/bin/sleep 1000 & echo $! > %(here)s/gc.pid; "
        f"wait'\nstopasgroup={'true' if stopasgroup else 'false'}\nstartsecs=0\n")


def test_stopasgroup_leaves_no_grandchild(tmp_path: Path) -> None:
    m = Master(tmp_path, grandchild_conf(tmp_path, stopasgroup=True))
    gc = tmp_path / "gc.pid"
    try:
        assert wait_for(lambda: gc.exists() and gc.read_text().strip() != "")
        pid = int(gc.read_text())
        assert alive(pid)
    finally:
        assert m.stop() == 0
    assert not alive(pid)
    assert "stopped: parent (terminated by SIGTERM)" in m.log


def test_no_orphan_survives_even_without_stopasgroup(tmp_path: Path) -> None:
    """sh dies of TERM, its sleep would be orphaned under supervisord; not here."""
    m = Master(tmp_path, grandchild_conf(tmp_path, stopasgroup=False))
    gc = tmp_path / "gc.pid"
    try:
        assert wait_for(lambda: gc.exists() and gc.read_text().strip() != "")
        pid = int(gc.read_text())
    finally:
        assert m.stop() == 0
    assert not alive(pid)


def test_hup_applies_the_file_as_update_does(tmp_path: Path) -> None:
    one = ("[program:kept]\ncommand=/bin/sleep 100\nstartsecs=0\n"
           "[program:changed]\ncommand=/bin/sleep 100\nstartsecs=0\n"
           "[program:removed]\ncommand=/bin/sleep 100\nstartsecs=0\n")
    m = Master(tmp_path, head(tmp_path) + one)
    try:
        assert m.wait_log(r"success: (kept|changed|removed) entered RUNNING", count=3)
        kept, changed, removed = m.pids("kept")[0], m.pids("changed")[0], m.pids("removed")[0]
        m.conf.write_text(head(tmp_path) + "[program:kept]\ncommand=/bin/sleep 100\nstartsecs=0\n"
                          "[program:changed]\ncommand=/bin/sleep 101\nstartsecs=0\n"
                          "[program:added]\ncommand=/bin/sleep 100\nstartsecs=0\n")
        m.signal(signal.SIGHUP)
        assert m.wait_log(r"update: added \['added'\], changed \['changed'\], "
                          r"removed \['removed'\]")
        assert m.wait_log(r"spawned: 'added'")
        assert m.wait_log(r"spawned: 'changed'", count=2)
        assert alive(kept) and not alive(changed) and not alive(removed)
        # a broken file changes nothing
        m.conf.write_text(head(tmp_path) + "[program:kept]\ncommand=x\nstartsecs=never\n")
        m.signal(signal.SIGHUP)
        assert m.wait_log(r"could not reread config, nothing changed: .*startsecs = 'never'")
        assert alive(kept)
    finally:
        assert m.stop() == 0


def test_a_config_error_starts_nothing_and_says_where(tmp_path: Path) -> None:
    m = Master(tmp_path, head(tmp_path) + "[program:a]\ncommand=/bin/sleep 100\n"
               "stopsignal=NOPE\n")
    try:
        assert m.proc.wait(10) == 2
        assert m.proc.stderr is not None
        err = m.proc.stderr.read().decode()
        assert err == (f"Error: {m.conf}: [program:a] stopsignal = 'NOPE': "
                       "value 'NOPE' is not a valid signal name\n")
        assert m.log == ""
    finally:
        m.stop()


def test_container_style_everything_to_dev_stdout(tmp_path: Path) -> None:
    text = ("[supervisord]\nnodaemon=true\nlogfile=/dev/stdout\nlogfile_maxbytes=0\n"
            f"pidfile={tmp_path}/sd.pid\n"
            "[program:web]\ncommand=/bin/sh -c 'echo web says hi; echo web err >&2; sleep 100'\n"
            "stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=50MB\n"
            "stderr_logfile=/dev/stderr\nstderr_logfile_maxbytes=0\nlog_prefix=true\n"
            "[program:worker]\ncommand=/bin/sh -c 'echo worker line; sleep 100'\n"
            "stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n")
    m = Master(tmp_path, text, stdout=subprocess.PIPE)
    out = b""
    try:
        assert m.proc.stdout is not None
        import os
        import select
        fd = m.proc.stdout.fileno()
        os.set_blocking(fd, False)

        def read_more() -> bool:
            nonlocal out
            if select.select([fd], [], [], 0.05)[0]:
                out += os.read(fd, 65536)
            return b"web | web says hi" in out and b"worker line" in out \
                and b"success: worker" in out
        assert wait_for(read_more)
    finally:
        assert m.stop() == 0
        assert m.proc.stderr is not None
    text_out = out.decode()
    assert "web | web says hi\n" in text_out and "\nworker line\n" in text_out
    assert "Illegal seek" not in text_out
