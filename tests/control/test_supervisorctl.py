"""The stock supervisorctl against fastwsgi and against the real supervisord,
on the same file: the same commands must give the same names, states, words
and effects (pids, times and random log names aside), and raw XML-RPC the
same fields. Then what only fastwsgi is asked to guarantee: the socket's
mode, refused credentials, and a hostile client that costs nothing."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
import xmlrpc.client
from typing import Any

import pytest

from tests.support import ROOT, TIMEOUT, wait_for
from tests.support.supervisor_master import PASSWORD, USER, Daemon, Site, running, tool

SITE = Site(sha=True, chmod="0660", supervisord="identifier=site\n")
PROGRAMS = """\
[program:sleeper]
command=/bin/sh -c "echo hello from sleeper; exec sleep 1000"
startsecs=0
stdout_logfile=%(here)s/sleeper.out
stderr_logfile=%(here)s/sleeper.err

[program:quick]
command=/bin/sh -c "exit 3"
startsecs=1
startretries=0

[program:manual]
command=sleep 1000
autostart=false
startsecs=0

[group:grp]
programs=a,b
priority=50

[program:a]
command=sleep 1000
process_name=%(program_name)s_%(process_num)02d
numprocs=2
startsecs=0

[program:b]
command=sleep 1000
startsecs=0
priority=5
"""

ADDED = """
[program:extra]
command=sleep 1000
startsecs=0
"""


def normalize(text: str) -> str:
    text = re.sub(r"pid \d+, uptime \d+:\d\d:\d\d", "pid N, uptime T", text)
    text = re.sub(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M", "DATE", text)
    return re.sub(r"\b\d{2,7}\b(?=\n|$)", "PID", text) if text.strip().isdigit() else text


def settled(daemon: Daemon) -> bool:
    states = daemon.states()
    return states.get("quick") == "FATAL" and states.get("sleeper") == "RUNNING" \
        and all(states[n] == "RUNNING" for n in ("grp:a_00", "grp:a_01", "grp:b"))


def sorted_lines(text: str) -> list[str]:
    return sorted(text.splitlines())


def scenario(daemon: Daemon) -> list[tuple[str, Any]]:
    """Every step's (name, comparable outcome)."""
    steps: list[tuple[str, Any]] = []
    assert wait_for(lambda: settled(daemon), TIMEOUT * 2), daemon.states()

    def ctl(name: str, *args: str, order: bool = True) -> str:
        out, code = daemon.ctl(*args)
        steps.append((name, (normalize(out) if order else sorted_lines(normalize(out)), code)))
        return out

    ctl("status", "status")
    ctl("status some", "status", "sleeper", "grp:*", "nope")
    pid = ctl("pid sleeper", "pid", "sleeper")
    steps.append(("pid is the child", int(pid) == daemon.call("supervisor.getProcessInfo", 
        "sleeper")["pid"] and int(pid) > 0))
    steps.append(("pid of the daemon", int(daemon.ctl("pid")[0]) == daemon.proc.pid))
    ctl("tail", "tail", "sleeper")
    ctl("tail stderr", "tail", "sleeper", "stderr")
    ctl("tail bad", "tail", "nope")
    ctl("stop group", "stop", "grp:*", order=False)
    ctl("status after stop", "status", "grp:*")
    ctl("stop again", "stop", "grp:b")
    ctl("start one", "start", "manual")
    ctl("start all", "start", "all", order=False)
    ctl("start bad", "start", "nope", "quick")
    old = daemon.call("supervisor.getProcessInfo", "sleeper")["pid"]
    ctl("restart", "restart", "sleeper")
    steps.append(("restart gave a new pid",
                  daemon.call("supervisor.getProcessInfo", "sleeper")["pid"] != old))
    old = daemon.call("supervisor.getProcessInfo", "grp:b")["pid"]
    ctl("signal", "signal", "HUP", "grp:b")
    ctl("signal bad", "signal", "NOPE", "grp:b")
    ctl("signal stopped", "signal", "HUP", "quick")
    # b dies of the HUP and autorestart=unexpected brings it back
    steps.append(("signal took effect", wait_for(
        lambda: daemon.call("supervisor.getProcessInfo", "grp:b")["pid"] not in (0, old))))
    ctl("avail", "avail")
    ctl("reread unchanged", "reread")
    daemon.write_conf((PROGRAMS + ADDED).replace("startretries=0", "startretries=1"))
    ctl("reread", "reread")
    ctl("update", "update", order=False)
    ctl("avail after update", "avail")
    assert wait_for(lambda: daemon.states().get("extra") == "RUNNING"
                    and daemon.states().get("quick") == "FATAL", TIMEOUT)
    ctl("status after update", "status")
    ctl("clear", "clear", "sleeper")
    ctl("version", "version")
    steps.extend(raw_rpc(daemon))
    ctl("stop all", "stop", "all", order=False)
    out, code = daemon.ctl("shutdown")
    steps.append(("shutdown", (out, code)))
    steps.append(("daemon exits", daemon.proc.wait(TIMEOUT * 2)))
    steps.append(("socket removed", not os.path.exists(daemon.socket)))
    return steps


CHANGING = {"pid", "start", "stop", "now", "description"}
LOG_FIELDS = {"logfile", "stdout_logfile", "stderr_logfile"}


def raw_rpc(daemon: Daemon) -> list[tuple[str, Any]]:
    def api(method: str, *params: Any) -> Any:
        return daemon.call("supervisor." + method, *params)
    here = str(daemon.conf.parent)

    def paths(value: Any) -> Any:
        # AUTO logs get random names; the rest is compared with the directory cut off
        if isinstance(value, str):
            value = value.replace(here, "HERE")
            return re.sub(r"---site-\w+\.log$", "---site-RANDOM.log", value)
        return value

    infos = [{k: paths(v) for k, v in info.items() if k not in CHANGING}
             for info in api("getAllProcessInfo")]
    configs = [{k: paths(v) for k, v in info.items()} for info in api("getAllConfigInfo")]
    faults = []
    for method, args in [("getProcessInfo", ("nope",)), ("startProcess", ("sleeper",)),
                         ("stopProcess", ("quick",)), ("signalProcess", ("sleeper", "NOPE")),
                         ("readProcessStdoutLog", ("sleeper", -5, 3)),
                         ("removeProcessGroup", ("sleeper",)), ("addProcessGroup", ("zz",))]:
        try:
            api(method, *args)
        except xmlrpc.client.Fault as exc:
            faults.append((method, exc.faultCode, exc.faultString))
    multi = daemon.call("system.multicall", [
        {"methodName": "supervisor.getAPIVersion"},
        {"methodName": "supervisor.getProcessInfo", "params": ["nope"]}])
    return [("getAllProcessInfo", infos), ("getAllConfigInfo", configs),
            ("getState", api("getState")), ("getAPIVersion", api("getAPIVersion")),
            ("getIdentification", api("getIdentification")),
            ("tail", api("tailProcessStdoutLog", "sleeper", 0, 5)),
            ("readLog works", bool(api("readLog", 0, 0))),
            ("listMethods", daemon.call("system.listMethods")),
            ("faults", faults), ("multicall", multi)]


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Any]]]:
    tool("supervisord")
    out = {}
    for impl in ("supervisord", "fastwsgi"):
        with running(impl, tmp_path_factory.mktemp(impl), PROGRAMS, SITE) as daemon:
            out[impl] = scenario(daemon)
    return out


def test_same_as_supervisord(transcripts: dict[str, list[tuple[str, Any]]]) -> None:
    ours, theirs = transcripts["fastwsgi"], transcripts["supervisord"]
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    for (name, mine), (_, reference) in zip(ours, theirs, strict=True):
        assert mine == reference, f"{name}: fastwsgi {mine!r} != supervisord {reference!r}"


def test_effects_happened(transcripts: dict[str, list[tuple[str, Any]]]) -> None:
    steps = dict(transcripts["fastwsgi"])
    for check in ("pid is the child", "pid of the daemon", "restart gave a new pid",
                  "signal took effect", "socket removed"):
        assert steps[check] is True, check
    assert steps["daemon exits"] == 0
    assert "extra: added process group" in str(steps["update"])


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running("fastwsgi", tmp_path_factory.mktemp("ours"), PROGRAMS, SITE) as daemon:
        yield daemon


def test_socket_mode(ours: Daemon) -> None:
    mode = os.stat(ours.socket).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660


def test_wrong_credentials_refused(ours: Daemon) -> None:
    for user, password in [(USER, "wrong"), ("root", PASSWORD)]:
        out, code = ours.ctl("-u", user, "-p", password, "status")
        # (supervisorctl then retries the command once more and prints that
        # second 401 as an error: it does the same against supervisord)
        assert out.splitlines()[0] == "Server requires authentication" and code != 0
        assert "RUNNING" not in out
    with pytest.raises(xmlrpc.client.ProtocolError) as info:
        ours.call("supervisor.getState", auth=None)
    assert info.value.errcode == 401


def test_tail_follow(ours: Daemon) -> None:
    proc = subprocess.Popen(ours.ctl_argv("tail", "-f", "sleeper"), stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "==> Press Ctrl-C to exit <=="
        assert "hello from sleeper" in proc.stdout.readline()
        with open(ours.conf.parent / "sleeper.out", "a") as log:
            log.write("appended line\n")
        assert proc.stdout.readline().strip() == "appended line"
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
        if proc.stdout is not None:
            proc.stdout.close()


def test_hostile_clients_cost_nothing(ours: Daemon) -> None:
    """Slow heads, a huge body and garbage, all at once, while supervisorctl
    status keeps answering at once."""
    hostile = []
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX)
        s.connect(ours.socket)
        s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        hostile.append(s)
    big = socket.socket(socket.AF_UNIX)
    big.connect(ours.socket)
    big.sendall(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n")
    hostile.append(big)
    junk = socket.socket(socket.AF_UNIX)
    junk.connect(ours.socket)
    junk.sendall(os.urandom(4096))
    hostile.append(junk)
    try:
        for _ in range(3):
            t0 = time.monotonic()
            out, _ = ours.ctl("status", "sleeper")
            assert "RUNNING" in out and time.monotonic() - t0 < 5
            for s in hostile[:10]:
                s.sendall(b"X")  # the trickle goes on
        t0 = time.monotonic()
        for _ in range(20):
            ours.call("supervisor.getState")
        assert time.monotonic() - t0 < 2
    finally:
        for s in hostile:
            s.close()


# A step is one command, or a list of commands that leaves the state as it found it.
CTL_SEQUENCE: list[Any] = [
    ["status"], ["status", "sleeper", "grp:*", "nope", "zz:*"], ["pid"], ["pid", "sleeper"],
    ["pid", "nope"], ["avail"], ["tail", "sleeper"], ["tail", "-5", "sleeper"],
    ["tail", "sleeper", "stderr"], ["tail", "nope"], ["tail", "sleeper", "bogus"],
    ["maintail", "-1"], ["signal", "NOPE", "grp:b"], ["signal", "HUP"], ["start", "sleeper"],
    ["start"], ["start", "nope"], ["start", "zz:*"], ["stop", "manual"],
    [["stop", "grp:*"], ["start", "grp:*"]], ["restart", "sleeper"], ["stop", "nope", "quick"], ["reread"],
    ["clear", "nope"], ["version"], ["help", "status"], ["bogus"], ["remove", "sleeper"],
    ["add", "sleeper"], ["update", "nope"],
]


def test_fastwsgi_ctl_speaks_like_supervisorctl(ours: Daemon) -> None:
    """Each command through the stock supervisorctl, then through fastwsgi ctl:
    the same output (pids and times aside) and exit status."""
    assert wait_for(lambda: settled(ours), TIMEOUT)
    ctl = [sys.executable, "-m", "fastwsgi", "ctl", "-c", str(ours.conf)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for step in CTL_SEQUENCE:
        commands = step if isinstance(step[0], list) else [step]
        reference = [ours.ctl(*args) for args in commands]
        assert wait_for(lambda: settled(ours), TIMEOUT)
        mine = []
        for args in commands:
            done = subprocess.run([*ctl, *args], capture_output=True, text=True, timeout=30,
                                  check=False, env=env)
            mine.append((done.stdout + done.stderr, done.returncode))
        # (lines sorted: processes that settle together may be told in either order)
        assert [(sorted_lines(normalize(out)), code) for out, code in mine] == \
            [(sorted_lines(normalize(out)), code) for out, code in reference], \
            (step, mine, reference)
        assert wait_for(lambda: settled(ours), TIMEOUT)
