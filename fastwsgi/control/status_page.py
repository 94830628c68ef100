"""The status page: the master, every WSGI program with its workers, and in
supervisor mode every program with start/stop/restart buttons.

One renderer, on the server: the page is a plain HTML table that works
without JavaScript (the buttons are forms), and status.js keeps it live by
fetching the same fragment once a second (`/?fragment=1`) and swapping it
in, so there is no second rendering of the data in JavaScript.  The
sparklines are inline SVG drawn here.  Every asset is served from the
package (control/static/): no CDN, no external request.

Who may act: the page is behind the server's basic auth; a POST must carry
the page's CSRF token (random for each master run, compared in constant
time) and, when the browser sends an Origin, one that names this host.

What is never shown: environment variables, command lines, the master's
argv (any of them may hold secrets)."""

from __future__ import annotations

import hmac
import html
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastwsgi.control.http import Request, Response
from fastwsgi.control.snapshot import Monitor, Snapshot

ACTIONS = ("start", "stop", "restart")
MAX_OUTCOMES = 32  # action outcomes kept for the page after a form's redirect
HTML_TYPE = "text/html; charset=utf-8"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".png": "image/png", ".svg": "image/svg+xml"}
# Security headers for every page: no framing (clickjacking on the buttons),
# no script or style from anywhere but this server.
PAGE_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    ("X-Frame-Options", "DENY"), ("Cache-Control", "no-store"),
    ("Referrer-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff"),
]

ProgramAction = Callable[[str, str], Awaitable[str]]
TailReader = Callable[[str], Awaitable[bytes]]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def human_seconds(s: float) -> str:
    s = int(max(s, 0))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def sparkline(values: list[float], label: str, width: int = 120, height: int = 24) -> str:
    """An inline SVG polyline of `values` (oldest first), scaled to its maximum."""
    if len(values) < 2:
        return f'<svg class="spark" width="{width}" height="{height}" role="img" ' \
               f'aria-label="{_e(label)}"></svg>'
    top = max(values) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 1 - v / top * (height - 2):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>'
            f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/>'
            f"</svg>")


def render_fragment(snap: Snapshot, csrf: str) -> str:
    """The live part of the page (what status.js swaps in)."""
    m = snap.master
    parts = [
        '<section class="master"><h2>Master</h2><p>',
        (f'pid <b>{_e(m.get("pid"))}</b> · fastwsgi {_e(m.get("version", ""))} · '
         f'up {_e(human_seconds(m.get("uptime", 0)))} · '
         f'updated <time>{_e(_clock(snap.when))}</time></p></section>'),
    ]
    for app in snap.apps:
        parts.append(_render_app(app))
    if snap.programs is not None:
        parts.append(_render_programs(snap.programs, csrf))
    return "".join(parts)


def _render_app(app: dict[str, Any]) -> str:
    history = app.get("history", [])
    rps = [h[1] for h in history]
    lat = [h[2] * 1000 for h in history]
    workers = app["workers"]
    busy = sum(1 for w in workers if w["state"] == "busy")
    t = app["totals"]
    backlog = ", ".join(
        f'{_e(x["address"])}: {x["backlog"]}/{x["backlog_limit"]}' if x["backlog"] is not None
        else f'{_e(x["address"])}: n/a' for x in app["listeners"]) or "none"
    out = [
        f'<section class="app"><h2>App {_e(app["name"])}</h2>',
        '<dl class="summary">',
        (f'<div><dt>req/s</dt><dd>{app.get("rps", 0.0):.1f} '
         f'{sparkline(rps, "requests per second, last minute")}</dd></div>'),
        (f'<div><dt>mean latency</dt><dd>{app.get("latency_mean", 0.0) * 1000:.2f} ms '
         f'{sparkline(lat, "mean latency in ms, last minute")}</dd></div>'),
        (f'<div><dt>busy workers</dt><dd>{busy}/{len(workers)} '
         f'(configured {app["workers_configured"]})</dd></div>'),
        f'<div><dt>in flight</dt><dd>{t["in_flight"]}</dd></div>',
        f'<div><dt>requests</dt><dd>{t["requests"]}</dd></div>',
        f'<div><dt>backlog (waiting/limit)</dt><dd class="backlog">{backlog}</dd></div>',
        f'<div><dt>reloads</dt><dd>{app["reloads"]}</dd></div>',
        "</dl>",
        ('<table class="workers"><caption>Workers</caption><thead><tr>'
         "<th>#</th><th>pid</th><th>state</th><th>requests</th><th>req/s</th><th>in flight</th>"
         "<th>threads busy</th><th>connections</th><th>RSS</th><th>age</th>"
         "<th>started because</th></tr></thead><tbody>"),
    ]
    for w in workers:
        replaced = w.get("replaced")
        why = (f'replaced pid {replaced["pid"]}: {_e(replaced["text"] or replaced["reason"])} '
               f'({_e(_clock(replaced["when"]))})' if replaced else "first start")
        out.append(
            f'<tr class="worker state-{_e(w["state"])}" data-pid="{w["pid"]}">'
            f'<td>{w["age"]}</td><td>{w["pid"]}</td><td>{_e(w["state"])}</td>'
            f'<td>{w["requests"]}</td><td>{w.get("rps", 0.0):.1f}</td><td>{w["in_flight"]}</td>'
            f'<td>{w["threads_busy"]}/{w["threads"]}</td><td>{w["connections"]}</td>'
            f'<td>{_e(human_bytes(w["rss"]))}</td><td>{_e(human_seconds(w["uptime"]))}</td>'
            f"<td>{why}</td></tr>")
    out.append("</tbody></table>")
    recent = app["recent_exits"][:10]
    if recent:
        out.append('<table class="exits"><caption>Recent worker exits</caption><thead><tr>'
                   "<th>when</th><th>pid</th><th>reason</th><th>what happened</th>"
                   "</tr></thead><tbody>")
        for e in recent:
            out.append(f'<tr><td>{_e(_clock(e["when"]))}</td><td>{e["pid"]}</td>'
                       f'<td>{_e(e["reason"])}</td><td>{_e(e["text"])}</td></tr>')
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


def _render_programs(programs: list[dict[str, Any]], csrf: str) -> str:
    out = [('<section class="programs"><h2>Programs</h2><table class="programs"><thead><tr>'
            "<th>name</th><th>state</th><th>pid</th><th>uptime</th><th>restarts</th>"
            "<th>actions</th></tr></thead><tbody>")]
    for p in programs:
        name = p["name"]
        where = _e(quote(name, safe=":"))
        buttons = "".join(
            f'<form method="post" action="/programs/{where}/{action}">'
            f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
            f'<button type="submit" name="action" value="{action}" '
            f'data-program="{_e(name)}">{action}</button></form>' for action in ACTIONS)
        tail = (f'<a href="/programs/{where}/tail">tail</a> '
                f'<a href="/logtail/{where}">tail -f</a>')
        reasons = p.get("restart_reasons") or {}
        why = ", ".join(f"{k} {v}" for k, v in reasons.items() if v)
        restarts = f'<td title="{_e(why)}">{p.get("restarts", 0)}</td>' if why \
            else f'<td>{p.get("restarts", 0)}</td>'
        out.append(
            f'<tr class="program state-{_e(p["state"])}" data-program="{_e(name)}">'
            f'<td>{_e(name)}</td><td class="state">{_e(p["state"])}</td>'
            f'<td class="pid">{_e(p.get("pid") or "")}</td>'
            f'<td>{_e(human_seconds(p["uptime"])) if p.get("pid") else ""}</td>{restarts}'
            f'<td class="actions">{buttons}{tail}</td></tr>')
    out.append("</tbody></table></section>")
    return "".join(out)


def render_page(snap: Snapshot, csrf: str, title: str = "fastwsgi", flash: str = "") -> str:
    """The whole page; `flash` is the outcome of the action that led here."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} status</title>"
        '<link rel="stylesheet" href="/static/status.css">'
        '<script src="/static/status.js" defer></script></head>'
        f'<body><h1>{_e(title)} status</h1>'
        f'<p id="flash" role="status">{_e(flash)}</p>'
        f'<main id="live">{render_fragment(snap, csrf)}</main>'
        '<footer><a href="/metrics">/metrics</a> · <a href="/status.json">/status.json</a>'
        "</footer></body></html>")


def snapshot_json(snap: Snapshot) -> dict[str, Any]:
    """The snapshot for machines: the page's data, without the raw slot arrays."""
    apps = []
    for app in snap.apps:
        workers = [{k: v for k, v in w.items() if k != "counts"} for w in app["workers"]]
        t = app["totals"]
        apps.append({**{k: v for k, v in app.items() if k not in ("totals", "workers")},
                     "workers": workers,
                     "totals": {k: t[k] for k in ("requests", "in_flight", "sent_bytes",
                                                   "connections_open", "keepalive_reuse")}})
    return {"master": snap.master, "apps": apps, "programs": snap.programs, "when": snap.when}


def static_file(name: str) -> bytes | None:
    if "/" in name or name.startswith("."):
        return None
    try:
        return resources.files("fastwsgi.control").joinpath("static", name).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None


class StatusPage:
    """The page's routes on a control.http.HTTPServer."""

    def __init__(self, monitor: Monitor, title: str = "fastwsgi",
                 act: ProgramAction | None = None, tail: TailReader | None = None) -> None:
        self.monitor = monitor
        self.title = title
        self.act = act
        self.tail = tail
        self.csrf = secrets.token_urlsafe(32)
        # The outcomes of the last actions, by a random key the redirect after
        # a form's POST names: the page shows the outcome without reflecting
        # any text from its URL.
        self.outcomes: OrderedDict[str, str] = OrderedDict()

    def mount(self, server: Any) -> None:
        server.route("/", self.index, methods=("GET", "HEAD"))
        server.route("/status.json", self.json, methods=("GET", "HEAD"))
        server.route("/static/", self.static, prefix=True, methods=("GET", "HEAD"))
        if self.act is not None:
            server.route("/programs/", self.program, prefix=True, methods=("GET", "POST"))

    async def index(self, request: Request) -> Response:
        snap = self.monitor.current()
        if "fragment=1" in request.query.split("&"):
            body = render_fragment(snap, self.csrf)
        else:
            key = parse_qs(request.query).get("outcome", [""])[0]
            body = render_page(snap, self.csrf, self.title, self.outcomes.get(key, ""))
        return Response(200, body.encode(), PAGE_HEADERS, content_type=HTML_TYPE)

    async def json(self, request: Request) -> Response:
        body = json.dumps(snapshot_json(self.monitor.current())).encode()
        return Response(200, body, [("Cache-Control", "no-store")],
                        content_type="application/json")

    async def static(self, request: Request) -> Response:
        name = request.path[len("/static/"):]
        data = static_file(name)
        kind = STATIC_TYPES.get(name[name.rfind("."):]) if "." in name else None
        if data is None or kind is None:
            return Response(404, b"not found\n", content_type="text/plain")
        return Response(200, data, [("Cache-Control", "max-age=300")], content_type=kind)

    async def program(self, request: Request) -> Response:
        """POST /programs/NAME/ACTION (csrf=TOKEN), GET /programs/NAME/tail."""
        name, _, action = request.path[len("/programs/"):].rpartition("/")
        if request.method == "GET":
            if action != "tail" or self.tail is None or not name:
                return Response(404, b"not found\n", content_type="text/plain")
            try:
                data = await self.tail(name)
            except LookupError as exc:
                return Response(404, f"{exc}\n".encode(), content_type="text/plain")
            return Response(200, data, [("Cache-Control", "no-store")],
                            content_type="text/plain; charset=utf-8")
        if action not in ACTIONS or not name:
            return Response(404, b"not found\n", content_type="text/plain")
        if not self._allowed(request):
            return Response(403, b"missing or wrong CSRF token\n", content_type="text/plain")
        assert self.act is not None
        result = await self.act(name, action)
        if "application/json" in (request.header("accept") or ""):
            body = json.dumps({"program": name, "action": action, "result": result})
            return Response(200, body.encode(), content_type="application/json")
        key = secrets.token_urlsafe(8)
        self.outcomes[key] = f"{action} {name}: {result}"
        while len(self.outcomes) > MAX_OUTCOMES:
            self.outcomes.popitem(last=False)
        return Response(303, b"", [("Location", f"/?outcome={key}")])

    def _allowed(self, request: Request) -> bool:
        form = parse_qs(request.body.decode("latin-1"))
        token = (form.get("csrf") or [""])[0] or request.header("x-csrf-token") or ""
        if not hmac.compare_digest(token.encode(), self.csrf.encode()):
            return False
        origin = request.header("origin")
        if origin and origin != "null":
            host = request.header("host") or ""
            if urlsplit(origin).netloc != host:
                return False
        return True
