"""The SSL settings: gunicorn's names, flags and defaults; none of them is in
the accepted-but-ignored list any more."""

from __future__ import annotations

import pytest

from fastwsgi.config import Config
from fastwsgi.config.registry import ignored_setting_names
from fastwsgi.errors import ConfigError
from fastwsgi.workers.tls import deprecation_warnings, is_ssl

SSL_SETTINGS = ("certfile", "keyfile", "keyfile_password", "ca_certs", "cert_reqs", "ciphers",
                "ssl_version", "do_handshake_on_connect", "suppress_ragged_eofs", "ssl_context")


def test_no_tls_setting_is_ignored() -> None:
    assert not set(SSL_SETTINGS) & set(ignored_setting_names())


def test_gunicorn_defaults() -> None:
    cfg = Config()
    assert (cfg.certfile, cfg.keyfile, cfg.ca_certs, cfg.ciphers) == (None,) * 4
    assert (cfg.cert_reqs, cfg.ssl_version) == (0, 2)
    assert cfg.suppress_ragged_eofs is True and cfg.do_handshake_on_connect is False
    assert not is_ssl(cfg)


def test_flags() -> None:
    cfg = Config()
    args = cfg.parser().parse_args(["--certfile", "c.pem", "--keyfile", "k.pem",
                                    "--cert-reqs", "2", "--ca-certs", "ca.pem",
                                    "--ciphers", "ECDHE+AESGCM", "--keyfile-password", "pw"])
    for name in ("certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers", "keyfile_password"):
        value = getattr(args, name)
        if value is not None:
            cfg.set(name, value)
    assert is_ssl(cfg) and cfg.cert_reqs == 2 and cfg.keyfile_password == "pw"


@pytest.mark.parametrize("value", [3, -1, "required"])
def test_cert_reqs_is_0_1_or_2(value: object) -> None:
    with pytest.raises(ConfigError):
        Config().set("cert_reqs", value)


def test_ssl_version_warns_as_gunicorn_does() -> None:
    cfg = Config()
    assert deprecation_warnings(cfg) == []
    cfg.set("ssl_version", "TLSv1_2")
    assert deprecation_warnings(cfg) == [
        "option `ssl_version` is deprecated and it is ignored. Use ssl_context instead."]
