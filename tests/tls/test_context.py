"""The engine's TLS context (csrc/fw_tls.c) against Python's ssl module:
the same defaults as gunicorn's default_ssl_context_factory, and the
refusals with their one-line reasons."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from fastwsgi._core import TLSContext, TLSError
from tests.tls.pki import PASSPHRASE

# Bits fw_tls adds on purpose: renegotiation refused.
OUR_OPTIONS = getattr(ssl, "OP_NO_RENEGOTIATION", 0) | 0x00010000  # SSL_OP_NO_CLIENT_RENEGOTIATION


def gunicorn_default(pki: Path, **kw: object) -> ssl.SSLContext:
    """gunicorn's default_ssl_context_factory (gunicorn/sock.py)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=kw.get("ca_certs"))
    ctx.load_cert_chain(certfile=str(pki / "server.pem"), keyfile=str(pki / "server.key"))
    ctx.verify_mode = ssl.VerifyMode(kw.get("cert_reqs", 0))
    return ctx


@pytest.mark.parametrize("cert_reqs", [0, 1, 2])
def test_same_options_and_verify_mode_as_python(pki: Path, cert_reqs: int) -> None:
    ours = TLSContext.from_settings(str(pki / "server.pem"), str(pki / "server.key"),
                                    ca_certs=str(pki / "ca.pem"), cert_reqs=cert_reqs)
    theirs = gunicorn_default(pki, ca_certs=str(pki / "ca.pem"), cert_reqs=cert_reqs)
    assert ours.options & ~OUR_OPTIONS == int(theirs.options) & ~OUR_OPTIONS
    assert ours.verify_mode == int(theirs.verify_mode) == cert_reqs


def test_key_in_the_certificate_file(pki: Path) -> None:
    TLSContext.from_settings(str(pki / "bundle.pem"))


def test_encrypted_key_with_its_passphrase(pki: Path) -> None:
    TLSContext.from_settings(str(pki / "server.pem"), str(pki / "server-enc.key"),
                             password=PASSPHRASE)


@pytest.mark.parametrize("kwargs, message", [
    ({"keyfile": "server-enc.key"}, "(encrypted? set keyfile_password)"),
    ({"keyfile": "server-enc.key", "password": "wrong"}, "(is keyfile_password right?)"),
    ({"keyfile": "other.key"}, "keyfile does not match certfile"),
    ({"keyfile": "missing.key"}, "No such file or directory"),
    ({"certfile": "missing.pem"}, "cannot load certfile"),
    ({"ca_certs": "missing-ca.pem"}, "cannot load ca_certs"),
    ({"ciphers": "NOT-A-CIPHER"}, "bad ciphers NOT-A-CIPHER"),
])
def test_refusals_say_why_in_one_line(pki: Path, kwargs: dict[str, str], message: str) -> None:
    args = {"certfile": "server.pem", "keyfile": "server.key", **kwargs}
    for name in ("certfile", "keyfile", "ca_certs"):
        if name in args:
            args[name] = str(pki / args[name])
    certfile = args.pop("certfile")
    with pytest.raises(TLSError) as info:
        TLSContext.from_settings(certfile, **args)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_adopts_the_hooks_context(pki: Path) -> None:
    ctx = gunicorn_default(pki, ca_certs=str(pki / "ca.pem"), cert_reqs=2)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    adopted = TLSContext.adopt(ctx)
    assert adopted.adopted and adopted.verify_mode == 2
    assert adopted.options & int(ctx.options) == int(ctx.options)


@pytest.mark.parametrize("spoil, message", [
    (lambda ctx: setattr(ctx, "sni_callback", lambda *a: None), "sni_callback"),
    (lambda ctx: None, "client context"),
])
def test_adopt_refuses_what_cannot_work_from_c(pki: Path, spoil, message: str) -> None:
    ctx = gunicorn_default(pki)
    if message == "client context":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    spoil(ctx)
    with pytest.raises(TLSError, match=message):
        TLSContext.adopt(ctx)


def test_adopt_refuses_what_is_not_a_context() -> None:
    with pytest.raises(TLSError, match="not an ssl.SSLContext"):
        TLSContext.adopt(object())
