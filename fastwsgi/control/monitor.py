"""The master's monitoring service: a snapshot once a second, statsd
batches, and /metrics with the status page on an HTTP server.

In `fastwsgi app:app` mode the CLI attaches a `MonitorService` to the master
when `metrics_bind` or `statsd_host` is set (nothing is imported otherwise:
what the master imports is resident in every worker); the master starts it
in its loop before the first fork and stops it first when it stops; after a
HUP the master hands it the new configuration (`reconfigure`): metrics_bind,
metrics_auth, proc_name and the statsd settings take effect then.  The
HTTP server is control.http's, on its own listener (`metrics_bind`, bound
before the first worker so that a bad address refuses to start), and runs
in the master: a page and /metrics answer while every worker is busy.

In supervisor mode the control server carries the same routes: `mount()`
puts them on it, with the programs' actions and log tails."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from fastwsgi._version import __version__
from fastwsgi.config.settings_metrics import parse_metrics_bind
from fastwsgi.control import metrics
from fastwsgi.control.auth import make_auth
from fastwsgi.control.http import HTTPServer, Request, Response
from fastwsgi.control.listen import bind_inet, bind_unix
from fastwsgi.control.snapshot import Monitor
from fastwsgi.control.statsd import StatsdSender
from fastwsgi.control.status_page import ProgramAction, StatusPage, TailReader
from fastwsgi.errors import HaltServer

INTERVAL = 1.0  # seconds between snapshots and statsd batches

log = logging.getLogger("fastwsgi.error")


def master_info(master: Any) -> Callable[[], dict[str, Any]]:
    """What the page and /metrics say of the master (no argv: it may hold secrets)."""
    def info() -> dict[str, Any]:
        started = getattr(master, "started_at", time.time())
        return {"pid": master.pid, "version": __version__, "started": started,
                "uptime": time.time() - started,
                "proc_name": str(getattr(master.cfg, "proc_name", "") or "")}
    return info


def metrics_handler(monitor: Monitor) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        openmetrics = metrics.wants_openmetrics(request.header("accept"))
        body = metrics.render(monitor.fresh(), openmetrics).encode()
        kind = metrics.OPENMETRICS_TYPE if openmetrics else metrics.PROMETHEUS_TYPE
        return Response(200, body, [("Cache-Control", "no-store")], content_type=kind)
    return handle


def mount(server: HTTPServer, monitor: Monitor, title: str = "fastwsgi",
          act: ProgramAction | None = None, tail: TailReader | None = None) -> StatusPage:
    """/metrics and the status page (/, /status.json, /static/, /programs/) on `server`."""
    server.route("/metrics", metrics_handler(monitor), methods=("GET", "HEAD"))
    page = StatusPage(monitor, title, act, tail)
    page.mount(server)
    return page


def _credentials(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise HaltServer("metrics_auth must be USER:PASSWORD", 1)
    return user, password


def _statsd_key(cfg: Any) -> tuple[Any, ...]:
    return (cfg.statsd_host, cfg.statsd_prefix, cfg.dogstatsd_tags, cfg.enable_backlog_metric)


def _statsd(cfg: Any) -> StatsdSender | None:
    if not cfg.statsd_host:
        return None
    return StatsdSender(cfg.statsd_host, cfg.statsd_prefix or "", cfg.dogstatsd_tags or "",
                        bool(cfg.enable_backlog_metric))


class _Overlay:
    """The new configuration, with the metrics server's settings of the old
    one (what is still in force after a refused rebind), so that the next
    HUP compares against what runs."""

    def __init__(self, cfg: Any, old: Any) -> None:
        self._cfg = cfg
        self._old = old

    def __getattr__(self, name: str) -> Any:
        if name in ("metrics_bind", "metrics_auth", "proc_name"):
            return getattr(self._old, name)
        return getattr(self._cfg, name)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class MonitorService:
    """Samples, sends statsd, serves metrics_bind; started and stopped by the master."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.monitor: Monitor | None = None
        self.statsd: StatsdSender | None = None
        self.http: HTTPServer | None = None
        self.sock: socket.socket | None = None
        self.task: asyncio.Task[None] | None = None
        self.address = ""
        self.master: Any = None
        self.page: StatusPage | None = None
        self._serving: set[asyncio.Task[None]] = set()

    def start(self, master: Any, apps: Callable[[], Iterable[tuple[str, Any]]] | None = None) -> None:
        cfg = self.cfg
        self.master = master
        self.monitor = Monitor(master_info(master), apps or (lambda: [("web", master)]))
        self.statsd = _statsd(cfg)
        if cfg.metrics_bind:
            self._bind(cfg.metrics_bind, cfg.metrics_auth)
            self._mount()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def _mount(self) -> None:
        assert self.http is not None and self.monitor is not None
        self.page = mount(self.http, self.monitor, str(self.cfg.proc_name or "fastwsgi"))
        log.info("Metrics and status page at: http://%s/ (%d)", self.address, self.master.pid)

    def reconfigure(self, cfg: Any) -> None:
        """A HUP's configuration is in force: follow its metrics_bind,
        metrics_auth, proc_name and statsd settings.  A new address is bound
        before the old one is let go; one that cannot be bound (or bad
        credentials) leaves the server as it was, with one line saying why."""
        old, self.cfg = self.cfg, cfg
        if _statsd_key(cfg) != _statsd_key(old):
            if self.statsd is not None:
                self.statsd.close()
            self.statsd = _statsd(cfg)
        if (cfg.metrics_bind, cfg.metrics_auth, cfg.proc_name) == \
                (old.metrics_bind, old.metrics_auth, old.proc_name):
            return
        if cfg.metrics_bind == old.metrics_bind and self.http is not None:
            try:  # the same listener: new credentials and title in place
                user, password = _credentials(cfg.metrics_auth)
            except HaltServer as exc:
                log.error("Reload: %s; the metrics server stays as it was", exc)
                self.cfg = _Overlay(cfg, old)
                return
            self.http.auth = make_auth(user, password)
            if self.page is not None:
                self.page.title = str(cfg.proc_name or "fastwsgi")
            return
        previous = (self.http, self.sock, self.address)
        if cfg.metrics_bind:
            try:
                self._bind(cfg.metrics_bind, cfg.metrics_auth)
            except HaltServer as exc:
                log.error("Reload: %s; the metrics server stays as it was", exc)
                self.cfg = _Overlay(cfg, old)
                return
            self._mount()
            self._serve_later()
        else:
            self.http = self.sock = None
            self.address = ""
            log.info("Reload: metrics_bind is no longer set; the metrics server stopped")
        self._let_go(*previous)

    def _serve_later(self) -> None:
        assert self.http is not None and self.sock is not None
        task = asyncio.get_running_loop().create_task(self.http.serve_socket(self.sock))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    def _let_go(self, http: HTTPServer | None, sock: socket.socket | None, address: str) -> None:
        if http is not None:
            http.close()
        if sock is not None:
            sock.close()
            if sock.family == socket.AF_UNIX and address.startswith("unix:") \
                    and address != self.address:  # not the file a new server is on
                try:
                    os.unlink(address[len("unix:"):])
                except OSError:
                    pass

    def _bind(self, bind: str, auth: str | None) -> None:
        user, password = _credentials(auth)
        where = parse_metrics_bind(bind)
        try:
            if isinstance(where, str):
                self.sock = bind_unix(where, 0o700)
                self.address = f"unix:{where}"
            else:
                self.sock = bind_inet(where[0], where[1])
                host, port = self.sock.getsockname()[:2]
                self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                if not _is_loopback(where[0]) and not user:
                    log.warning("metrics_bind %s is reachable from other hosts and has no "
                                "metrics_auth: anyone there can read the status page", bind)
        except OSError as exc:
            raise HaltServer(f"cannot serve metrics at {bind}: {exc}", 1) from None
        self.http = HTTPServer(auth=make_auth(user, password), log=log)

    async def _run(self) -> None:
        assert self.monitor is not None
        if self.http is not None and self.sock is not None:
            await self.http.serve_socket(self.sock)
        while True:
            try:
                snap = self.monitor.sample()
                if self.statsd is not None:
                    self.statsd.flush(snap)
            except Exception:  # a bug here must not stop the master
                log.exception("metrics: taking a snapshot failed")
            await asyncio.sleep(INTERVAL)

    def in_worker(self) -> None:
        """In a just-forked worker: let go of the master's listener."""
        if self.sock is not None:
            self.sock.close()

    def stop(self) -> None:
        if self.statsd is not None and self.monitor is not None:
            try:
                self.statsd.flush(self.monitor.sample())  # the last interval
            except Exception:
                log.exception("metrics: the last statsd batch failed")
        if self.task is not None:
            self.task.cancel()
            self.task = None
        if self.statsd is not None:
            self.statsd.close()
            self.statsd = None
        http, sock, address = self.http, self.sock, self.address
        self.http, self.sock, self.address = None, None, ""
        self._let_go(http, sock, address)
