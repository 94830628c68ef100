"""Logging configured by the user: logconfig_dict/json/file, and syslog."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fastwsgi.errors import ConfigError
from fastwsgi.logs import (
    Logger,
    parse_syslog_address,
)
from tests.support.logs import (
    error_lines,
    make_environ,
)

# -- logging configs --------------------------------------------------------------------


def test_logconfig_dict_applied(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    path = tmp_path / "custom.log"
    config = {
        "formatters": {"plain": {"format": "%(levelname)s|%(name)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "plain"}},
        "loggers": {
            "fastwsgi.error": {"level": "DEBUG", "handlers": ["file"], "propagate": False},
            "fastwsgi.access": {"level": "INFO", "handlers": ["file"], "propagate": False},
        },
    }
    logger = new_logger(logconfig_dict=config, access_log_format="%(m)s %(U)s %(s)s")
    assert logger.access_enabled  # gunicorn: a logging config turns the access log on
    logger.debug("debug line")
    logger.access(make_environ(), "201 Created", [], 0, 0.0)
    assert path.read_text() == (
        "DEBUG|fastwsgi.error|debug line\nINFO|fastwsgi.access|GET /path/a b 201\n"
    )


def test_logconfig_dict_defaults(new_logger: Callable[..., Logger],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    # Only a formatter given: gunicorn's default handlers (errors to stderr,
    # access lines to stdout) use it; no line is written twice.
    config = {"formatters": {"generic": {"format": "G %(levelname)s %(message)s"}}}
    logger = new_logger(logconfig_dict=config, loglevel="debug", access_log_format="%(s)s")
    logger.debug("dbg")
    logger.access(make_environ(), "200 OK", [], 0, 0.0)
    out, err = capsys.readouterr()
    assert err == "G DEBUG dbg\n"
    assert out == "G INFO 200\n"


def test_logconfig_dict_that_silences_access(new_logger: Callable[..., Logger]) -> None:
    config = {"loggers": {"fastwsgi.access": {"level": "WARNING", "propagate": False}}}
    assert not new_logger(logconfig_dict=config).access_enabled


def test_invalid_logconfig_dict(new_logger: Callable[..., Logger]) -> None:
    config = {"handlers": {"bad": {"class": "no.such.Handler"}}}
    with pytest.raises(ConfigError, match="invalid logconfig_dict"):
        new_logger(logconfig_dict=config)


def test_logconfig_json(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    path = tmp_path / "json.log"
    config = {
        "version": 1,
        "formatters": {"plain": {"format": "%(levelname)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "plain"}},
        "loggers": {"fastwsgi.error": {"level": "INFO", "handlers": ["file"]}},
    }
    (tmp_path / "log.json").write_text(json.dumps(config))
    new_logger(logconfig_json=str(tmp_path / "log.json")).info("from json")
    assert path.read_text() == "INFO from json\n"


def test_logconfig_json_unreadable(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="logconfig_json"):
        new_logger(logconfig_json=str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="logconfig_json"):
        new_logger(logconfig_json=str(tmp_path / "bad.json"))


def test_logconfig_file(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    (tmp_path / "logging.ini").write_text("""\
[loggers]
keys=root,error

[handlers]
keys=file

[formatters]
keys=plain

[logger_root]
level=WARNING
handlers=

[logger_error]
level=DEBUG
handlers=file
propagate=0
qualname=fastwsgi.error

[handler_file]
class=FileHandler
args=('%(here)s/ini.log', 'a')
formatter=plain

[formatter_plain]
format=%(levelname)s %(message)s
""")
    new_logger(logconfig=str(tmp_path / "logging.ini")).debug("from ini")
    assert (tmp_path / "ini.log").read_text() == "DEBUG from ini\n"


def test_logconfig_file_missing(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        new_logger(logconfig=str(tmp_path / "missing.ini"))


# -- syslog ---------------------------------------------------------------------------


@pytest.fixture
def syslog_server() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    yield sock
    sock.close()


def test_syslog_over_udp(new_logger: Callable[..., Logger], syslog_server: socket.socket,
                         tmp_path: Path) -> None:
    port = syslog_server.getsockname()[1]
    logger = new_logger(syslog=True, syslog_addr=f"udp://127.0.0.1:{port}",
                        syslog_prefix="myapp", syslog_facility="local0",
                        errorlog=str(tmp_path / "error.log"), access_log_format="%(m)s %(s)s")
    assert logger.access_enabled  # syslog takes the access lines too
    logger.info("hello %s", "world")
    assert syslog_server.recv(4096) == f"<134>fastwsgi.myapp.error: [{os.getpid()}] hello world\x00".encode()
    logger.access(make_environ(), "200 OK", [], 5, 0.1)
    assert syslog_server.recv(4096) == f"<134>fastwsgi.myapp.access: [{os.getpid()}] GET 200\x00".encode()
    assert error_lines(tmp_path / "error.log") == [("INFO", "hello world")]


def test_syslog_without_access_lines(new_logger: Callable[..., Logger],
                                     syslog_server: socket.socket, tmp_path: Path) -> None:
    port = syslog_server.getsockname()[1]
    logger = new_logger(syslog=True, syslog_addr=f"udp://127.0.0.1:{port}",
                        disable_redirect_access_to_syslog=True, proc_name="my:app",
                        errorlog=str(tmp_path / "error.log"))
    assert not logger.access_enabled
    logger.access(make_environ(), "200 OK", [], 5, 0.1)  # would be the first datagram
    logger.warning("marker")
    assert syslog_server.recv(4096) == f"<12>fastwsgi.my.app.error: [{os.getpid()}] marker\x00".encode()


def test_unknown_syslog_facility(new_logger: Callable[..., Logger]) -> None:
    with pytest.raises(ConfigError, match="unknown syslog facility"):
        new_logger(syslog=True, syslog_addr="udp://127.0.0.1:9", syslog_facility="nope")


@pytest.mark.parametrize(("addr", "expected"), [
    ("udp://localhost:514", (socket.SOCK_DGRAM, ("localhost", 514))),
    ("udp://Example.COM", (socket.SOCK_DGRAM, ("example.com", 514))),
    ("udp://", (socket.SOCK_DGRAM, ("localhost", 514))),
    ("tcp://10.0.0.1:6514", (socket.SOCK_STREAM, ("10.0.0.1", 6514))),
    ("tcp://[::1]:601", (socket.SOCK_STREAM, ("::1", 601))),
    ("udp://[fe80::1]", (socket.SOCK_DGRAM, ("fe80::1", 514))),
    ("unix:///dev/log", (None, "/dev/log")),
    ("unix:///dev/log#dgram", (socket.SOCK_DGRAM, "/dev/log")),
    ("unix:///var/run/syslog#stream", (socket.SOCK_STREAM, "/var/run/syslog")),
])
def test_parse_syslog_address(addr: str, expected: object) -> None:
    assert parse_syslog_address(addr) == expected


@pytest.mark.parametrize("addr", [
    "localhost:514", "http://localhost", "udp://host:port", "unix:///dev/log#raw",
])
def test_parse_syslog_address_errors(addr: str) -> None:
    with pytest.raises(ConfigError):
        parse_syslog_address(addr)
