"""The status page: served by the master while the workers are saturated,
a plain table without JavaScript, live in headless Chromium (Debian's
`chromium`; skipped loudly without it), with a screenshot taken."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.metrics.support import metrics_server, samples, web
from tests.support import run_server, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT_DIR = Path(os.environ.get("FASTWSGI_SCREENSHOT_DIR", ""))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_page_and_metrics_answer_while_every_worker_is_busy(tmp_path: Path) -> None:
    with metrics_server(tmp_path, "--workers", "1", "--timeout", "30") as m:
        m.wait_workers(1)
        stuck = []
        try:
            # The only worker sleeps in the app; more requests wait in the
            # listen backlog, where the kernel counts them.  (They connect
            # once it is busy: an idle worker would accept them.)
            def connect() -> None:
                s = socket.create_connection(m.server.address, timeout=10)
                s.sendall(b"GET /sleep?ms=4000 HTTP/1.1\r\nHost: t\r\n\r\n")
                stuck.append(s)
            connect()
            assert wait_for(lambda: samples(m.text())[
                ("fastwsgi_workers", web(state="busy"))] == 1, 5)
            for _ in range(3):
                connect()
            started = time.monotonic()
            code, _, body = m.get("/")
            text = m.text()
            took = time.monotonic() - started
        finally:
            for s in stuck:
                s.close()
        assert code == 200 and took < 1.0, took
        assert b'class="worker state-busy"' in body
        s = samples(text)
        assert s[("fastwsgi_http_requests_in_flight", web())] == 1
        where = web(listener=f"127.0.0.1:{m.server.port}")
        assert s[("fastwsgi_listen_backlog", where)] >= 2
        assert s[("fastwsgi_listen_backlog_limit", where)] == 1024


def test_page_without_javascript_is_a_table_and_hides_secrets(tmp_path: Path) -> None:
    env_secret = "s3cr3t-env-value"
    with metrics_server(tmp_path, "--workers", "2", "-e", f"API_TOKEN={env_secret}") as m:
        workers = m.wait_workers(2)
        code, headers, body = m.get("/")
        assert code == 200
        page = body.decode()
        assert "Content-Security-Policy" in {k.title(): v for k, v in headers.items()} or \
            "content-security-policy" in headers
        for w in workers:
            assert f'data-pid="{w["pid"]}"' in page
        assert "<table" in page and '<script src="/static/status.js"' in page
        assert env_secret not in page and "API_TOKEN" not in page
        assert env_secret not in m.get("/status.json")[2].decode()
        assert m.get("/static/status.css")[0] == 200
        assert m.get("/static/../status_page.py")[0] == 404


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium): "
                    "the status page is not checked in a browser")
def test_status_page_in_headless_chromium(tmp_path: Path) -> None:
    port = _free_port()
    with run_server("tests.apps.metrics_apps:app", "--workers", "2",
                    "--metrics-bind", f"127.0.0.1:{port}", tmp_path=tmp_path) as server:
        url = f"http://127.0.0.1:{port}/"

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False
        assert wait_for(up, 15), server.log_text()
        for _ in range(20):
            with server.connect() as s:
                s.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                s.recv(4096)
        base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900",
                "--virtual-time-budget=4000"]
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, timeout=60,
                             text=True, check=False).stdout
        pids = re.findall(r'data-pid="(\d+)"', dom)
        assert len(pids) == 2, dom[:2000]
        for pid in pids:
            assert Path(f"/proc/{pid}").exists()  # the rows are the live workers
        # status.js swapped in a fresh fragment (it fetches one every second).
        assert re.search(r'id="live"[^>]*data-refreshed="[1-9]', dom) or \
            re.search(r'data-refreshed="[1-9][^>]*id="live"', dom), dom[:2000]
        assert "<svg" in dom
        shot = tmp_path / "status.png"
        subprocess.run(base + [f"--screenshot={shot}", url], capture_output=True, timeout=60,
                       check=False)
        assert shot.exists() and shot.stat().st_size > 5000
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if SCREENSHOT_DIR.name:
            shutil.copy(shot, SCREENSHOT_DIR / "status-page.png")
