"""SSL: TLS served by the engine, with gunicorn's settings (names, flags,
defaults, meaning), plus ``keyfile_password``, which gunicorn lacks.

TLS is on when ``certfile`` or ``keyfile`` is set (gunicorn's ``is_ssl``); then
every listener serves TLS only.  The context is built in C the way gunicorn's
``default_ssl_context_factory`` builds it with Python's ssl module; a custom
``ssl_context`` hook's ``ssl.SSLContext`` is served as it is (see
fastwsgi/workers/tls.py).  A configuration that cannot be served refuses to
start with one line (``--check-config`` too).
"""

from __future__ import annotations

from typing import Any

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting

# gunicorn's ssl.PROTOCOL_SSLv23 (== ssl.PROTOCOL_TLS), without importing ssl.
PROTOCOL_TLS = 2


def validate_cert_reqs(val: Any) -> int:
    """gunicorn's cert_reqs: 0 (ssl.CERT_NONE), 1 (CERT_OPTIONAL), 2 (CERT_REQUIRED)."""
    number = v.validate_non_negative_int(val)
    if number > 2:
        raise ValueError("expected 0 (none), 1 (optional) or 2 (required)")
    return number


class _SSL(Setting):
    section = "SSL"


class KeyFile(_SSL):
    name = "keyfile"
    cli = ("--keyfile",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        SSL key file (PEM). Without it, the key is read from ``certfile``.
        """


class CertFile(_SSL):
    name = "certfile"
    cli = ("--certfile",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        SSL certificate file (PEM; the chain after the certificate).

        Setting it (or ``keyfile``) makes every listener serve TLS, and TLS
        only: ``Listening at: https://...``. A file that cannot be read, a
        key that does not match the certificate or a bad ``ciphers`` string
        refuses to start, with one line.
        """


class KeyfilePassword(_SSL):
    name = "keyfile_password"
    cli = ("--keyfile-password",)
    meta = "PASSWORD"
    validator = v.validate_string
    default = None
    desc = """\
        Passphrase of an encrypted ``keyfile`` (fastwsgi; gunicorn has no
        such setting: there, the ``ssl_context`` hook passes ``password`` to
        ``load_cert_chain``, which also works here). Prefer the config file
        or the environment to the command line, where other users see it.
        """


class SSLVersion(_SSL):
    name = "ssl_version"
    cli = ("--ssl-version",)
    validator = v.validate_any
    default = PROTOCOL_TLS
    default_doc = "ssl.PROTOCOL_TLS"
    desc = """\
        Deprecated and ignored, as in gunicorn (which warns when it is set):
        TLS 1.2 and 1.3 are negotiated. Use the ``ssl_context`` hook to set
        ``minimum_version`` instead.
        """


class CertReqs(_SSL):
    name = "cert_reqs"
    cli = ("--cert-reqs",)
    validator = validate_cert_reqs
    default = 0
    desc = """\
        Whether a client certificate is required: ``0`` no client
        verification, ``1`` optional (verified when sent), ``2`` required
        (a client without a valid one is refused in the handshake). Client
        certificates are verified against ``ca_certs``.
        """


class CACerts(_SSL):
    name = "ca_certs"
    cli = ("--ca-certs",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        CA certificates file (PEM) that client certificates are verified against.
        """


class SuppressRaggedEOFs(_SSL):
    name = "suppress_ragged_eofs"
    cli = ("--suppress-ragged-eofs",)
    action = "store_true"
    validator = v.validate_bool
    default = True
    desc = """\
        A client that closes TCP without TLS's close_notify ends its stream
        like a clean close (true), or is a TLS error, logged at debug level
        (false). Either way the connection is closed.
        """


class DoHandshakeOnConnect(_SSL):
    name = "do_handshake_on_connect"
    cli = ("--do-handshake-on-connect",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Accepted for gunicorn's configs; both values behave alike here: the
        handshake never blocks, it runs in the worker's loop as soon as the
        client's first bytes arrive (``header_timeout`` counts from accept).
        """


class Ciphers(_SSL):
    name = "ciphers"
    cli = ("--ciphers",)
    validator = v.validate_string
    default = None
    desc = """\
        TLS 1.2 cipher suites, as an OpenSSL cipher list. By default, the
        list of Python's ``ssl`` module (as gunicorn). TLS 1.3's suites are
        OpenSSL's defaults.
        """


def ssl_context(config: Any, default_ssl_context_factory: Any) -> Any:
    return default_ssl_context_factory()  # gunicorn's default: the factory's context


class NewSSLContext(Setting):
    name = "ssl_context"
    section = "Server Hooks"
    validator = v.validate_callable(2)
    default = ssl_context
    default_doc = "def ssl_context(config, default_ssl_context_factory): return the factory's"
    desc = """\
        Called when the SSLContext is needed, with the config and a factory
        that returns the default context (certificates, key, cert_reqs,
        ciphers, ca_certs as configured); returns an ``ssl.SSLContext``.

        The context it returns is served as it is (its minimum_version,
        options, ciphers, verify locations...): the engine uses that very
        OpenSSL context, and adds ALPN ``http/1.1`` and refuses
        renegotiation. Refused with one line: a context that sets
        ``sni_callback``, ``keylog_filename`` or ``_msg_callback`` (OpenSSL
        would call them with an ``ssl.SSLSocket`` the engine does not have),
        a client context, or a Python whose ssl module is built on another
        libssl than fastwsgi. It is called in the master to check the
        configuration, and once in each worker.
        """
