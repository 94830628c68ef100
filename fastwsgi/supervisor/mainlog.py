"""The master's own log in supervisor mode: [supervisord] logfile, with rotation.

Lines look like supervisord's (``2026-12-01 21:44:57,123 INFO spawned: ...``,
levels INFO, WARN, ERRO, CRIT, DEBG, TRAC, BLAT).  A regular file rotates at
logfile_maxbytes with logfile_backups; /dev/stdout and other non-seekable
targets are written without rotation.  In the foreground (nodaemon) the
lines also go to stdout unless ``silent``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
import sys

from fastwsgi.supervisor.configs import ServerOptions

LEVEL_NAMES = {50: "CRIT", 40: "ERRO", 30: "WARN", 20: "INFO", 10: "DEBG", 5: "TRAC",
               3: "BLAT"}
FORMAT = "%(asctime)s %(supervisor_level)s %(message)s"


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.supervisor_level = LEVEL_NAMES.get(record.levelno, record.levelname)
        return super().format(record)


def _is_stream(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


def make_logger(options: ServerOptions, foreground: bool) -> logging.Logger:
    logger = logging.getLogger("fastwsgi.supervisor")
    close_logger(logger)
    logger.setLevel(options.loglevel)
    logger.propagate = False
    formatter = _Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if options.logfile is not None:
        if _is_stream(options.logfile):
            # a stream (/dev/stdout, a pipe): appended to, never rotated nor seeked
            handlers.append(logging.StreamHandler(open(options.logfile, "a", buffering=1)))  # noqa: SIM115
        elif options.logfile_maxbytes > 0:
            handlers.append(logging.handlers.RotatingFileHandler(
                options.logfile, maxBytes=options.logfile_maxbytes,
                backupCount=options.logfile_backups))
        else:
            handlers.append(logging.FileHandler(options.logfile))
    logs_to_stdout = options.logfile in ("/dev/stdout", "/proc/self/fd/1")
    if foreground and not options.silent and not logs_to_stdout:
        handlers.append(logging.StreamHandler(sys.stdout))
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    options.logger = logger
    return logger


def close_logger(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        if not (isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout):
            handler.close()
