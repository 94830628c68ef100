"""Exceptions shared by the configuration, the loader and the master.

The HTTP protocol errors raised by the request engine live with the engine;
this module holds only the errors that end or refuse a server run.

Exit statuses follow gunicorn's arbiter, so process supervisors and scripts
that inspect them keep working:

- ``WORKER_BOOT_ERROR`` (3): a worker died before it finished booting;
- ``APP_LOAD_ERROR`` (4): a worker could not import or build the WSGI app.

Either one, reported by a worker, halts the master instead of respawning the
worker in a loop.
"""

from __future__ import annotations

WORKER_BOOT_ERROR = 3
APP_LOAD_ERROR = 4


class HaltServer(BaseException):
    """Stop the master with ``reason`` and ``exit_status``.

    A ``BaseException`` (as in gunicorn) so that a broad ``except Exception``
    in a hook or a loop body cannot swallow a shutdown request.
    """

    def __init__(self, reason: str, exit_status: int = 1, graceful: bool = True) -> None:
        super().__init__(reason, exit_status)
        self.reason = reason
        self.exit_status = exit_status
        self.graceful = graceful

    def __str__(self) -> str:
        return f"<HaltServer {self.reason!r} {self.exit_status}>"


class ConfigError(Exception):
    """A setting, a config file or the command line is invalid.

    ``str(err)`` is one line starting with ``"Error: "``, ready to print as is:
    the CLI writes it to stderr and exits with status 1 (2 for a ``UsageError``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"Error: {self.message}"


class UsageError(ConfigError):
    """The command line itself is wrong: an unknown flag, a flag's value that
    does not parse, a second APP_MODULE. The CLI exits with status 2, as
    gunicorn (argparse) does for these."""

    exit_status = 2


class AppImportError(Exception):
    """The WSGI application could not be imported, built or used.

    ``str(err)`` is one short line (what was looked for, where, and the last
    line of the underlying exception); ``traceback_text`` holds the full
    traceback, for debug logging only. A worker that catches this exits with
    ``APP_LOAD_ERROR`` (``exit_status``).
    """

    exit_status = APP_LOAD_ERROR

    def __init__(self, message: str, *, traceback_text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.traceback_text = traceback_text
