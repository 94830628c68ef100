"""The error and access logs: gunicorn's formats, atoms, files, syslog and logconfig."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fastwsgi import logs
from fastwsgi.errors import ConfigError
from fastwsgi.logs import (
    ATOMS,
    Logger,
    clf_date,
    escape,
    format_keys,
    setup_logging,
)
from tests.support.logs import (
    DEFAULT_FORMAT,
    ERROR_LINE,
    FIXED_DATE,
    FIXED_TIME,
    REPO,
    RESPONSE_HEADERS,
    Recorder,
    access_line,
    basic,
    error_lines,
    make_cfg,
    make_environ,
)

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


def test_setup_logging_entry_point(new_logger: Callable[..., Logger], tmp_path: Path) -> None:
    new_logger()  # the fixture restores the loggers afterwards
    logger = setup_logging(make_cfg(errorlog=str(tmp_path / "error.log")))
    try:
        logger.info("x")
        assert error_lines(tmp_path / "error.log") == [("INFO", "x")]
    finally:
        logger.close()
