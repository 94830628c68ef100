"""The error and access logs: gunicorn's formats, atoms, files, syslog and logconfig."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fastwsgi import logs
from fastwsgi.config import Config
from fastwsgi.errors import ConfigError
from fastwsgi.logs import (
    ATOMS,
    Logger,
    clf_date,
    escape,
    format_keys,
    parse_syslog_address,
    setup_logging,
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


@pytest.fixture
def tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets a POSIX TZ (no tzdata needed); UTC+1 unless told otherwise."""
    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    set_tz("CET-1")
    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def new_logger(tz: Callable[[str], None]) -> Iterator[Callable[..., Logger]]:
    """``new_logger(errorlog=..., ...)``: a Logger over fresh settings, clock fixed.

    Afterwards every logger it touched is put back as it was and every handler
    added meanwhile (ours or a logging config's) is closed.
    """
    saved = {}
    for name in LOGGER_NAMES:
        log = logging.getLogger(name)
        saved[name] = (list(log.handlers), log.level, log.propagate, log.disabled)
    made: list[Logger] = []

    def make(clock: Callable[[], float] = lambda: FIXED_TIME, **settings: Any) -> Logger:
        logger = Logger(make_cfg(**settings), clock=clock)
        made.append(logger)
        return logger

    yield make
    for logger in made:
        logger.close()
    for name, (handlers, level, propagate, disabled) in saved.items():
        log = logging.getLogger(name)
        for handler in log.handlers:
            if handler not in handlers:
                handler.close()
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate, log.disabled = propagate, disabled
        if hasattr(log, "_fastwsgi"):
            delattr(log, "_fastwsgi")


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


# -- the error log -----------------------------------------------------------------


def test_error_line_format_in_a_file(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    path = tmp_path / "sub.log"
    logger = new_logger(errorlog=str(path))
    logger.info("Listening at: %s (%d)", "http://127.0.0.1:8000", 42)
    logger.error("boom %r", "x")
    assert error_lines(path) == [
        ("INFO", "Listening at: http://127.0.0.1:8000 (42)"), ("ERROR", "boom 'x'"),
    ]
    assert logger.error_log.name == "fastwsgi.error"
    assert logger.access_log.name == "fastwsgi.access"


def test_error_log_date_is_local_time_with_offset(new_logger: Callable[..., Logger],
                                                  tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    new_logger(errorlog=str(path)).info("x")
    stamp = path.read_text()[1:26]
    parsed = time.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")
    assert stamp.endswith("+0100")
    assert abs(time.mktime(parsed) - time.time()) < 60


def test_errorlog_dash_is_stderr(new_logger: Callable[..., Logger],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    new_logger().warning("to stderr")
    out, err = capsys.readouterr()
    assert out == ""
    assert ERROR_LINE.match(err.rstrip("\n"))
    assert err.endswith("[WARNING] to stderr\n")


@pytest.mark.parametrize(("loglevel", "expected"), [
    ("debug", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    ("info", ["INFO", "WARNING", "ERROR", "CRITICAL"]),
    ("warning", ["WARNING", "ERROR", "CRITICAL"]),
    ("warn", ["WARNING", "ERROR", "CRITICAL"]),
    ("error", ["ERROR", "CRITICAL"]),
    ("critical", ["CRITICAL"]),
])
def test_levels(new_logger: Callable[..., Logger], tmp_path: Path, loglevel: str,
                expected: list[str]) -> None:
    path = tmp_path / "error.log"
    logger = new_logger(errorlog=str(path), loglevel=loglevel)
    logger.debug("m")
    logger.info("m")
    logger.warning("m")
    logger.error("m")
    logger.critical("m")
    assert [level for level, _ in error_lines(path)] == expected


def test_log_with_a_level_name_and_exception(new_logger: Callable[..., Logger],
                                             tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    logger = new_logger(errorlog=str(path))
    logger.log("warning", "by name %d", 1)
    logger.log(logging.ERROR, "by number")
    try:
        raise ValueError("the cause")
    except ValueError:
        logger.exception("Error handling request %s", "/x")
    text = path.read_text()
    assert "[WARNING] by name 1\n" in text
    assert "[ERROR] by number\n" in text
    assert "[ERROR] Error handling request /x\nTraceback (most recent call last):" in text
    assert text.endswith("ValueError: the cause\n")


def test_records_name_the_callers_function(new_logger: Callable[..., Logger]) -> None:
    records: list[logging.LogRecord] = []
    logger = new_logger()
    handler = Recorder(records)
    logger.error_log.addHandler(handler)
    logger.error("x")
    logger.error_log.removeHandler(handler)
    assert records[0].funcName == "test_records_name_the_callers_function"


def test_reopen_files_after_the_file_was_moved(new_logger: Callable[..., Logger],
                                               tmp_path: Path) -> None:
    path, moved = tmp_path / "error.log", tmp_path / "error.log.1"
    access, access_moved = tmp_path / "access.log", tmp_path / "access.log.1"
    logger = new_logger(errorlog=str(path), accesslog=str(access), access_log_format="%(s)s")
    logger.info("before")
    logger.access(make_environ(), "200 OK", [], 1, 0.0)
    path.rename(moved)
    access.rename(access_moved)
    logger.info("moved, not reopened yet")
    logger.reopen_files()  # USR1
    logger.info("after")
    logger.access(make_environ(), "404 Not Found", [], 1, 0.0)
    assert [m for _, m in error_lines(moved)] == ["before", "moved, not reopened yet"]
    assert [m for _, m in error_lines(path)] == ["after"]
    assert access_moved.read_text() == "200\n"
    assert access.read_text() == "404\n"


def test_close_on_exec(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    logger = new_logger(errorlog=str(tmp_path / "error.log"))
    logger.close_on_exec()
    (handler,) = logger.error_log.handlers
    assert isinstance(handler, logging.FileHandler)
    assert handler.stream is not None
    assert not os.get_inheritable(handler.stream.fileno())


def test_unwritable_errorlog_is_a_config_error(new_logger: Callable[..., Logger],
                                               tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open log file"):
        new_logger(errorlog=str(tmp_path / "missing-dir" / "error.log"))


def test_setup_twice_replaces_our_handlers(new_logger: Callable[..., Logger],
                                           tmp_path: Path) -> None:
    # HUP: the same Logger takes the new settings.
    logger = new_logger(errorlog=str(tmp_path / "a.log"))
    assert not logger.access_enabled
    logger.setup(make_cfg(errorlog=str(tmp_path / "b.log"), loglevel="debug",
                          accesslog=str(tmp_path / "access.log"), access_log_format="%(m)s"))
    assert len(logger.error_log.handlers) == 1
    assert logger.access_enabled
    logger.debug("x")
    logger.access(make_environ(), "200 OK", [], 0, 0.0)
    assert (tmp_path / "a.log").read_text() == ""
    assert error_lines(tmp_path / "b.log") == [("DEBUG", "x")]
    assert (tmp_path / "access.log").read_text() == "GET\n"


def test_capture_output_and_reopen(tmp_path: Path) -> None:
    # fds 1 and 2 are redirected, so this runs in a process of its own.
    path, moved = tmp_path / "error.log", tmp_path / "error.log.1"
    script = f"""
import os, sys
from fastwsgi import logs
from fastwsgi.config import Config
from fastwsgi.logs import setup_logging
cfg = Config({{}})
cfg.set("errorlog", {str(path)!r})
cfg.set("capture_output", True)
log = setup_logging(cfg)
print("printed")
sys.stderr.write("written to stderr\\n")
os.write(1, b"raw fd 1\\n")
log.info("logged")
os.rename({str(path)!r}, {str(moved)!r})
log.reopen_files()
print("after reopen")
log.info("logged after reopen")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert done.stderr == b""
    before = moved.read_text().splitlines()
    assert before[:3] == ["printed", "written to stderr", "raw fd 1"]
    assert before[3].endswith("[INFO] logged")
    after = path.read_text().splitlines()
    assert after[0] == "after reopen"
    assert after[1].endswith("[INFO] logged after reopen")


# -- gunicorn's logger names ---------------------------------------------------------


def test_gunicorn_error_logger_shares_our_handlers(new_logger: Callable[..., Logger],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    logger = new_logger(errorlog=str(path))
    gunicorn_error = logging.getLogger("gunicorn.error")
    assert gunicorn_error.handlers == logger.error_log.handlers
    # Flask's recipe: app.logger.handlers = gunicorn_error.handlers
    app_logger = logging.getLogger("tests.flask_app")
    app_logger.handlers = gunicorn_error.handlers
    app_logger.propagate = False
    try:
        app_logger.warning("from the app")
    finally:
        app_logger.handlers = []
    assert error_lines(path) == [("WARNING", "from the app")]


def test_logconfig_dict_naming_gunicorn_error(new_logger: Callable[..., Logger],
                                              tmp_path: Path) -> None:
    path = tmp_path / "custom.log"
    config = {
        "formatters": {"plain": {"format": "%(levelname)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "plain"}},
        "loggers": {"gunicorn.error": {"level": "DEBUG", "handlers": ["file"],
                                       "propagate": False}},
    }
    logger = new_logger(logconfig_dict=config, errorlog=str(tmp_path / "error.log"))
    logger.debug("debug line")
    assert path.read_text() == "DEBUG|debug line\n"
    assert (tmp_path / "error.log").read_text() == ""


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


# -- the access log ---------------------------------------------------------------------


def test_access_log_is_off_by_default(new_logger: Callable[..., Logger]) -> None:
    logger = new_logger()
    assert not logger.access_enabled
    assert logger.access_log.handlers == []


def test_access_log_default_format(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    assert access_line(new_logger, tmp_path) == (
        f'10.0.0.7 - alice {FIXED_DATE} "GET /path/a%20b?x=1&y=2 HTTP/1.1" 200 1234 '
        '"http://example.com/" "curl/8.5.0"'
    )


def test_access_log_default_format_minimal_request(new_logger: Callable[..., Logger],
                                                   tmp_path: Path) -> None:
    environ = {"REQUEST_METHOD": "HEAD", "RAW_URI": "/", "PATH_INFO": "/", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.0", "REMOTE_ADDR": "::1"}
    line = access_line(new_logger, tmp_path, environ=environ, status="304 Not Modified",
                       length=0)
    assert line == f'::1 - - {FIXED_DATE} "HEAD / HTTP/1.0" 304 0 "-" "-"'


def test_access_log_to_stdout(new_logger: Callable[..., Logger],
                              capsys: pytest.CaptureFixture[str]) -> None:
    logger = new_logger(accesslog="-", access_log_format="%(m)s %(s)s")
    logger.access(make_environ(), "200 OK", [], 1, 0.0)
    assert capsys.readouterr().out == "GET 200\n"


def test_every_atom(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    fmt = "|".join(f"{atom}=%({atom})s" for atom in "hlutrmUqHsBbfaTMDLp")
    line = access_line(new_logger, tmp_path, fmt=fmt, request_time=2.25)
    assert line == "|".join([
        "h=10.0.0.7", "l=-", "u=alice", f"t={FIXED_DATE}", "r=GET /path/a%20b?x=1&y=2 HTTP/1.1",
        "m=GET", "U=/path/a b", "q=x=1&y=2", "H=HTTP/1.1", "s=200", "B=1234", "b=1234",
        "f=http://example.com/", "a=curl/8.5.0", "T=2", "M=2250", "D=2250000", "L=2.250000",
        f"p=<{os.getpid()}>",
    ])


@pytest.mark.parametrize(("seconds", "expected"), [
    (0.000123, "0 0 123 0.000123"),
    (0.0015, "0 1 1500 0.001500"),
    (61.999999, "61 61999 61999999 61.999999"),
    (0.0, "0 0 0 0.000000"),
])
def test_request_time_atoms(new_logger: Callable[..., Logger], tmp_path: Path,
                            seconds: float, expected: str) -> None:
    line = access_line(new_logger, tmp_path, fmt="%(T)s %(M)s %(D)s %(L)s",
                       request_time=seconds)
    assert line == expected


def test_numeric_atoms_take_numeric_conversions(new_logger: Callable[..., Logger],
                                                tmp_path: Path) -> None:
    line = access_line(new_logger, tmp_path, fmt="%(T)d %(D)06d %(B)d %(b)s %(h)-10s|",
                       request_time=1.5, length=7)
    assert line == "1 1500000 7 7 10.0.0.7  |"


def test_length_unknown(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    assert access_line(new_logger, tmp_path, fmt="%(b)s", length=None) == "-"


def test_header_and_environ_atoms(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    cases = [  # (format, value)
        ("%({X-Forwarded-For}i)s", "203.0.113.9"),
        ("%({content-type}i)s", "text/plain"),
        ("%({USER-AGENT}I)s", "curl/8.5.0"),
        ("%({missing}i)s", "-"),
        ("%({Content-Length}o)s", "1234"),
        ("%({set-cookie}o)s", "b=2"),  # the last one, as gunicorn's dict keeps it
        ("%({x-missing}o)s", "-"),
        ("%({REMOTE_ADDR}e)s", "10.0.0.7"),
        ("%({wsgi.url_scheme}e)s", "http"),
        ("%({Wsgi.Url_Scheme}e)s", "http"),
        ("%({nope}e)s", "-"),
        ("%({x}z)s", "-"),
        ("%(nope)s", "-"),
        ("%%(h)s", "%(h)s"),
    ]
    fmt = "|".join(fmt for fmt, _ in cases)
    assert access_line(new_logger, tmp_path, fmt=fmt) == "|".join(value for _, value in cases)


def test_escaping(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    environ = make_environ(
        HTTP_USER_AGENT='evil "agent"\r\n127.0.0.1 - - "GET /forged"\x1b[31m\x7f',
        HTTP_REFERER="caf\xe9\tbar",
        RAW_URI='/a"b\x00',
    )
    headers = [("X-Out", "v\x85w")]
    line = access_line(new_logger, tmp_path, environ=environ, headers=headers,
                       fmt='"%(r)s" "%(f)s" "%(a)s" %({x-out}o)s')
    assert line == (
        '"GET /a\\"b\\x00 HTTP/1.1" "caf\xe9\\x09bar" '
        '"evil \\"agent\\"\\x0d\\x0a127.0.0.1 - - \\"GET /forged\\"\\x1b[31m\\x7f" v\\x85w'
    )


def test_escape_function() -> None:
    assert escape("plain text / é") == "plain text / é"
    assert escape('say "hi"') == 'say \\"hi\\"'
    assert escape("a\nb\x00") == "a\\x0ab\\x00"


@pytest.mark.parametrize(("authorization", "user"), [
    (basic("alice:secret"), "alice"),
    ("basic " + base64.b64encode(b"bob").decode(), "bob"),
    (basic("zo\xeb:pw"), "zo\xeb"),
    (basic('ev"il:pw'), 'ev\\"il'),
    ("Bearer abc.def", "-"),
    ("Basic", "-"),
    ("Basic !!!notbase64", "-"),
    ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "-"),
])
def test_user_from_basic_auth(new_logger: Callable[..., Logger], tmp_path: Path,
                              authorization: str, user: str) -> None:
    environ = make_environ(HTTP_AUTHORIZATION=authorization)
    assert access_line(new_logger, tmp_path, fmt="%(u)s", environ=environ) == user


def test_no_authorization_header(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    environ = make_environ()
    del environ["HTTP_AUTHORIZATION"]
    assert access_line(new_logger, tmp_path, fmt="%(u)s", environ=environ) == "-"


def test_format_without_atoms(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    assert access_line(new_logger, tmp_path, fmt="hit 100%%") == "hit 100%"


def test_record_args_hold_every_atom(new_logger: Callable[..., Logger]) -> None:
    # Formatters written for gunicorn read record.args["x"] for any atom.
    records: list[logging.LogRecord] = []
    logger = new_logger(accesslog="-", access_log_format="%(s)s")
    handler = Recorder(records)
    logger.access_log.addHandler(handler)
    logger.access(make_environ(), "200 OK", RESPONSE_HEADERS, 5, 0.5)
    logger.access_log.removeHandler(handler)
    args = records[0].args
    assert isinstance(args, dict)
    assert (args["h"], args["a"], args["D"], args["{content-length}o"]) == (
        "10.0.0.7", "curl/8.5.0", 500000, "1234",
    )
    assert args["zz"] == "-"
    assert records[0].getMessage() == "200"


def test_invalid_access_log_format(new_logger: Callable[..., Logger]) -> None:
    with pytest.raises(ConfigError, match="invalid access_log_format"):
        new_logger(accesslog="-", access_log_format="%(h)d")


def test_date_is_cached_per_second(new_logger: Callable[..., Logger], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[int] = []

    def counting_clf_date(seconds: int) -> str:
        computed.append(seconds)
        return clf_date(seconds)

    monkeypatch.setattr(logs, "clf_date", counting_clf_date)
    now = [FIXED_TIME]
    path = tmp_path / "access.log"
    logger = new_logger(clock=lambda: now[0], accesslog=str(path), access_log_format="%(t)s")
    computed.clear()  # the format check at startup computed one
    for moment in (FIXED_TIME, FIXED_TIME + 0.5, FIXED_TIME + 0.7, FIXED_TIME + 3600):
        now[0] = moment
        logger.access(make_environ(), "200 OK", [], 0, 0.0)
    assert path.read_text().splitlines() == [FIXED_DATE] * 3 + ["[06/Mar/2024:15:05:09 +0100]"]
    assert computed == [int(FIXED_TIME) + 3600]


@pytest.mark.parametrize("zone", ["UTC0", "CET-1", "EST5", "IST-5:30", "NPT-5:45", "XYZ+3:30"])
def test_clf_date_matches_strftime(tz: Callable[[str], None], zone: str) -> None:
    tz(zone)
    for seconds in (0, 951782400, 1709730309, 1719791999, 2147483647):
        expected = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(seconds))
        assert clf_date(seconds) == expected


def test_format_keys() -> None:
    assert format_keys(DEFAULT_FORMAT) == ["h", "l", "u", "t", "r", "s", "b", "f", "a"]
    assert format_keys("%(h)s %(h)s %%(x)s %({a-b}i)s %(T)d") == ["h", "{a-b}i", "T"]
    assert set(ATOMS) | {"t"} == set("hlutrmUqHsBbfaTMDLp")


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


def test_setup_logging_entry_point(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    new_logger()  # the fixture restores the loggers afterwards
    logger = setup_logging(make_cfg(errorlog=str(tmp_path / "error.log")))
    try:
        logger.info("x")
        assert error_lines(tmp_path / "error.log") == [("INFO", "x")]
    finally:
        logger.close()
