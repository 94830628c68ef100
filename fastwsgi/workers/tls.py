"""The TLS context of the listeners, from the SSL settings (config/settings_ssl.py).

The master builds it when it reads the configuration (at start, before
anything listens; on HUP, before new workers start; with --check-config), and
the workers forked with that configuration inherit it: what was checked is
what is served, and a file changed after the check cannot fail a worker's
boot.  A HUP reads the files again, so new workers serve a renewed
certificate; a broken one fails the reload and the old workers serve on.

With the default ``ssl_context`` hook, the engine builds the context in C
(engine/tls.pyx) and Python's ssl module is not imported.  A custom hook gets
gunicorn's ``default_ssl_context_factory`` (Python's ssl, as gunicorn/sock.py
builds it) and the engine serves the SSL_CTX of the ``ssl.SSLContext`` it
returns.
"""

from __future__ import annotations

import os
from typing import Any

from fastwsgi.errors import ConfigError


def is_ssl(cfg: Any) -> bool:
    """gunicorn's Config.is_ssl: TLS as soon as a certificate or key is set."""
    return bool(cfg.certfile or cfg.keyfile)


def _readable(what: str, path: str | None) -> None:
    if path is not None and not os.access(path, os.R_OK):
        reason = "no such file" if not os.path.exists(path) else "not readable"
        raise ConfigError(f"TLS: {what} {path}: {reason}")


def context_for(cfg: Any) -> Any:
    """build_context(cfg), once per configuration object (kept on it, so that
    a HUP's rollback to the previous configuration restores its context)."""
    if "_tls_context" not in cfg.__dict__:
        cfg.__dict__["_tls_context"] = build_context(cfg)
    return cfg.__dict__["_tls_context"]


def build_context(cfg: Any) -> Any:
    """The engine's TLSContext for this configuration, None without TLS;
    ConfigError with one line when it cannot be served."""
    if not is_ssl(cfg):
        return None
    from fastwsgi._core import TLSContext, TLSError
    if not cfg.certfile:
        raise ConfigError("TLS: keyfile is set but certfile is not")
    if str(cfg.proxy_protocol) != "off":
        raise ConfigError("TLS: proxy_protocol with certfile is not supported (the PROXY "
                          "header precedes the TLS handshake); terminate TLS in the proxy")
    for what in ("certfile", "keyfile", "ca_certs"):
        _readable(what, getattr(cfg, what))
    try:
        if cfg.is_default("ssl_context"):
            return TLSContext.from_settings(
                cfg.certfile, cfg.keyfile, password=cfg.keyfile_password,
                ca_certs=cfg.ca_certs, cert_reqs=int(cfg.cert_reqs), ciphers=cfg.ciphers,
                suppress_ragged_eofs=bool(cfg.suppress_ragged_eofs))
        context = cfg.ssl_context(cfg, lambda: default_ssl_context_factory(cfg))
        return TLSContext.adopt(context, bool(cfg.suppress_ragged_eofs))
    except TLSError as exc:
        raise ConfigError(f"TLS: {exc}") from None
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise ConfigError(f"TLS: ssl_context hook: {exc}") from None


def default_ssl_context_factory(cfg: Any) -> Any:
    """gunicorn's (gunicorn/sock.py), with keyfile_password for an encrypted key."""
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=cfg.ca_certs)
    context.load_cert_chain(certfile=cfg.certfile, keyfile=cfg.keyfile,
                            password=cfg.keyfile_password)
    context.verify_mode = ssl.VerifyMode(int(cfg.cert_reqs))
    if cfg.ciphers:
        context.set_ciphers(cfg.ciphers)
    context.set_alpn_protocols(["http/1.1"])
    return context


def deprecation_warnings(cfg: Any) -> list[str]:
    """gunicorn's warning for ssl_version, which it ignores as we do."""
    if cfg.is_default("ssl_version"):
        return []
    return ["option `ssl_version` is deprecated and it is ignored. Use ssl_context instead."]
