"""TLS served by a live fastwsgi: real clients (Python's ssl, curl, openssl
s_client) against the test CA of tests/tls/pki.py."""

from __future__ import annotations

import hashlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess, read_until_closed, run_server
from tests.tls.tlsclient import body_of, get, tls_connect, tls_request

APP = "tests.apps.basic:app"


def tls_args(pki: Path, *extra: str) -> list[str]:
    return ["--certfile", str(pki / "server.pem"), "--keyfile", str(pki / "server.key"), *extra]


@pytest.fixture(scope="module")
def srv(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, *tls_args(pki, "--header-timeout", "2"),
                    tmp_path=tmp_path_factory.mktemp("tls")) as server:
        yield server


def test_python_ssl_client_gets_https_environ(srv: ServerProcess, pki: Path) -> None:
    with tls_connect(srv, pki) as s:
        assert s.selected_alpn_protocol() == "http/1.1"
        assert s.version() in ("TLSv1.2", "TLSv1.3")
        s.sendall(get("/hello/tls", close=True))
        data = read_until_closed(s)  # type: ignore[arg-type]
    assert data.startswith(b"HTTP/1.1 200 ") and body_of(data) == b"hello /hello/tls"


def test_environ_says_https(pki: Path, tmp_path: Path) -> None:
    app = tmp_path / "scheme_app.py"
    app.write_text(
        "def app(environ, start_response):\n"
        "    body = (environ['wsgi.url_scheme'] + ' ' + environ.get('HTTPS', '-') + ' '"
        " + environ['SERVER_PORT']).encode()\n"
        "    start_response('200 OK', [('Content-Length', str(len(body)))])\n"
        "    return [body]\n")
    with run_server("scheme_app:app", *tls_args(pki), "--chdir", str(tmp_path),
                    tmp_path=tmp_path) as server:
        body = body_of(tls_request(server, pki, get("/")))
        assert body == f"https on {server.port}".encode()
        assert f"Listening at: https://127.0.0.1:{server.port}" in server.log_text()


def test_close_notify_ends_a_closed_connection(srv: ServerProcess, pki: Path) -> None:
    """With the client's suppress_ragged_eofs=False, a missing close_notify
    would raise SSLEOFError here."""
    with tls_connect(srv, pki) as s:
        s.sendall(get("/hello/x", close=True))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ")


@pytest.mark.skipif(shutil.which("curl") is None,
                    reason="curl is not installed (.ci/run installs it with apt-get)")
def test_curl_with_the_test_ca(srv: ServerProcess, pki: Path) -> None:
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki / "ca.pem"), "--http1.1",
                          f"https://localhost:{srv.port}/hello/curl"],
                         capture_output=True, timeout=20, check=True)
    assert out.stdout == b"hello /hello/curl"


def test_openssl_s_client(srv: ServerProcess, pki: Path) -> None:
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-CAfile",
         str(pki / "ca.pem"), "-alpn", "http/1.1", "-servername", "localhost", "-quiet",
         "-verify_return_error"],
        input=get("/hello/s_client", close=True), capture_output=True, timeout=20, check=False)
    assert b"HTTP/1.1 200 " in out.stdout and out.stdout.endswith(b"hello /hello/s_client"), out


def test_pipelined_requests_over_tls(srv: ServerProcess, pki: Path) -> None:
    n = 40
    with tls_connect(srv, pki) as s:
        s.sendall(b"".join(get(f"/hello/{i}") for i in range(n - 1)) + get("/hello/last", True))
        data = read_until_closed(s)  # type: ignore[arg-type]
    assert data.count(b"HTTP/1.1 200 ") == n
    assert data.endswith(b"hello /hello/last")


def test_large_upload_and_download(srv: ServerProcess, pki: Path) -> None:
    body = bytes(range(256)) * (6 * 4096)  # 6 MiB
    head = (b"POST /hash HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n")
    answer = body_of(tls_request(srv, pki, head + body))
    assert answer == f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
    size = 9 * 1024 * 1024 + 7
    data = body_of(tls_request(srv, pki, get(f"/big?size={size}&i=3")))
    assert len(data) == size and data == b"D" * size


def test_file_wrapper_over_tls(pki: Path, tmp_path: Path) -> None:
    content = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32 + 5)
    path = tmp_path / "payload.bin"
    path.write_bytes(content)
    with run_server(APP, *tls_args(pki), tmp_path=tmp_path,
                    env={"FW_TEST_FILE": str(path)}) as server:
        data = body_of(tls_request(server, pki, get("/sendfile", close=True)))
    assert data == content


# ---- client certificates ---------------------------------------------------------


@pytest.fixture(scope="module")
def mtls(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server("tests.tls.certapp:app",
                    *tls_args(pki, "--ca-certs", str(pki / "ca.pem"), "--cert-reqs", "2"),
                    tmp_path=tmp_path_factory.mktemp("mtls")) as server:
        yield server


def test_mtls_required_serves_a_client_with_a_certificate(mtls: ServerProcess,
                                                          pki: Path) -> None:
    body = body_of(tls_request(mtls, pki, get("/"), cert="client"))
    assert body == b"SUCCESS|O=fastwsgi tests,CN=client-1|CN=fastwsgi test ca"


@pytest.mark.parametrize("cert", [None, "rogue-client"])
def test_mtls_required_refuses_a_client_without_a_valid_certificate(
        mtls: ServerProcess, pki: Path, cert: str | None) -> None:
    refusal = (ssl.SSLError, ConnectionResetError, BrokenPipeError)
    with pytest.raises(refusal), tls_connect(mtls, pki, cert) as s:
        # TLS 1.3: the client learns of the refusal on its first read.
        s.sendall(get("/"))
        if not s.recv(1024):
            raise ssl.SSLError("closed")
    assert body_of(tls_request(mtls, pki, get("/"), cert="client")).startswith(b"SUCCESS")


def test_mtls_optional(pki: Path, tmp_path: Path) -> None:
    with run_server("tests.tls.certapp:app",
                    *tls_args(pki, "--ca-certs", str(pki / "ca.pem"), "--cert-reqs", "1"),
                    tmp_path=tmp_path) as server:
        assert body_of(tls_request(server, pki, get("/"))) == b"-|-|-"
        assert body_of(tls_request(server, pki, get("/"), cert="client")).startswith(b"SUCCESS|")


def test_encrypted_key_with_keyfile_password(pki: Path, tmp_path: Path) -> None:
    from tests.tls.pki import PASSPHRASE
    with run_server(APP, "--certfile", str(pki / "server.pem"),
                    "--keyfile", str(pki / "server-enc.key"),
                    env={"FASTWSGI_CMD_ARGS": f"--keyfile-password '{PASSPHRASE}'"},
                    tmp_path=tmp_path) as server:
        assert body_of(tls_request(server, pki, get("/hello/enc"))) == b"hello /hello/enc"


def test_ssl_context_hook_is_served(pki: Path, tmp_path: Path) -> None:
    """The hook's own SSLContext is the one served: here TLS 1.3 only."""
    conf = tmp_path / "conf.py"
    conf.write_text(
        "import ssl\n"
        "def ssl_context(conf, default_ssl_context_factory):\n"
        "    ctx = default_ssl_context_factory()\n"
        "    ctx.minimum_version = ssl.TLSVersion.TLSv1_3\n"
        "    return ctx\n")
    with run_server(APP, *tls_args(pki), "-c", str(conf), tmp_path=tmp_path) as server:
        with tls_connect(server, pki) as s:
            assert s.version() == "TLSv1.3"
        raw = socket.create_connection(server.address, timeout=10)
        old = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(raw, server_hostname="localhost").close()
        raw.close()
