"""Loader fixture: a plain WSGI app under several names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"basic"]


application = app
holder = SimpleNamespace(inner=SimpleNamespace(app=app))
