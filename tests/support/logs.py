"""Shared fixtures and helpers of the logging tests (test_logs*.py)."""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastwsgi.config import Config
from fastwsgi.logs import (
    Logger,
)

REPO = Path(__file__).resolve().parents[2]
# 2024-03-06 13:05:09.25 UTC; 14:05:09 in the TZ fixture's zone (UTC+1).
FIXED_TIME = 1709730309.25
FIXED_DATE = "[06/Mar/2024:14:05:09 +0100]"
DEFAULT_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
ERROR_LINE = re.compile(
    r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[(\d+)\] \[([A-Z]+)\] (.*)$"
)
LOGGER_NAMES = ("", "fastwsgi.error", "fastwsgi.access", "gunicorn.error", "gunicorn.access")


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def make_environ(**extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/path/a%20b?x=1&y=2",
        "PATH_INFO": "/path/a b",
        "QUERY_STRING": "x=1&y=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": "http://example.com/",
        "HTTP_USER_AGENT": "curl/8.5.0",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_AUTHORIZATION": basic("alice:secret"),
        "CONTENT_TYPE": "text/plain",
        "wsgi.url_scheme": "http",
    }
    environ.update(extra)
    return environ


RESPONSE_HEADERS = [
    ("Content-Type", "text/html"), ("Content-Length", "1234"),
    ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
]


def make_cfg(**settings: Any) -> Config:
    cfg = Config({})
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg


class Recorder(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def error_lines(path: Path) -> list[tuple[str, str]]:
    """(level, message) of each line, checking the line format on the way."""
    result = []
    for line in path.read_text().splitlines():
        match = ERROR_LINE.match(line)
        assert match, f"not an error-log line: {line!r}"
        assert int(match.group(1)) == os.getpid()
        result.append((match.group(2), match.group(3)))
    return result


def access_line(new_logger: Callable[..., Logger], tmp_path: Path, fmt: str = DEFAULT_FORMAT,
                environ: dict[str, Any] | None = None, status: str = "200 OK",
                headers: list[tuple[str, str]] | None = None, length: int | None = 1234,
                request_time: float = 0.25) -> str:
    path = tmp_path / "access.log"
    logger = new_logger(accesslog=str(path), access_log_format=fmt,
                        errorlog=str(tmp_path / "error.log"))
    assert logger.access_enabled
    logger.access(make_environ() if environ is None else environ, status,
                  RESPONSE_HEADERS if headers is None else headers, length, request_time)
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    return lines[0]
