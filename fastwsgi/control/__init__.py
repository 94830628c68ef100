"""The control server: supervisor's XML-RPC and log tails over HTTP with basic
auth on unix and inet sockets, and the ``fastwsgi ctl`` client.

``fastwsgi.control.http`` (the bare HTTP server) imports nothing of supervisor
mode, so plain WSGI mode can use it (``--metrics-bind``) without loading the
XML-RPC layer: ``make_control_server`` is imported on first use only.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "make_control_server":
        from fastwsgi.control.server import make_control_server
        return make_control_server
    raise AttributeError(name)
