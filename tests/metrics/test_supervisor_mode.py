"""Supervisor mode: /metrics, the status page and its buttons on the control
server ([inet_http_server] here, beside the [unix_http_server] the stock
supervisorctl talks to), behind the control server's credentials.

What is checked against what: the exposition through prometheus_client's
parser, and its states and pids against the stock supervisorctl's; restarts
by reason after a crash loop, a start that fails, an expected exit and an
operator's restart; the buttons in a real headless Chromium (with its
scripts and without them: a plain form POST), the program then STOPPED for
supervisorctl; a POST without the page's CSRF token, or with a wrong one or
another origin, refused with 403 and nothing changed; wrong credentials 401."""

from __future__ import annotations

import base64
import http.client
import os
import re
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.metrics.cdp import CHROMIUM, SKIP_REASON, Browser
from tests.metrics.support import samples
from tests.support import TIMEOUT, wait_for
from tests.support.server import free_port
from tests.support.supervisor_master import PASSWORD, USER, Daemon, Site, running

SCREENSHOT_DIR = Path(os.environ.get("FASTWSGI_SCREENSHOT_DIR", ""))
SITE = Site(inet=True, supervisord="identifier=site\n")
PROGRAMS = """\
[program:sleeper]
command=/bin/sh -c "echo hello from sleeper; exec sleep 1000"
startsecs=0
stdout_logfile=%(here)s/sleeper.out

[program:victim]
command=sleep 1000
startsecs=0

[program:manual]
command=sleep 1000
autostart=false

[group:grp]
programs=pair

[program:pair]
command=sleep 1000
process_name=%(program_name)s_%(process_num)02d
numprocs=2
startsecs=0
"""

# Programs whose restarts have a known reason, each bounded (the crash loop
# and the failing start give up: autorestart, startretries).
RESTARTING = """
[program:crasher]
command=/bin/sh -c "sleep 0.2; exit 3"
startsecs=0
autorestart=unexpected
exitcodes=0

[program:finisher]
command=/bin/sh -c "sleep 0.2; exit 0"
startsecs=0
autorestart=true

[program:failer]
command=/bin/sh -c "exit 1"
startsecs=5
startretries=2
"""


class Control:
    """The daemon, and an HTTP client for its inet control server."""

    def __init__(self, daemon: Daemon) -> None:
        assert daemon.inet_port is not None, "the site has no [inet_http_server]"
        self.daemon = daemon
        self.port = daemon.inet_port
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method: str, target: str, body: bytes = b"",
                auth: tuple[str, str] | None = (USER, PASSWORD),
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            sent = dict(headers or {})
            if auth is not None:
                token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                sent["Authorization"] = f"Basic {token}"
            if body:
                sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            conn.request(method, target, body=body or None, headers=sent)
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    def get(self, target: str, **kw: object) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", target, **kw)  # type: ignore[arg-type]

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        code, _, body = self.get("/metrics")
        assert code == 200, body
        return samples(body.decode())

    def page(self) -> str:
        code, _, body = self.get("/")
        assert code == 200, body
        return body.decode()

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page())
        assert found, "the page has no CSRF token"
        return found.group(1)

    def post(self, program: str, action: str, token: str | None, **kw: object
             ) -> tuple[int, dict[str, str], bytes]:
        body = urlencode({"csrf": token}).encode() if token is not None else b""
        return self.request("POST", f"/programs/{program}/{action}", body=body,
                            **kw)  # type: ignore[arg-type]

    def states(self) -> dict[str, str]:
        return self.daemon.states()


@pytest.fixture
def control(supervisor_master: Callable[..., Daemon], tmp_path: Path) -> Control:
    ctl = Control(supervisor_master(PROGRAMS, SITE, directory=tmp_path / "site"))
    wait_for(lambda: ctl.states()["victim"] == "RUNNING" and
             ctl.states()["grp:pair_01"] == "RUNNING", TIMEOUT, "the programs to run")
    return ctl


def _labels(program: str, group: str | None = None, **more: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"program": program, "group": group or program, **more}.items()))


def _ctl_status(daemon: Daemon) -> dict[str, tuple[str, str]]:
    """supervisorctl status: name -> (state, pid or "")."""
    out, _ = daemon.ctl("status")
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pid = re.search(r"pid (\d+),", line)
            rows[parts[0]] = (parts[1], pid.group(1) if pid else "")
    return rows


def test_metrics_and_page_agree_with_supervisorctl(control: Control) -> None:
    status = _ctl_status(control.daemon)
    assert set(status) == {"sleeper", "victim", "manual", "grp:pair_00", "grp:pair_01"}, status
    s = control.metrics()
    page = control.page()
    for spec, (state, pid) in status.items():
        group, _, name = spec.rpartition(":")
        labels = _labels(name, group or None)
        current = [k[1] for k in s if k[0] == "fastwsgi_program_state" and s[k] == 1
                   and dict(k[1])["program"] == name and dict(k[1])["group"] == (group or name)]
        assert len(current) == 1 and dict(current[0])["state"] == state, (spec, current)
        assert s[("fastwsgi_program_pid", labels)] == (int(pid) if pid else 0)
        assert s[("fastwsgi_program_up", labels)] == (state == "RUNNING")
        row = re.search(rf'<tr class="program state-(\w+)" data-program="{re.escape(spec)}">'
                        rf'.*?<td class="pid">(\d*)</td>', page)
        assert row is not None, spec
        assert row.group(1) == state and row.group(2) == pid, (spec, row.groups())
        for action in ("start", "stop", "restart"):
            assert f'action="/programs/{spec}/{action}"' in page
    assert s[("fastwsgi_program_uptime_seconds", _labels("manual"))] == 0
    assert s[("fastwsgi_master_uptime_seconds", ())] >= 0
    code, _, tail = control.get("/programs/sleeper/tail")
    assert code == 200 and b"hello from sleeper" in tail
    assert control.get("/programs/nosuch/tail")[0] == 404


def test_openmetrics_parses_too(control: Control) -> None:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    code, headers, body = control.get("/metrics", headers={
        "Accept": "application/openmetrics-text; version=1.0.0"})
    assert code == 200 and headers["content-type"].startswith("application/openmetrics-text")
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert {"fastwsgi_program_state", "fastwsgi_program_restarts",
            "fastwsgi_program_uptime_seconds"} <= names


def test_wrong_credentials_are_refused(control: Control) -> None:
    token = control.csrf()
    for auth in (None, (USER, "wrong"), ("nobody", PASSWORD)):
        assert control.get("/", auth=auth)[0] == 401
        assert control.get("/metrics", auth=auth)[0] == 401
        assert control.get("/status.json", auth=auth)[0] == 401
        code, headers, _ = control.post("victim", "stop", token, auth=auth)
        assert code == 401 and headers["www-authenticate"].startswith("Basic")
    assert control.states()["victim"] == "RUNNING"


def test_a_post_without_the_csrf_token_changes_nothing(control: Control) -> None:
    token = control.csrf()
    before = control.daemon.call("supervisor.getProcessInfo", "victim")["pid"]
    assert control.post("victim", "stop", None)[0] == 403
    wrong = ("y" if token[0] == "x" else "x") + token[1:]  # one character off
    assert control.post("victim", "stop", wrong)[0] == 403
    assert control.post("victim", "stop", "")[0] == 403
    assert control.post("victim", "restart", token[:-1])[0] == 403
    # The right token from another site's page: the browser says where it came from.
    assert control.post("victim", "stop", token,
                        headers={"Origin": "http://evil.example"})[0] == 403
    info = control.daemon.call("supervisor.getProcessInfo", "victim")
    assert info["statename"] == "RUNNING" and info["pid"] == before
    # And with it, the same request works: the refusals above were the token's.
    code, headers, _ = control.post("victim", "stop", token)
    assert code == 303 and headers["location"].startswith("/?outcome=")
    assert control.states()["victim"] == "STOPPED"
    assert "stop victim: OK" in control.get(headers["location"])[2].decode()


def test_buttons_start_restart_and_report_supervisors_faults(control: Control) -> None:
    token = control.csrf()
    json_accept = {"Accept": "application/json"}
    code, _, body = control.post("manual", "start", token, headers=json_accept)
    assert code == 200 and b'"result": "OK"' in body
    assert control.states()["manual"] == "RUNNING"
    code, _, body = control.post("manual", "start", token, headers=json_accept)
    assert b"ALREADY_STARTED" in body
    old = control.daemon.call("supervisor.getProcessInfo", "grp:pair_00")["pid"]
    code, _, body = control.post("grp:pair_00", "restart", token, headers=json_accept)
    assert code == 200 and b'"result": "OK"' in body, body
    info = control.daemon.call("supervisor.getProcessInfo", "grp:pair_00")
    assert info["statename"] == "RUNNING" and info["pid"] != old
    s = control.metrics()
    assert s[("fastwsgi_program_restarts_total", _labels("pair_00", "grp", reason="manual"))] == 1
    assert s[("fastwsgi_program_restarts_total", _labels("pair_01", "grp", reason="manual"))] == 0
    assert control.post("nosuch", "stop", token)[0] == 303
    assert b"BAD_NAME" in control.post("nosuch", "stop", token, headers=json_accept)[2]


def test_restarts_are_counted_by_reason(tmp_path: Path) -> None:
    with running("fastwsgi", tmp_path / "site", PROGRAMS + RESTARTING, SITE) as daemon:
        ctl = Control(daemon)

        def restarts(name: str, reason: str) -> float:
            return ctl.metrics()[("fastwsgi_program_restarts_total",
                                  _labels(name, reason=reason))]
        # failer dies before its startsecs: retried twice (startretries), then FATAL.
        wait_for(lambda: ctl.states()["failer"] == "FATAL", TIMEOUT * 2, "failer to be FATAL")
        assert restarts("failer", "backoff") == 2
        assert restarts("failer", "crash") == restarts("failer", "exit") == 0
        wait_for(lambda: restarts("crasher", "crash") >= 2, TIMEOUT, "crasher to crash twice")
        wait_for(lambda: restarts("finisher", "exit") >= 2, TIMEOUT, "finisher to exit twice")
        s = ctl.metrics()
        assert s[("fastwsgi_program_restarts_total", _labels("crasher", reason="exit"))] == 0
        assert s[("fastwsgi_program_restarts_total", _labels("finisher", reason="crash"))] == 0
        assert s[("fastwsgi_program_restarts_total", _labels("sleeper", reason="crash"))] == 0
        assert s[("fastwsgi_program_exit_status", _labels("failer"))] == 0  # never RUNNING
        assert s[("fastwsgi_program_state", _labels("failer", state="FATAL"))] == 1
        # Counters never go down across a stop (and a start is an operator's).
        daemon.ctl("stop", "crasher")
        daemon.ctl("start", "failer")
        wait_for(lambda: ctl.states()["failer"] == "FATAL", TIMEOUT * 2, "failer FATAL again")
        assert restarts("failer", "manual") == 1 and restarts("failer", "backoff") == 4
        assert restarts("crasher", "crash") >= 2


def _wait_stopped(control: Control, name: str) -> None:
    wait_for(lambda: control.states()[name] == "STOPPED", TIMEOUT, f"{name} to be STOPPED")
    assert _ctl_status(control.daemon)[name][0] == "STOPPED"


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
@pytest.mark.parametrize("scripts", [True, False], ids=["javascript", "plain-form"])
def test_stop_button_in_headless_chromium(control: Control, tmp_path: Path,
                                          scripts: bool) -> None:
    with Browser(tmp_path / "profile") as browser:
        browser.basic_auth(USER, PASSWORD)
        browser.javascript(scripts)
        browser.navigate(control.base + "/")
        button = 'tr[data-program="victim"] button[value="stop"]'
        wait_for(lambda: 'data-program="victim"' in browser.html(), TIMEOUT, "the page")
        if scripts:
            wait_for(lambda: re.search(r'data-refreshed="[1-9]', browser.html()), TIMEOUT,
                     "status.js to refresh the table")
        # A click that lands while status.js swaps the table in is lost: click
        # again until supervisor saw one (a second stop would say NOT_RUNNING).
        for _ in range(5):
            if not browser.click(button):
                continue
            try:
                wait_for(lambda: control.states()["victim"] in ("STOPPING", "STOPPED"), 5,
                         "the click to stop victim")
                break
            except AssertionError:
                continue
        _wait_stopped(control, "victim")
        wait_for(lambda: "stop victim: OK" in browser.html(), TIMEOUT, "the outcome on the page")
        # The page shows it too (refreshed by status.js, or after the form's redirect).
        wait_for(lambda: re.search(r'data-program="victim"><td>victim</td>'
                                   r'<td class="state">STOPPED', browser.html()), TIMEOUT,
                 "the page to show victim STOPPED")
        assert control.states()["sleeper"] == "RUNNING"  # only the one clicked
        browser.screenshot(tmp_path / "programs.png")
        assert (tmp_path / "programs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if SCREENSHOT_DIR.name:
            kind = "js" if scripts else "nojs"
            shutil.copy(tmp_path / "programs.png", SCREENSHOT_DIR / f"status-programs-{kind}.png")


WSGI = """
[program:web]
command=fastwsgi tests.apps.metrics_apps:app --bind 127.0.0.1:{app_port} --workers 2
startsecs=0
"""


def test_in_process_wsgi_programs_workers_are_on_metrics_and_page(tmp_path: Path) -> None:
    app_port = free_port()
    programs = PROGRAMS + WSGI.format(app_port=app_port)
    with running("fastwsgi", tmp_path / "site", programs, SITE) as daemon:
        ctl = Control(daemon)
        names = ("web:web_00", "web:web_01")
        wait_for(lambda: all(ctl.states().get(n) == "RUNNING" for n in names), TIMEOUT * 2,
                 "the WSGI program's workers")
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", app_port), timeout=TIMEOUT) as s:
                s.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                assert s.recv(4096).startswith(b"HTTP/1.1 200")
        app = (("app", "web"),)
        wait_for(lambda: ctl.metrics().get(("fastwsgi_http_requests_total", app)) == 5, TIMEOUT,
                 "the five requests counted")
        s = ctl.metrics()
        workers = {dict(k[1])["pid"] for k in s if k[0] == "fastwsgi_worker_http_requests_total"
                   and dict(k[1])["app"] == "web"}
        status = _ctl_status(daemon)
        assert workers == {status[n][1] for n in names}, (workers, status)
        assert s[("fastwsgi_workers", (("app", "web"), ("state", "idle")))] == 2
        assert s[("fastwsgi_workers_configured", app)] == 2
        page = ctl.page()
        assert '<h2>App web</h2>' in page
        for pid in workers:
            assert f'data-pid="{pid}"' in page
