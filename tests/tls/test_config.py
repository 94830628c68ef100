"""TLS configuration: every refusal is one line and exit status 1 before
anything listens (--check-config fails the same way), and HUP takes a renewed
certificate or, when the new one is broken, keeps the old workers serving."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.master import Run
from tests.support.waiting import wait_for
from tests.tls.tlsclient import body_of, get, tls_connect, tls_request

APP = "tests.apps.basic:app"


def refused(args: list[str], tmp_path: Path) -> str:
    """Run fastwsgi bound to a port nobody listens on yet; assert it exits 1
    with one line and never listened there; return that line."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FASTWSGI_CMD_ARGS", None)
    env.pop("GUNICORN_CMD_ARGS", None)
    out = subprocess.run([sys.executable, "-m", "fastwsgi", APP, "--bind", f"127.0.0.1:{port}",
                          *args], capture_output=True, text=True, timeout=30, cwd=tmp_path, check=False,
                         env=env)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 1, out
    assert len(lines) == 1, lines
    assert "Listening at" not in out.stdout + out.stderr
    return lines[0]


def pki_args(pki: Path, cert: str = "server.pem", key: str = "server.key") -> list[str]:
    return ["--certfile", str(pki / cert), "--keyfile", str(pki / key)]


@pytest.mark.parametrize("check_config", [False, True], ids=["start", "check-config"])
@pytest.mark.parametrize("args, expected", [
    (lambda p: pki_args(p, cert="missing.pem"), "certfile"),
    (lambda p: pki_args(p, key="missing.key"), "keyfile"),
    (lambda p: pki_args(p, key="other.key"), "keyfile does not match certfile"),
    (lambda p: pki_args(p, key="server-enc.key"), "set keyfile_password"),
    (lambda p: pki_args(p) + ["--ciphers", "NO-SUCH-CIPHER"], "bad ciphers NO-SUCH-CIPHER"),
    (lambda p: pki_args(p) + ["--ca-certs", str(p / "missing-ca.pem")], "ca_certs"),
    (lambda p: ["--keyfile", str(p / "server.key")], "keyfile is set but certfile is not"),
    (lambda p: pki_args(p) + ["--proxy-protocol", "v1"], "proxy_protocol"),
    (lambda p: pki_args(p, cert="server.key", key="server.key"), "cannot load certfile"),
], ids=["no-cert", "no-key", "mismatch", "encrypted", "ciphers", "no-ca", "key-only",
        "proxy-protocol", "not-a-cert"])
def test_refusals(pki: Path, tmp_path: Path, args, expected: str, check_config: bool) -> None:
    line = refused(args(pki) + (["--check-config"] if check_config else []), tmp_path)
    assert line.startswith("Error: TLS: ") and expected in line, line


def test_an_unreadable_file_is_refused(pki: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file: an unreadable one cannot be made")
    key = tmp_path / "server.key"
    shutil.copy(pki / "server.key", key)
    key.chmod(0)
    assert "not readable" in refused(["--certfile", str(pki / "server.pem"),
                                      "--keyfile", str(key)], tmp_path)


def test_a_hook_context_the_engine_cannot_serve_is_refused(pki: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf.py"
    conf.write_text(
        "def ssl_context(conf, factory):\n"
        "    ctx = factory()\n"
        "    ctx.sni_callback = lambda *args: None\n"
        "    return ctx\n")
    line = refused(pki_args(pki) + ["-c", str(conf)], tmp_path)
    assert "sni_callback" in line


def test_check_config_passes_with_a_good_tls_config(pki: Path, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "fastwsgi", APP, "--check-config",
                          *pki_args(pki)], capture_output=True, text=True, timeout=30,
                         cwd=tmp_path, env=env, check=False)
    assert out.returncode == 0, out


# ---- HUP -------------------------------------------------------------------------


@pytest.fixture
def hup_run(pki: Path, tmp_path: Path) -> Iterator[tuple[Run, Path]]:
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(pki / "server.pem", certs / "cert.pem")
    shutil.copy(pki / "server.key", certs / "key.pem")
    run = Run(tmp_path, ["--workers", "2", "--certfile", str(certs / "cert.pem"),
                         "--keyfile", str(certs / "key.pem")], app=APP)
    try:
        run.wait_log("Booting worker")
        yield run, certs
    finally:
        run.stop()


def organisation(run: Run, pki: Path) -> str:
    with tls_connect(run, pki) as s:  # type: ignore[arg-type]
        subject = dict(item[0] for item in s.getpeercert()["subject"])
        s.sendall(get("/hello/hup"))
        s.recv(100)
    return subject["organizationName"]


def test_hup_takes_a_renewed_certificate(hup_run: tuple[Run, Path], pki: Path) -> None:
    run, certs = hup_run
    assert wait_for(lambda: organisation(run, pki) == "fastwsgi tests", what="the first cert")
    shutil.copy(pki / "server2.pem", certs / "cert.pem")
    shutil.copy(pki / "server2.key", certs / "key.pem")
    run.send(signal.SIGHUP)
    run.wait_log("Reload complete: 2 new workers serving")
    wait_for(lambda: organisation(run, pki) == "fastwsgi tests renewed", what="the new cert")


def test_hup_with_a_broken_certificate_keeps_the_old_workers(hup_run: tuple[Run, Path],
                                                             pki: Path) -> None:
    run, certs = hup_run
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    old = set(run.workers())
    (certs / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\nbroken\n")
    run.send(signal.SIGHUP)
    line = run.wait_log(r"Reload failed: (.*)")[0].group(1)
    assert "TLS: cannot load certfile" in line and "the current configuration stays" in line
    assert set(run.workers()) == old
    assert organisation(run, pki) == "fastwsgi tests"
    assert body_of(tls_request(run, pki, get("/hello/still"))) == b"hello /hello/still"  # type: ignore[arg-type]
