"""The client certificate as the environ shows it: VERIFY|SUBJECT|ISSUER."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = "|".join(environ.get(k, "-") for k in
                    ("SSL_CLIENT_VERIFY", "SSL_CLIENT_S_DN", "SSL_CLIENT_I_DN")).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
