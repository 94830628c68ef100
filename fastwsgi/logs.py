"""The error and access logs, with gunicorn's settings, formats and signals.

Theory of operation
-------------------
Two ``logging`` loggers carry everything: ``fastwsgi.error`` (server messages,
hooks' ``server.log.info(...)``) and ``fastwsgi.access`` (one INFO record per
response). ``Logger(cfg)`` gives them handlers as gunicorn's glogging does:
errorlog (``-`` stderr, else a file; capture_output sends fds 1 and 2 there),
accesslog (``-`` stdout, else a file, unset none), syslog, then logconfig_dict,
else logconfig_json, else logconfig applied on top.

gunicorn's logger names are aliases: a logging config naming ``gunicorn.error``
(and not ours) decides where our records go; otherwise gunicorn's names get our
handlers, so ``app.logger.handlers = getLogger("gunicorn.error").handlers`` works.

The access format is parsed once: each ``%(key)`` it uses gets a getter, and per
response only those run, filling an ``_Atoms`` dict whose ``__missing__``
computes any other atom (for formatters reading ``record.args``, as gunicorn
allows); unknown atoms are ``-``. The record is ``info(format, atoms)``, so the
handler formats the line once. The date is cached per second. When nothing
would receive the line, ``access_enabled`` is False: the engine must not call
``access()`` at all.
"""

from __future__ import annotations

import abc
import base64
import copy
import functools
import logging
import logging.config  # apps may use it and logging.handlers after "import logging",
import logging.handlers  # as under gunicorn, which imports both
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from fastwsgi.config import Config
from fastwsgi.errors import ConfigError

# json is imported where logconfig_json uses it, not here: every module the
# master imports stays in each forked worker's memory.

# The error line is "[2024-03-06 14:05:09 +0100] [4242] [INFO] message".
ERROR_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
ERROR_DATEFMT = "[%Y-%m-%d %H:%M:%S %z]"
ACCESS_FORMAT = "%(message)s"
SYSLOG_FORMAT = "[%(process)d] %(message)s"
# Syslog entries read "fastwsgi.<syslog_prefix>.error: [pid] message"
# (gunicorn writes "gunicorn." there).
SYSLOG_TAG = "fastwsgi"
ERROR_LOGGER = "fastwsgi.error"
ACCESS_LOGGER = "fastwsgi.access"
# (ours, gunicorn's): see "gunicorn's logger names" above.
ALIASES = ((ERROR_LOGGER, "gunicorn.error"), (ACCESS_LOGGER, "gunicorn.access"))
_ALL_NAMES = (ERROR_LOGGER, ACCESS_LOGGER, *(alias for _, alias in ALIASES))

LOG_LEVELS = {
    "critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING,
    "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG,
}

SYSLOG_FACILITIES = {
    "auth": 4, "authpriv": 10, "cron": 9, "daemon": 3, "ftp": 11, "kern": 0, "lpr": 6,
    "mail": 2, "news": 7, "security": 4, "syslog": 5, "user": 1, "uucp": 8,
    "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

# gunicorn's defaults under logconfig_dict/logconfig_json, with our logger names and
# two changes: the error logger's level is cfg.loglevel (gunicorn forces INFO), and
# our loggers do not also propagate to the root's console, which in gunicorn
# printed every line twice (benoitc/gunicorn#2496).
_CONSOLE = {"class": "logging.StreamHandler", "formatter": "generic"}
CONFIG_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        ERROR_LOGGER: {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        ACCESS_LOGGER: {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "handlers": {
        "console": {**_CONSOLE, "stream": "ext://sys.stdout"},
        "error_console": {**_CONSOLE, "stream": "ext://sys.stderr"},
    },
    "formatters": {"generic": {"format": ERROR_FORMAT, "datefmt": ERROR_DATEFMT}},
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A %-format's mapping keys; "%%" is matched first so "%%(h)s" is literal text.
_FORMAT_KEY = re.compile(r"%%|%\(([^)]*)\)")
_OURS = "_fastwsgi"  # marks the handlers this module created


# gunicorn escapes '"' as '\\"'; we also write non-printable characters (CR, LF,
# ESC, ...) as \xNN, as Apache does, so that a client cannot forge or colour lines.
_ESCAPES = {code: f"\\x{code:02x}" for code in range(256) if not chr(code).isprintable()}
_ESCAPES[ord('"')] = '\\"'


def escape(value: Any) -> Any:
    """An atom as it goes into the access line (gunicorn escapes strings only)."""
    if type(value) is str and (not value.isprintable() or '"' in value):
        return value.translate(_ESCAPES)
    return value


Environ = dict[str, Any]
Headers = list[tuple[str, str]]
# What one response's atoms come from: (environ, status line, response headers,
# response length, request time in microseconds).
Request = tuple[Environ, str, Headers, int | None, int]
Getter = Callable[[Request], Any]


def _dash(req: Request) -> str:
    return "-"


def _environ_atom(key: str) -> Getter:
    def get(req: Request) -> Any:  # escape(), inlined: this is most atoms
        value = req[0].get(key, "-")
        if type(value) is str and (not value.isprintable() or '"' in value):
            return value.translate(_ESCAPES)
        return value
    return get


def _request_line(req: Request) -> str:
    environ = req[0]
    target = environ.get("RAW_URI")
    if target is None:
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
    return escape(f"{method} {target} {protocol}")


def _user(req: Request) -> str:
    """The user name of HTTP Basic authentication, else ``-``."""
    auth = req[0].get("HTTP_AUTHORIZATION")
    if not auth or auth[:5].lower() != "basic":
        return "-"
    return _basic_user(auth)


@functools.lru_cache(maxsize=256)  # clients repeat the same header on every request
def _basic_user(auth: str) -> str:
    parts = auth.split(" ", 1)
    if len(parts) != 2:
        return "-"
    try:
        decoded = base64.b64decode(parts[1].strip().encode("utf-8"))
        return escape(decoded.split(b":", 1)[0].decode("utf-8"))
    except ValueError as exc:  # binascii.Error, UnicodeError
        logging.getLogger(ERROR_LOGGER).debug("Couldn't get username: %s", exc)
        return "-"


def _request_header(name: str) -> Getter:
    # PEP 3333 names: Content-Type and Content-Length have no HTTP_ prefix.
    key = name.upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = "HTTP_" + key
    return _environ_atom(key)


def _response_header(name: str) -> Getter:
    def get(req: Request) -> str:
        value = "-"
        for header, text in req[2]:
            if header.lower() == name:
                value = text  # the last one wins, as in gunicorn
        return escape(value)
    return get


def _environ_variable(name: str) -> Getter:
    # gunicorn matches environ keys case-insensitively.
    upper = name.upper()

    def get(req: Request) -> Any:
        environ = req[0]
        if upper in environ:  # CGI variables, the usual case
            return escape(environ[upper])
        for key, value in environ.items():
            if key.lower() == name:
                return escape(value)
        return "-"
    return get


_BRACE_ATOMS: dict[str, Callable[[str], Getter]] = {
    "i": _request_header, "o": _response_header, "e": _environ_variable,
}

# Every atom but "t" (the Logger's clock) and the {name}i/o/e forms.
ATOMS: dict[str, Getter] = {
    "h": _environ_atom("REMOTE_ADDR"),
    "l": _dash,
    "u": _user,
    "r": _request_line,
    "m": _environ_atom("REQUEST_METHOD"),
    "U": _environ_atom("PATH_INFO"),
    "q": _environ_atom("QUERY_STRING"),
    "H": _environ_atom("SERVER_PROTOCOL"),
    "s": lambda req: escape(req[1].split(None, 1)[0]) if req[1] else "-",
    "B": lambda req: req[3],
    "b": lambda req: "-" if req[3] is None else str(req[3]),  # gunicorn: 0 is "0"
    "f": _environ_atom("HTTP_REFERER"),
    "a": _environ_atom("HTTP_USER_AGENT"),
    "T": lambda req: req[4] // 1_000_000,
    "M": lambda req: req[4] // 1000,
    "D": lambda req: req[4],
    "L": lambda req: "{}.{:06d}".format(*divmod(req[4], 1_000_000)),
    "p": lambda req: f"<{os.getpid()}>",
}


def format_keys(fmt: str) -> list[str]:
    """The mapping keys a %-format uses, in order, without repeats."""
    keys = (match.group(1) for match in _FORMAT_KEY.finditer(fmt))
    return list(dict.fromkeys(key for key in keys if key is not None))


def clf_date(seconds: int) -> str:
    """``[06/Mar/2024:14:05:09 +0100]`` in local time (Apache's common log format)."""
    tm = time.localtime(seconds)
    hours, minutes = divmod(abs(tm.tm_gmtoff) // 60, 60)
    zone = f"{'-' if tm.tm_gmtoff < 0 else '+'}{hours:02d}{minutes:02d}"
    return (f"[{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year:04d}:"
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {zone}]")


class _Atoms(dict[str, Any]):
    """One response's atoms: the format's filled in advance, the rest on demand.

    No __init__: a Python-level one would double the cost of creating it.
    """

    __slots__ = ("logger", "req")
    logger: Logger
    req: Request

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.logger.atom_getter(key)(self.req)
        return value


SyslogAddress = tuple[socket.SocketKind | None, str | tuple[str, int]]


def parse_syslog_address(addr: str) -> SyslogAddress:
    """``unix://PATH[#dgram|#stream]``, ``udp://HOST[:PORT]`` or ``tcp://HOST[:PORT]``.

    A unix socket without ``#type`` is tried as dgram then stream (SysLogHandler's
    own fallback); the port defaults to 514; ``[v6addr]:port`` is accepted.
    """
    scheme, sep, rest = addr.partition("://")
    if scheme == "unix" and sep:
        path, _, kind = rest.partition("#")
        kinds = {"": None, "dgram": socket.SOCK_DGRAM, "stream": socket.SOCK_STREAM}
        if kind not in kinds:
            raise ConfigError(f"invalid syslog socket type {kind!r} in {addr!r}")
        return kinds[kind], path
    kinds = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
    if scheme not in kinds or not sep:
        raise ConfigError(f"invalid syslog address {addr!r}: use udp://, tcp:// or unix://")
    if rest.startswith("[") and "]" in rest:
        host, _, port = rest[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = rest.partition(":")
    if port and not port.isdigit():
        raise ConfigError(f"invalid syslog port {port!r} in {addr!r}")
    return kinds[scheme], (host.lower() or "localhost", int(port or 514))


class LevelMethods(abc.ABC):
    """gunicorn's Logger level methods (hooks call ``server.log.info(...)``),
    each one call of ``_log``, which says where the record goes."""

    @abc.abstractmethod
    def _log(self, level: int, msg: object, args: tuple[object, ...], kwargs: Any) -> None:
        """Log ``msg % args`` at ``level``; ``kwargs`` are logging's (exc_info, ...).
        The level methods call it directly, so a stacklevel of 3 names their caller."""

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.CRITICAL, msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.ERROR, msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.WARNING, msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.INFO, msg, args, kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.DEBUG, msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, args, kwargs)

    def log(self, lvl: int | str, msg: object, *args: object, **kwargs: Any) -> None:
        if isinstance(lvl, str):
            lvl = LOG_LEVELS.get(lvl.lower(), logging.INFO)
        self._log(lvl, msg, args, kwargs)


class Logger(LevelMethods):
    """gunicorn's Logger API over the ``fastwsgi.error`` and ``fastwsgi.access`` loggers."""

    LOG_LEVELS = LOG_LEVELS

    def __init__(self, cfg: Config, clock: Callable[[], float] = time.time) -> None:
        self.error_log = logging.getLogger(ERROR_LOGGER)
        self.access_log = logging.getLogger(ACCESS_LOGGER)
        self.access_enabled = False
        self._clock = clock
        self._date: tuple[int, str] = (-1, "")
        self._lock = threading.Lock()
        self._logfile: IO[str] | None = None  # capture_output's file, dup'ed onto fds 1, 2
        self.setup(cfg)

    def setup(self, cfg: Config) -> None:
        """(Re)build everything from cfg (also on HUP); previous handlers of ours are closed."""
        self.cfg = cfg
        self.loglevel = LOG_LEVELS.get(str(cfg.loglevel).lower(), logging.INFO)
        self._compile_access_format(cfg.access_log_format)
        for name in _ALL_NAMES:
            _drop_our_handlers(logging.getLogger(name))
        self.error_log.propagate = self.access_log.propagate = False
        self.error_log.setLevel(self.loglevel)
        self.access_log.setLevel(logging.INFO)
        if cfg.capture_output and cfg.errorlog != "-":
            self._capture_output()
        error_fmt = logging.Formatter(ERROR_FORMAT, ERROR_DATEFMT)
        self._add(self.error_log, self._output_handler(cfg.errorlog, sys.stderr), error_fmt)
        if cfg.accesslog is not None:
            handler = self._output_handler(cfg.accesslog, sys.stdout)
            self._add(self.access_log, handler, logging.Formatter(ACCESS_FORMAT))
        if cfg.syslog:
            self._add_syslog(self.error_log, "error")
            if not cfg.disable_redirect_access_to_syslog:
                self._add_syslog(self.access_log, "access")
        self._apply_logconfig()
        _link_gunicorn_names()
        wanted = bool(
            cfg.accesslog or cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json
            or (cfg.syslog and not cfg.disable_redirect_access_to_syslog)
        )
        log = self.access_log
        self.access_enabled = wanted and log.isEnabledFor(logging.INFO) and log.hasHandlers()

    def _log(self, level: int, msg: object, args: tuple[object, ...], kwargs: Any) -> None:
        kwargs.setdefault("stacklevel", 3)  # %(funcName)s names our caller's caller
        self.error_log.log(level, msg, *args, **kwargs)

    # the access log

    def access(self, environ: Environ, status: str, response_headers: Headers,
               response_length: int | None, request_time: float) -> None:
        """Log one response; ``request_time`` in seconds. Only call when access_enabled."""
        req: Request = (environ, status, response_headers, response_length,
                        max(0, round(request_time * 1_000_000)))
        atoms = _Atoms()
        atoms.logger, atoms.req = self, req
        for key, getter in self._getters:
            atoms[key] = getter(req)
        self.access_log.info(self._access_format, atoms)

    def _compile_access_format(self, fmt: str) -> None:
        self._access_format = fmt
        self._getters = [(key, self.atom_getter(key)) for key in format_keys(fmt)]
        if not self._getters:  # a non-empty dict, or logging would not treat it as the mapping
            self._getters = [("l", _dash)]
        sample = _Atoms()
        sample.logger, sample.req = self, ({}, "200 OK", [], 0, 0)
        try:  # a format that cannot work fails at startup, not on every request
            fmt % sample
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"invalid access_log_format {fmt!r}: {exc}") from None

    def atom_getter(self, key: str) -> Getter:
        """The function computing atom ``key`` (``-`` for an unknown one)."""
        if key == "t":
            return self._now
        if key.startswith("{"):  # gunicorn: "{name}i/o/e", case-insensitive
            lowered = key.lower()
            if len(lowered) > 3 and lowered[-2] == "}" and lowered[-1] in _BRACE_ATOMS:
                return _BRACE_ATOMS[lowered[-1]](lowered[1:-2])
            return _dash
        return ATOMS.get(key, _dash)

    def _now(self, req: Request) -> str:
        second = int(self._clock())
        date = self._date
        if date[0] != second:
            date = self._date = (second, clf_date(second))
        return date[1]

    # files and signals

    def reopen_files(self) -> None:
        """USR1: reopen every log file in place (after logrotate moved them)."""
        if self._logfile is not None:
            self._capture_output()
        seen: set[int] = set()
        for log in _all_loggers():
            for handler in log.handlers:
                if isinstance(handler, logging.FileHandler) and id(handler) not in seen:
                    seen.add(id(handler))
                    reopen_file(handler)

    def close_on_exec(self) -> None:
        """Keep the log files out of exec'd programs (Python already opens them so)."""
        for log in _all_loggers():
            for handler in log.handlers:
                stream = getattr(handler, "stream", None)
                if isinstance(handler, logging.FileHandler) and stream is not None:
                    os.set_inheritable(stream.fileno(), False)

    def close(self) -> None:
        """Remove and close the handlers this Logger added, and the capture file."""
        for name in _ALL_NAMES:
            _drop_our_handlers(logging.getLogger(name))
        with self._lock:
            if self._logfile is not None:
                self._logfile.close()
                self._logfile = None
        self.access_enabled = False

    # handlers

    def _output_handler(self, output: str, stream: IO[str]) -> logging.Handler:
        if output == "-":
            return logging.StreamHandler(stream)
        try:
            handler = logging.FileHandler(output, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise ConfigError(f"cannot open log file {output!r}: {exc.strerror}") from None
        try:  # so that workers running as cfg.user can reopen it on USR1
            os.chown(handler.baseFilename, self.cfg.uid, self.cfg.gid)
        except OSError:
            pass  # not ours to change (/dev/null, another owner): writing still works
        return handler

    def _add(self, log: logging.Logger, handler: logging.Handler, fmt: logging.Formatter) -> None:
        handler.setFormatter(fmt)
        setattr(handler, _OURS, True)
        log.addHandler(handler)

    def _add_syslog(self, log: logging.Logger, name: str) -> None:
        cfg = self.cfg
        prefix = (cfg.syslog_prefix or cfg.proc_name.replace(":", ".")).replace("%", "%%")
        facility = SYSLOG_FACILITIES.get(str(cfg.syslog_facility).lower())
        if facility is None:
            raise ConfigError(f"unknown syslog facility {cfg.syslog_facility!r}")
        socktype, address = parse_syslog_address(cfg.syslog_addr)
        try:
            handler = logging.handlers.SysLogHandler(address, facility, socktype)
        except OSError as exc:
            raise ConfigError(f"cannot reach syslog at {cfg.syslog_addr!r}: {exc}") from None
        self._add(log, handler, logging.Formatter(f"{SYSLOG_TAG}.{prefix}.{name}: {SYSLOG_FORMAT}"))

    def _capture_output(self) -> None:
        """capture_output: fds 1 and 2 become the error log file (again, on reopen)."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        with self._lock:
            logfile = open(self.cfg.errorlog, "a", encoding="utf-8")  # noqa: SIM115
            os.dup2(logfile.fileno(), 1)
            os.dup2(logfile.fileno(), 2)
            previous, self._logfile = self._logfile, logfile
        if previous is not None:
            previous.close()
        for stream in (sys.stdout, sys.stderr):  # print() reaches the file line by line
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(line_buffering=True)

    def _apply_logconfig(self) -> None:
        cfg = self.cfg
        if cfg.logconfig_dict:
            self._dict_config(cfg.logconfig_dict, "logconfig_dict")
        elif cfg.logconfig_json:
            import json  # see the imports
            try:
                with open(cfg.logconfig_json, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot read logconfig_json {cfg.logconfig_json!r}: {exc}") from None
            self._dict_config(data, "logconfig_json")
        elif cfg.logconfig:
            path = cfg.logconfig
            if not os.path.exists(path):
                raise ConfigError(f"log config {path!r} not found")
            defaults = {"__file__": path, "here": os.path.dirname(os.path.abspath(path))}
            try:
                logging.config.fileConfig(path, defaults, disable_existing_loggers=False)
            except Exception as exc:  # noqa: BLE001 - configparser and logging raise many kinds
                raise ConfigError(f"invalid log config {path!r}: {exc!r}") from None

    def _dict_config(self, user: dict[str, Any], setting: str) -> None:
        config = copy.deepcopy(CONFIG_DEFAULTS)
        config["loggers"][ERROR_LOGGER]["level"] = logging.getLevelName(self.loglevel)
        config.update(user)
        for section in ("handlers", "formatters"):  # gunicorn fails if these miss ours
            config[section] = {**CONFIG_DEFAULTS[section], **config[section]}
        try:
            logging.config.dictConfig(config)
        except (AttributeError, ImportError, ValueError, TypeError) as exc:  # dictConfig's
            raise ConfigError(f"invalid {setting}: {exc}") from None


def setup_logging(cfg: Config) -> Logger:
    """The CLI's and master's entry point: configure the logs once, return the Logger."""
    return Logger(cfg)


class HeldRecords(logging.Handler):
    """Keeps what is logged while the configuration is read (its warnings
    about unknown names), to be logged once the configured logs exist, or
    printed to stderr when they never will (a config error, --print-config)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self, log: Any) -> None:
        for record in self.records:
            log.log(record.levelno, "%s", record.getMessage())

    def print(self) -> None:
        for record in self.records:
            print(f"{record.levelname.capitalize()}: {record.getMessage()}", file=sys.stderr)


def _is_ours(handler: logging.Handler) -> bool:
    return bool(getattr(handler, _OURS, False))


def _drop_our_handlers(log: logging.Logger) -> None:
    if getattr(log, _OURS, False):  # an alias we filled: everything on it is ours
        for handler in list(log.handlers):
            log.removeHandler(handler)
        setattr(log, _OURS, False)
    for handler in list(log.handlers):
        if _is_ours(handler):
            log.removeHandler(handler)
            handler.close()


def _link_gunicorn_names() -> None:
    for ours_name, alias_name in ALIASES:
        ours, alias = logging.getLogger(ours_name), logging.getLogger(alias_name)
        configured = [h for h in alias.handlers if not _is_ours(h)]
        if configured and all(_is_ours(h) for h in ours.handlers):
            # The logging config named gunicorn's logger, not ours: follow it.
            _drop_our_handlers(ours)
            for handler in configured:
                ours.addHandler(handler)
            ours.setLevel(alias.level)
            ours.propagate, ours.disabled = alias.propagate, alias.disabled
        elif not alias.handlers:
            for handler in ours.handlers:
                alias.addHandler(handler)
            alias.setLevel(ours.level)
            alias.propagate = False
            setattr(alias, _OURS, True)


def _all_loggers() -> list[logging.Logger]:
    named = list(logging.root.manager.loggerDict.values())  # has placeholders too
    return [logging.root, *(log for log in named if isinstance(log, logging.Logger))]


def reopen_file(handler: logging.FileHandler) -> None:
    """Reopen a FileHandler's file by its path (after logrotate moved it, or
    clearLog removed it)."""
    # The new file is open before the old one closes, under the handler's lock,
    # so a record emitted by another thread meanwhile goes to one or the other.
    handler.acquire()
    try:
        old = handler.stream
        if old is None:
            return  # closed: FileHandler reopens by name on the next record
        handler.stream = handler._open()
        old.close()
    finally:
        handler.release()
