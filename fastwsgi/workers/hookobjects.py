"""The `req` and `resp` objects gunicorn passes to pre_request/post_request,
built from the environ only when such a hook is configured."""

from __future__ import annotations

from typing import Any


class HookRequest:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "")
        self.uri: str = environ.get("RAW_URI", "")
        self.path: str = environ.get("PATH_INFO", "")
        self.query: str = environ.get("QUERY_STRING", "")
        proto = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
        self.version = (int(proto[5]), int(proto[7])) if len(proto) == 8 else (1, 1)
        self.remote_addr = environ.get("REMOTE_ADDR", "")

    @property
    def headers(self) -> list[tuple[str, str]]:
        out = []
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                out.append((key[5:].replace("_", "-"), value))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                out.append((key.replace("_", "-"), value))
        return out


class HookResponse:
    def __init__(self, status: str, headers: list[tuple[str, str]] | None, sent: int) -> None:
        self.status = status
        self.status_code = int(status.split(None, 1)[0]) if status else 0
        self.headers = list(headers or [])
        self.sent = sent
        self.response_length = sent
