"""fastwsgi behind real reverse proxies, started by the tests on loopback.

1. nginx -> fastwsgi over a unix socket, configured as gunicorn's deployment
   guide configures it (X-Forwarded-For, X-Forwarded-Proto $scheme, Host,
   proxy_redirect off): the scheme, the client address, SCRIPT_NAME from
   the proxy, keep-alive to the upstream and large bodies both ways.
2. nginx -> fastwsgi over TCP: forwarded headers count only from a peer in
   --forwarded-allow-ips.
3. haproxy -> fastwsgi with send-proxy (PROXY v1) and send-proxy-v2, the
   server in --proxy-protocol auto, v1 and v2: the app sees the client's
   address and port from the PROXY header, not haproxy's connection.

Every request is answered by tests/apps/proxy_apps.py's validated app, which
describes the environ it got as JSON.  nginx and haproxy run in the
foreground, with their configuration, logs and temporary files in a
temporary directory, and are stopped by PID.  A test is skipped only when
the proxy's binary is not installed (.ci/run installs both).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import struct
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.apps.proxy_apps import pattern
from tests.support import TIMEOUT, ServerProcess, parse_response, request, run_server
from tests.support.server import free_port, log_text, started, unix_server, wait_connectable

APP = "tests.apps.proxy_apps:validated_app"


# ---- processes -----------------------------------------------------------------

def binary(name: str) -> str:
    """The proxy's executable, or skip: CI installs both (.ci/run)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get)")
    return path


# ---- nginx ---------------------------------------------------------------------

@dataclass
class Proxy:
    port: int
    logs: list[Path]

    def logs_text(self) -> str:
        return log_text(*self.logs)


def nginx_conf(tmp: Path, port: int, body: str) -> str:
    """A foreground, single-process nginx with every path in ``tmp``."""
    return f"""
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body_temp;
    proxy_temp_path {tmp}/proxy_temp;
    fastcgi_temp_path {tmp}/fastcgi_temp;
    uwsgi_temp_path {tmp}/uwsgi_temp;
    scgi_temp_path {tmp}/scgi_temp;
    client_max_body_size 0;
    # Let a header like SCRIPT_NAME through (gunicorn's forwarder_headers).
    underscores_in_headers on;
{body}
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        keepalive_timeout 30;
{{locations}}
    }}
}}
"""


def guide_headers(*extra: str, proto: str = "$scheme") -> str:
    """gunicorn's deploy guide's proxy settings (repeated in every location:
    a location with its own proxy_set_header inherits none from above)."""
    lines = [
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"proxy_set_header X-Forwarded-Proto {proto};",
        "proxy_set_header Host $http_host;",
        "proxy_redirect off;",
        *extra,
    ]
    return "\n".join(" " * 12 + line for line in lines)


@contextmanager
def nginx(tmp: Path, upstreams: str, locations: dict[str, str]) -> Iterator[Proxy]:
    exe = binary("nginx")
    port = free_port()
    blocks = "\n".join(f"        location {path} {{\n{body}\n        }}"
                       for path, body in locations.items())
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(tmp, port, upstreams).replace("{locations}", blocks))
    log = tmp / "nginx.out"
    # -e: the error log before the configuration is read (else /var/log/nginx).
    with started([exe, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)],
                 ("127.0.0.1", port), log):
        yield Proxy(port, [log, tmp / "nginx-error.log"])


# ---- HTTP client ---------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, Any]:
        assert self.status == 200, f"{self.status}: {self.body[:500]!r}"
        doc: dict[str, Any] = json.loads(self.body)
        return doc


def send(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None,
         method: str = "GET", body: Any = None, chunked: bool = False) -> Reply:
    conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
    resp = conn.getresponse()
    data = resp.read()
    return Reply(resp.status, resp.headers, data)


@contextmanager
def connection(port: int) -> Iterator[http.client.HTTPConnection]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        yield conn
    finally:
        conn.close()


def get(proxy: Proxy, path: str, headers: dict[str, str] | None = None) -> Reply:
    with connection(proxy.port) as conn:
        return send(conn, path, headers)


# ---- 1. nginx -> unix socket ---------------------------------------------------

@pytest.fixture(scope="module")
def unix_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    tmp = tmp_path_factory.mktemp("nginx-unix")  # short: a unix socket path is <108 bytes
    sock = tmp / "app.sock"
    upstream = f"""
    upstream app_server {{
        server unix:{sock} fail_timeout=0;
        keepalive 4;
    }}"""
    keepalive = ("proxy_http_version 1.1;", 'proxy_set_header Connection "";')
    locations = {
        # The guide's location, as written: HTTP/1.0, a connection a request.
        "/": guide_headers() + f"\n            proxy_pass http://unix:{sock};",
        "/secure/": guide_headers(proto="https") + f"\n            proxy_pass http://unix:{sock};",
        "/prefix": guide_headers("proxy_set_header SCRIPT_NAME /prefix;")
        + f"\n            proxy_pass http://unix:{sock};",
        "/keepalive/": guide_headers(*keepalive) + "\n            proxy_pass http://app_server;",
        # The body streamed to the app as it arrives (chunked upstream).
        "/stream/": guide_headers(*keepalive, "proxy_request_buffering off;")
        + "\n            proxy_pass http://app_server;",
    }
    with unix_server(sock, APP) as server, nginx(tmp, upstream, locations) as proxy:
        proxy.logs.append(sock.with_suffix(".log"))
        yield proxy
        assert server.poll() is None, proxy.logs_text()


def test_nginx_unix_plain_request(unix_nginx: Proxy) -> None:
    doc = get(unix_nginx, "/hello/world?x=1").json()
    assert doc["wsgi.url_scheme"] == "http"
    assert doc["HTTP_X_FORWARDED_PROTO"] == "http"
    # A unix-socket peer has no address, as in gunicorn; the client's is in
    # X-Forwarded-For, which the server leaves to the app.
    assert doc["REMOTE_ADDR"] == ""
    assert doc["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert doc["HTTP_HOST"] == f"127.0.0.1:{unix_nginx.port}"
    assert (doc["SCRIPT_NAME"], doc["PATH_INFO"], doc["QUERY_STRING"]) == (
        "", "/hello/world", "x=1")


def test_nginx_unix_server_name_from_host_like_gunicorn(unix_nginx: Proxy) -> None:
    doc = get(unix_nginx, "/").json()
    assert (doc["SERVER_NAME"], doc["SERVER_PORT"]) == ("127.0.0.1", str(unix_nginx.port))


def test_nginx_unix_no_remote_port_like_gunicorn(unix_nginx: Proxy) -> None:
    assert "REMOTE_PORT" not in get(unix_nginx, "/").json()


def test_nginx_unix_appends_to_x_forwarded_for(unix_nginx: Proxy) -> None:
    doc = get(unix_nginx, "/", {"X-Forwarded-For": "203.0.113.7"}).json()
    assert doc["HTTP_X_FORWARDED_FOR"] == "203.0.113.7, 127.0.0.1"
    assert doc["REMOTE_ADDR"] == ""


def test_nginx_unix_x_forwarded_proto_https(unix_nginx: Proxy) -> None:
    doc = get(unix_nginx, "/secure/page").json()
    assert doc["HTTP_X_FORWARDED_PROTO"] == "https"
    assert doc["wsgi.url_scheme"] == "https"


def test_nginx_unix_client_cannot_claim_https(unix_nginx: Proxy) -> None:
    # nginx replaces the client's X-Forwarded-Proto with $scheme.
    doc = get(unix_nginx, "/page", {"X-Forwarded-Proto": "https"}).json()
    assert (doc["HTTP_X_FORWARDED_PROTO"], doc["wsgi.url_scheme"]) == ("http", "http")


def test_nginx_unix_contradictory_scheme_headers_are_refused(unix_nginx: Proxy) -> None:
    # X-Forwarded-Ssl passes nginx untouched and contradicts its
    # X-Forwarded-Proto: http.  gunicorn answers 400 too.
    reply = get(unix_nginx, "/page", {"X-Forwarded-Ssl": "on"})
    assert reply.status == 400, reply.body[:300]


@pytest.mark.parametrize(("path", "path_info"), [
    ("/prefix/app/page", "/app/page"),
    ("/prefix/", "/"),
    ("/prefix", ""),
])
def test_nginx_unix_script_name_from_proxy(unix_nginx: Proxy, path: str, path_info: str) -> None:
    doc = get(unix_nginx, path).json()
    assert (doc["SCRIPT_NAME"], doc["PATH_INFO"]) == ("/prefix", path_info)
    assert doc["RAW_URI"] == path
    assert "HTTP_SCRIPT_NAME" not in doc


def test_nginx_unix_keepalive_upstream(unix_nginx: Proxy) -> None:
    """Many requests through an upstream with keepalive ride a handful of
    connections to the server; the guide's HTTP/1.0 location opens one per
    request (the control that shows the count means something)."""
    def sockets_seen(path: str, n: int) -> tuple[set[str], int]:
        seen: set[str] = set()
        with connection(unix_nginx.port) as conn:
            for i in range(n):
                doc = send(conn, f"{path}{i}").json()
                assert doc["PATH_INFO"] == f"{path}{i}"
                assert doc["SERVER_PROTOCOL"] == ("HTTP/1.1" if "keep" in path else "HTTP/1.0")
                seen.update(doc["sockets"])
                pid = doc["pid"]
        return seen, pid

    many, pid = sockets_seen("/keepalive/", 300)
    control, control_pid = sockets_seen("/c", 20)
    assert pid == control_pid  # one worker: it saw every connection
    assert len(control - many) >= 20, "the control should see a new connection per request"
    # The listener, up to `keepalive 4` cached connections and any the
    # readiness check or earlier tests left; nowhere near 300.
    assert len(many) <= 10, f"{len(many)} server sockets for 300 keep-alive requests"


@pytest.mark.parametrize(("path", "chunked"), [("/up", False), ("/keepalive/up", False),
                                               ("/stream/up", True)])
def test_nginx_unix_large_upload(unix_nginx: Proxy, path: str, chunked: bool) -> None:
    data = os.urandom(8 << 20)
    with connection(unix_nginx.port) as conn:
        if chunked:
            blocks = (data[i:i + 65536] for i in range(0, len(data), 65536))
            reply = send(conn, path, method="POST", body=blocks, chunked=True)
        else:
            reply = send(conn, path, method="POST", body=data)
    doc = reply.json()
    assert doc["body_length"] == len(data)
    assert doc["body_sha256"] == hashlib.sha256(data).hexdigest()
    if chunked:  # proxy_request_buffering off: nginx streams it chunked
        assert "CONTENT_LENGTH" not in doc or doc["CONTENT_LENGTH"] == ""
        assert doc["HTTP_TRANSFER_ENCODING"] == "chunked"
    else:
        assert doc["CONTENT_LENGTH"] == str(len(data))


@pytest.mark.parametrize(("path", "chunked"), [("/down", False), ("/keepalive/down", True)])
def test_nginx_unix_large_download(unix_nginx: Proxy, path: str, chunked: bool) -> None:
    size = (16 << 20) + 12345
    query = f"?download={size}" + ("&chunked=1" if chunked else "")
    with connection(unix_nginx.port) as conn:
        reply = send(conn, path + query)
        assert reply.status == 200
        assert len(reply.body) == size
        assert reply.body == pattern(size)
        # The connection to nginx is still good afterwards.
        assert send(conn, "/after").json()["PATH_INFO"] == "/after"


# ---- 2. nginx -> TCP, trusted or not -------------------------------------------

@pytest.fixture(scope="module")
def tcp_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    tmp = tmp_path_factory.mktemp("nginx-tcp")
    with ExitStack() as stack:
        untrusted = stack.enter_context(
            run_server(APP, "--forwarded-allow-ips", "10.9.9.9", tmp_path=tmp))
        trusted = stack.enter_context(run_server(APP, tmp_path=tmp))  # 127.0.0.1,::1
        locations = {
            f"/{name}/": guide_headers(f"proxy_set_header SCRIPT_NAME /{name};", proto="https")
            + f"\n            proxy_pass http://127.0.0.1:{server.port};"
            for name, server in (("untrusted", untrusted), ("trusted", trusted))
        }
        proxy = stack.enter_context(nginx(tmp, "", locations))
        proxy.logs += [untrusted.log, trusted.log]
        yield proxy


def test_nginx_tcp_untrusted_peer_forwarded_headers_ignored(tcp_nginx: Proxy) -> None:
    doc = get(tcp_nginx, "/untrusted/page").json()
    assert doc["HTTP_X_FORWARDED_PROTO"] == "https"
    assert doc["wsgi.url_scheme"] == "http"
    assert doc["REMOTE_ADDR"] == "127.0.0.1"
    # SCRIPT_NAME from an untrusted peer is a header with "_": dropped.
    assert (doc["SCRIPT_NAME"], doc["PATH_INFO"]) == ("", "/untrusted/page")
    assert "HTTP_SCRIPT_NAME" not in doc


def test_nginx_tcp_trusted_peer_forwarded_headers_honoured(tcp_nginx: Proxy) -> None:
    doc = get(tcp_nginx, "/trusted/page").json()
    assert doc["wsgi.url_scheme"] == "https"
    assert doc["REMOTE_ADDR"] == "127.0.0.1"
    assert doc["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert (doc["SCRIPT_NAME"], doc["PATH_INFO"]) == ("/trusted", "/page")


def test_nginx_tcp_contradiction_matters_only_from_trusted_peer(tcp_nginx: Proxy) -> None:
    # X-Forwarded-Ssl: off contradicts nginx's X-Forwarded-Proto: https.
    assert get(tcp_nginx, "/untrusted/x", {"X-Forwarded-Ssl": "off"}).json()[
        "wsgi.url_scheme"] == "http"
    assert get(tcp_nginx, "/trusted/x", {"X-Forwarded-Ssl": "off"}).status == 400


# ---- 3. haproxy -> PROXY protocol ----------------------------------------------

# frontend name: (fastwsgi --proxy-protocol mode, haproxy server option)
FRONTENDS = {"auto_v1": ("auto", "send-proxy"), "auto_v2": ("auto", "send-proxy-v2"),
             "v1_v1": ("v1", "send-proxy"), "v2_v2": ("v2", "send-proxy-v2")}


@dataclass
class HAProxy:
    ports: dict[str, int]  # frontend name -> port
    servers: dict[str, ServerProcess]  # proxy-protocol mode -> server
    logs: list[Path]


@pytest.fixture(scope="module")
def haproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HAProxy]:
    exe = binary("haproxy")
    tmp = tmp_path_factory.mktemp("haproxy")
    with ExitStack() as stack:
        servers = {mode: stack.enter_context(
            run_server(APP, "--proxy-protocol", mode, tmp_path=tmp))
            for mode in ("auto", "v1", "v2")}
        ports = {name: free_port() for name in FRONTENDS}
        cfg = ["defaults", "    mode http", "    timeout connect 5s",
               "    timeout client 30s", "    timeout server 30s"]
        for name, (mode, option) in FRONTENDS.items():
            cfg += [f"frontend fe_{name}", f"    bind 127.0.0.1:{ports[name]}",
                    f"    default_backend be_{name}",
                    f"backend be_{name}",
                    f"    server app 127.0.0.1:{servers[mode].port} {option}"]
        conf = tmp / "haproxy.cfg"
        conf.write_text("\n".join(cfg) + "\n")
        log = tmp / "haproxy.out"
        proc = stack.enter_context(started([exe, "-f", str(conf), "-db"],
                                           ("127.0.0.1", ports["auto_v1"]), log))
        for port in ports.values():
            wait_connectable(proc, ("127.0.0.1", port), log)
        yield HAProxy(ports, servers, [log, *(s.log for s in servers.values())])


@pytest.mark.parametrize("frontend", list(FRONTENDS))
def test_haproxy_proxy_protocol_gives_client_address(haproxy: HAProxy, frontend: str) -> None:
    """Each client connection's own address and port reach the app: the
    server used the PROXY header, not haproxy's connection to it."""
    for c in range(3):
        with connection(haproxy.ports[frontend]) as conn:
            conn.connect()
            assert conn.sock is not None
            client_addr, client_port = conn.sock.getsockname()
            for i in range(2):
                doc = send(conn, f"/c{c}/r{i}").json()
                assert doc["PATH_INFO"] == f"/c{c}/r{i}"
                assert (doc["REMOTE_ADDR"], doc["REMOTE_PORT"]) == (
                    client_addr, str(client_port)), log_text(*haproxy.logs)
                assert doc["wsgi.url_scheme"] == "http"


def raw_status(server: ServerProcess, data: bytes) -> int:
    return parse_response(server.request(data)).status


@pytest.mark.parametrize("mode", ["auto", "v1", "v2"])
def test_haproxy_modes_refuse_request_without_proxy_header(haproxy: HAProxy, mode: str) -> None:
    # A direct connection from an allowed address (127.0.0.1) must send one.
    assert raw_status(haproxy.servers[mode], request("/")) == 400


def proxy_v2(src: str, dst: str, sport: int, dport: int) -> bytes:
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


V1 = b"PROXY TCP4 192.0.2.10 127.0.0.1 5555 80\r\n"
V2 = proxy_v2("192.0.2.20", "127.0.0.1", 6666, 80)


@pytest.mark.parametrize(("mode", "header", "expected"), [
    ("auto", V1, ("192.0.2.10", "5555")),
    ("auto", V2, ("192.0.2.20", "6666")),
    ("v1", V1, ("192.0.2.10", "5555")),
    ("v2", V2, ("192.0.2.20", "6666")),
    ("v1", V2, None),
    ("v2", V1, None),
])
def test_proxy_header_version_must_match_mode(haproxy: HAProxy, mode: str, header: bytes,
                                              expected: tuple[str, str] | None) -> None:
    """The same check without haproxy, with hand-made headers: the other
    version than the one configured is refused."""
    raw = haproxy.servers[mode].request(header + request("/direct"))
    response = parse_response(raw)
    if expected is None:
        assert response.status == 400
    else:
        doc = json.loads(response.body)
        assert (doc["REMOTE_ADDR"], doc["REMOTE_PORT"]) == expected

