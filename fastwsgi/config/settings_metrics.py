"""Settings: Metrics (the /metrics and status page server, request counting)
and gunicorn's statsd settings (section Logging, as in gunicorn)."""

from __future__ import annotations

import re
from typing import Any

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting

STATSD_DEFAULT_PORT = 8125
METRICS_DEFAULT_HOST = "127.0.0.1"


def parse_statsd_address(value: str) -> str | tuple[str, int]:
    """statsd_host: `HOST:PORT`, `HOST` (port 8125), `[V6]:PORT`, or a unix
    socket path (a str) from `unix:PATH` or gunicorn's `unix://PATH`."""
    if value.startswith("unix:"):
        path = value[len("unix://"):] if value.startswith("unix://") else value[len("unix:"):]
        if not path:
            raise ValueError(f"{value!r}: no socket path")
        return path
    return _host_port(value, "", STATSD_DEFAULT_PORT)


def parse_metrics_bind(value: str) -> str | tuple[str, int]:
    """metrics_bind: `HOST:PORT`, `PORT` (on 127.0.0.1), `[V6]:PORT`, or a
    unix socket path (a str) from `unix:PATH`."""
    if value.startswith("unix:"):
        path = value[len("unix:"):]
        if not path:
            raise ValueError(f"{value!r}: no socket path")
        return path
    if value.isdigit():
        value = f"{METRICS_DEFAULT_HOST}:{value}"
    return _host_port(value, METRICS_DEFAULT_HOST, None)


def _host_port(value: str, default_host: str, default_port: int | None) -> tuple[str, int]:
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", value)
    if match:
        host, port_text = match.group(1), match.group(2)
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, None
    host = host or default_host
    if port_text is None:
        if default_port is None:
            raise ValueError(f"{value!r}: expected HOST:PORT, PORT or unix:PATH")
        port = default_port
    elif port_text.isdigit():
        port = int(port_text)
    else:
        raise ValueError(f"{value!r}: the port is not a number")
    if not host or not 0 < port < 65536:
        raise ValueError(f"{value!r}: expected HOST:PORT or unix:PATH")
    return host, port


def _checked(parse: Any) -> Any:
    def validate(val: Any) -> str | None:
        val = v.validate_string(val)
        if val:
            parse(val)
        return val or None
    return validate


class _Statsd(Setting):
    section = "Logging"


class StatsdHost(_Statsd):
    name = "statsd_host"
    cli = ("--statsd-host",)
    meta = "STATSD_ADDR"
    validator = _checked(parse_statsd_address)
    default = None
    desc = """\
        The StatsD server for gunicorn's metrics (HOST:PORT or unix:PATH).

        ``HOST:PORT`` is UDP (port 8125 when left out); ``unix:PATH`` or
        ``unix://PATH`` a unix datagram socket.

        The master sends gunicorn's names (``gunicorn.requests``,
        ``gunicorn.request.duration``, ``gunicorn.request.status.NNN``,
        ``gunicorn.workers``, ``gunicorn.log.*``) once a second, many lines a
        datagram, from the workers' shared-memory counters: nothing is sent
        per request.
        """


class DogstatsdTags(_Statsd):
    name = "dogstatsd_tags"
    cli = ("--dogstatsd-tags",)
    meta = "DOGSTATSD_TAGS"
    validator = v.validate_string
    default = ""
    desc = """\
        Comma-separated dogstatsd tags added to every statsd line.

        For example ``env:prod,service:web``.
        """


class StatsdPrefix(_Statsd):
    name = "statsd_prefix"
    cli = ("--statsd-prefix",)
    meta = "STATSD_PREFIX"
    validator = v.validate_string
    default = ""
    desc = """\
        Prefix of every statsd name (a trailing dot is added if missing).
        """


class EnableBacklogMetric(_Statsd):
    name = "enable_backlog_metric"
    cli = ("--enable-backlog-metric",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Also send gunicorn.backlog, the listeners' accept-queue depth, to statsd.

        A statsd histogram of the connections waiting in the listeners' accept
        queues, as the kernel counts them.
        """


class _Metrics(Setting):
    section = "Metrics"


class MetricsBind(_Metrics):
    name = "metrics_bind"
    cli = ("--metrics-bind",)
    meta = "ADDRESS"
    validator = _checked(parse_metrics_bind)
    default = None
    desc = """\
        Serve /metrics (Prometheus) and the status page on this address.

        ``HOST:PORT``, ``PORT`` (on 127.0.0.1) or ``unix:PATH``.

        The master serves them (never a worker), so they answer while every
        worker is busy.  In supervisor mode they are on the control server
        instead.  Bind to a public address only with ``metrics_auth``.
        """


class MetricsAuth(_Metrics):
    name = "metrics_auth"
    cli = ("--metrics-auth",)
    meta = "USER:PASSWORD"
    validator = v.validate_string
    default = None
    desc = """\
        Basic-auth credentials (USER:PASSWORD) for the metrics_bind server.

        A password of the form ``{SHA}hex`` is the SHA-1 of the real one, as
        in supervisord.  Prefer a config file to the command line, where other
        users can read it.
        """


class RequestCounters(_Metrics):
    name = "request_counters"
    cli = ("--no-request-counters",)
    action = "store_false"
    validator = v.validate_bool
    default = True
    desc = """\
        Turn off the workers' request counters (only to measure their cost).

        Workers count requests in shared memory, the source of /metrics,
        statsd and the status page.  Turning it off exists to measure what
        counting costs (bench/), and leaves the request metrics at 0.
        """
