"""Supervisor mode: each place of an in-process WSGI program (``web:web_00``,
``web:web_01``, as supervisorctl names them) counts its own restarts, by why
its worker went, in /metrics and on the status page.

Driven from outside, as an operator would: a kill -9 of one place's worker
(the pid from the stock supervisorctl), a worker that reaches max_requests
on a keep-alive connection, a `supervisorctl signal HUP` (every place gets a
reload's new worker), and a `stop`/`start` of one place (an operator's start,
not a replacement).  After each step the counts of every place and reason
are compared whole, so a replacement counted twice, for the wrong place or
under the wrong reason fails."""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import socket
from collections import Counter
from pathlib import Path

from fastwsgi.control.supervised import RESTART_REASONS, RestartCounter
from tests.metrics.support import samples
from tests.support import TIMEOUT, wait_for
from tests.support.server import free_port
from tests.support.supervisor_master import PASSWORD, USER, Daemon, Site, running

SITE = Site(inet=True)
PROGRAMS = """\
[program:web]
command=fastwsgi tests.apps.metrics_apps:app --bind 127.0.0.1:{app_port} --workers 2 --max-requests 3
startsecs=0
"""
PLACES = ("web_00", "web_01")
# Every reason a place's restarts are shown with (the supervisor's, then its worker's).
REASONS = ("exit", "crash", "backoff", "manual", "timeout", "max_requests", "memory", "oom",
           "killed", "reload", "orphaned", "boot_failure")


def _get(port: int, target: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        conn.request("GET", target, headers={"Authorization": f"Basic {token}"})
        answer = conn.getresponse()
        body = answer.read().decode()
        assert answer.status == 200, body
        return body
    finally:
        conn.close()


def _restarts(port: int) -> dict[str, dict[str, float]]:
    """fastwsgi_program_restarts_total of each place, by reason."""
    out: dict[str, dict[str, float]] = {}
    for (name, labels), value in samples(_get(port, "/metrics")).items():
        tags = dict(labels)
        if name == "fastwsgi_program_restarts_total" and tags["group"] == "web":
            out.setdefault(tags["program"], {})[tags["reason"]] = value
    return out


def _expect(**counts: dict[str, int]) -> dict[str, dict[str, float]]:
    return {place: {reason: float(counts.get(place, {}).get(reason, 0)) for reason in REASONS}
            for place in PLACES}


def _pids(daemon: Daemon) -> dict[str, int]:
    """The places' pids as supervisorctl shows them (RUNNING ones only)."""
    out, _ = daemon.ctl("status")
    pids = {}
    for line in out.splitlines():
        found = re.match(r"web:(web_\d+)\s+RUNNING\s+pid (\d+),", line)
        if found:
            pids[found.group(1)] = int(found.group(2))
    return pids


def _all_new(daemon: Daemon, old: dict[str, int], places: tuple[str, ...]) -> dict[str, int]:
    """Wait until `places` are RUNNING with pids other than `old`'s, the rest unchanged."""
    def settled() -> bool:
        now = _pids(daemon)
        return set(now) == set(PLACES) and all(
            (now[p] != old[p]) == (p in places) for p in PLACES)
    wait_for(settled, TIMEOUT * 2, f"{places} to run new workers")
    return _pids(daemon)


def _get_app(port: int, requests: int) -> None:
    """`requests` requests on one keep-alive connection (one worker serves them)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        for _ in range(requests):
            s.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            got = b""
            while not got.endswith(b"hello"):
                chunk = s.recv(4096)
                assert chunk, got
                got += chunk
            assert got.startswith(b"HTTP/1.1 200"), got


def test_each_place_counts_its_restarts_by_reason(tmp_path: Path) -> None:
    app_port = free_port()
    with running("fastwsgi", tmp_path / "site", PROGRAMS.format(app_port=app_port),
                 SITE) as daemon:
        port = daemon.inet_port
        wait_for(lambda: set(_pids(daemon)) == set(PLACES), TIMEOUT * 2, "web's workers")
        pids = _pids(daemon)
        assert _restarts(port) == _expect()

        # kill -9 of web_01's worker: a crash of web_01, replaced under its name.
        os.kill(pids["web_01"], signal.SIGKILL)
        pids = _all_new(daemon, pids, ("web_01",))
        assert _restarts(port) == _expect(web_01={"crash": 1})
        page = _get(port, "/")
        assert re.search(r'data-program="web:web_01">.*?<td title="crash 1">1</td>', page), page

        # Three requests on one connection: that worker reaches max_requests.
        _get_app(app_port, 3)
        before = pids
        wait_for(lambda: len(set(_pids(daemon).values()) - set(before.values())) == 1,
                 TIMEOUT * 2, "the worker that reached max_requests to be replaced")
        pids = _pids(daemon)
        (recycled,) = (p for p in PLACES if pids[p] != before[p])
        expected = {"web_01": {"crash": 1}}
        expected.setdefault(recycled, {})["max_requests"] = 1
        assert _restarts(port) == _expect(**expected)

        # HUP: every place gets the reload's new worker.
        out, code = daemon.ctl("signal", "HUP", "web")
        assert code == 0, out
        pids = _all_new(daemon, pids, PLACES)
        for place in PLACES:
            expected.setdefault(place, {})["reload"] = 1
        assert _restarts(port) == _expect(**expected)

        # stop/start of one place: an operator's start, not a replacement.
        for action in ("stop", "start"):
            out, code = daemon.ctl(action, "web:web_00")
            assert code == 0, out
        _all_new(daemon, pids, ("web_00",))
        expected["web_00"]["manual"] = 1
        assert _restarts(port) == _expect(**expected)

        # The program-wide series count the workers' exits the same way.
        s = samples(_get(port, "/metrics"))
        app = {reason: s[("fastwsgi_worker_restarts_total", (("app", "web"), ("reason", reason)))]
               for reason in ("crash", "max_requests")}
        assert app == {"crash": 1, "max_requests": 1}
        for place in PLACES:
            labels = (("group", "web"), ("program", place))
            assert s[("fastwsgi_program_state", labels + (("state", "RUNNING"),))] == 1
            assert s[("fastwsgi_program_up", labels)] == 1
            assert s[("fastwsgi_program_uptime_seconds", labels)] >= 0


class _Place:
    """What the counter reads of a WSGI program's place."""

    def __init__(self, **replacements: int) -> None:
        self.replacements = Counter(replacements)


def test_counts_of_a_place_survive_an_update_that_replaces_it() -> None:
    counter = RestartCounter()
    place = _Place(crash=2)
    assert counter.of("web", "web_00", place)["crash"] == 2
    place.replacements["crash"] += 1
    place.replacements["reload"] += 1
    assert counter.of("web", "web_00", place)["crash"] == 3
    assert counter.of("web", "web_00", place)["crash"] == 3  # a second look adds nothing
    new = _Place(timeout=1)  # update made the program again: its places count from 0
    got = counter.of("web", "web_00", new)
    assert (got["crash"], got["reload"], got["timeout"]) == (3, 1, 1)
    assert counter.of("web", "web_00")["crash"] == 3  # and are kept while it is gone
    assert set(counter.of("sleeper", "sleeper")) == set(RESTART_REASONS)
