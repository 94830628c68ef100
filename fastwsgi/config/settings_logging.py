"""Settings: Logging (see settings.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting


class _Logging(Setting):
    section = "Logging"


class AccessLog(_Logging):
    name = "accesslog"
    cli = ("--access-logfile",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        The access log file; ``-`` means stdout. No access log when unset.
        """


class DisableRedirectAccessToSyslog(_Logging):
    name = "disable_redirect_access_to_syslog"
    cli = ("--disable-redirect-access-to-syslog",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        With syslog on, keep access-log lines out of syslog.
        """


class AccessLogFormat(_Logging):
    name = "access_log_format"
    cli = ("--access-logformat",)
    meta = "STRING"
    validator = v.validate_string
    default = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
    desc = """\
        The access log line, with gunicorn's %(x)s atoms.

        h remote address, l ``-``, u user name, t time, r request line, m method,
        U path, q query string, H protocol, s status, B body bytes, b body
        bytes or ``-``, f referer, a user agent, T/M/D/L request time in
        seconds/milliseconds/microseconds/decimal seconds, p PID,
        ``{name}i`` request header, ``{name}o`` response header,
        ``{name}e`` environment variable (names in lower case).
        """


class ErrorLog(_Logging):
    name = "errorlog"
    cli = ("--error-logfile", "--log-file")
    meta = "FILE"
    validator = v.validate_string
    default = "-"
    desc = """\
        The error log file; ``-`` means stderr.
        """


class LogLevel(_Logging):
    name = "loglevel"
    cli = ("--log-level",)
    meta = "LEVEL"
    validator = v.validate_choice("debug", "info", "warning", "warn", "error", "critical")
    default = "info"
    desc = """\
        The error log's level: debug, info, warning, error or critical.
        """


class CaptureOutput(_Logging):
    name = "capture_output"
    cli = ("--capture-output",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Send the workers' stdout and stderr to the error log file.
        """


class LoggerClass(_Logging):
    name = "logger_class"
    lost = (
            "this class is not used: fastwsgi's own loggers (also named gunicorn.error and "
            "gunicorn.access) are set up from the logging settings, logconfig_dict included"
    )
    cli = ("--logger-class",)
    meta = "STRING"
    validator = v.validate_class
    default = "gunicorn.glogging.Logger"
    implemented = False
    desc = """\
        gunicorn's logger class. Ignored: fastwsgi has its own loggers;
        customise them with logconfig_dict or logconfig.
        """


class LogConfig(_Logging):
    name = "logconfig"
    cli = ("--log-config",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        A logging.config.fileConfig() file configuring the loggers.
        """


class LogConfigDict(_Logging):
    name = "logconfig_dict"
    validator = v.validate_dict
    default: ClassVar[dict[str, Any]] = {}
    desc = """\
        A logging.config.dictConfig() dictionary; wins over logconfig and logconfig_json.
        """


class LogConfigJson(_Logging):
    name = "logconfig_json"
    cli = ("--log-config-json",)
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        A JSON file holding a logging.config.dictConfig() dictionary.
        """


class SyslogAddr(_Logging):
    name = "syslog_addr"
    cli = ("--log-syslog-to",)
    meta = "SYSLOG_ADDR"
    validator = v.validate_string
    default = "udp://localhost:514"
    desc = """\
        Where syslog messages go: unix://PATH#TYPE, udp://HOST:PORT or tcp://HOST:PORT.

        TYPE is ``stream`` (the default) or ``dgram``.
        """


class Syslog(_Logging):
    name = "syslog"
    cli = ("--log-syslog",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Also send the logs to syslog.
        """


class SyslogPrefix(_Logging):
    name = "syslog_prefix"
    cli = ("--log-syslog-prefix",)
    meta = "SYSLOG_PREFIX"
    validator = v.validate_string
    default = None
    desc = """\
        The program name in syslog entries (default: the process name).
        """


class SyslogFacility(_Logging):
    name = "syslog_facility"
    cli = ("--log-syslog-facility",)
    meta = "SYSLOG_FACILITY"
    validator = v.validate_string
    default = "user"
    desc = """\
        The syslog facility name.
        """


class EnableStdioInheritance(_Logging):
    name = "enable_stdio_inheritance"
    cli = ("-R", "--enable-stdio-inheritance")
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Keep stdin/stdout/stderr open in daemon mode.

        Set PYTHONUNBUFFERED as well to see output without buffering delays.
        """
