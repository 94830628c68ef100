"""Every option fastwsgi accepts, one ``Setting`` subclass each.

Names, flags and defaults are gunicorn's (23 up to 25) wherever gunicorn has
the option, so its config files, ``GUNICORN_CMD_ARGS`` and command lines work
unchanged. Deliberate differences are marked "fastwsgi:" in the description.

The options are split by section to keep each file readable:

- this file: Config File, Server Socket, Worker Processes, Security;
- ``settings_mechanics.py``: Server Mechanics, Process Naming, Debugging;
- ``settings_logging.py``: Logging;
- ``settings_hooks.py``: Server Hooks;
- ``settings_compat.py``: gunicorn features accepted but ignored (TLS, HTTP/2,
  ASGI, dirty arbiters, control socket, ...).

Importing a module registers its settings; ``fastwsgi.config.catalogue``
imports every ``settings_*`` module of the package (this one first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting

# -- Config File --------------------------------------------------------------


class _ConfigFile(Setting):
    section = "Config File"


class ConfigPath(_ConfigFile):
    name = "config"
    cli = ("-c", "--config")
    meta = "CONFIG"
    validator = v.validate_string
    default = None
    default_doc = "./fastwsgi.conf.py, else ./gunicorn.conf.py, if present"
    desc = """\
        The config file: PATH, file:PATH, python:MODULE, or a supervisord INI file.

        A Python file (or module) is executed and its module-level names that
        are settings are applied; other public names are reported with one
        warning line each and ignored. A file in supervisord's INI format (its
        first statement a section header such as ``[supervisord]`` or
        ``[program:x]``), whatever its name, starts supervisor mode.

        Without this option, ``./fastwsgi.conf.py`` is read if it exists, else
        ``./gunicorn.conf.py``. Only effective on the command line or in
        ``FASTWSGI_CMD_ARGS``/``GUNICORN_CMD_ARGS``.
        """


class WSGIApp(_ConfigFile):
    name = "wsgi_app"
    meta = "STRING"
    validator = v.validate_string
    default = None
    desc = """\
        The WSGI application, as module:variable, when no APP_MODULE is given.

        Same forms as the positional argument: ``module:app``, ``module``
        (meaning ``module:application``), ``module:create_app()`` or
        ``module:create_app('prod', debug=False)`` with literal arguments.
        """


# -- Server Socket ------------------------------------------------------------


class _ServerSocket(Setting):
    section = "Server Socket"


class Bind(_ServerSocket):
    name = "bind"
    cli = ("-b", "--bind")
    action = "append"
    meta = "ADDRESS"
    validator = v.validate_address_list
    default: ClassVar[list[str]] = ["127.0.0.1:8000"]
    default_doc = "['127.0.0.1:8000'], or ['0.0.0.0:$PORT'] when PORT is set"
    env_var = "PORT"
    desc = """\
        The socket(s) to listen on; repeat the flag to bind several.

        Forms: ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT``, ``unix:PATH`` and
        ``fd://FD`` (an inherited descriptor). For example
        ``-b 127.0.0.1:8000 -b [::1]:8000`` listens on both loopbacks. When the
        ``PORT`` environment variable is set, the default is ``0.0.0.0:$PORT``.
        """

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        if "PORT" in environ:
            return [f"0.0.0.0:{environ['PORT']}"]
        return list(cls.default)


class Backlog(_ServerSocket):
    name = "backlog"
    cli = ("--backlog",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 2048
    desc = """\
        The maximum number of pending connections (the listen() queue).

        Clients beyond it get connection errors under heavy load. Usually set
        between 64 and 2048; the kernel caps it at net.core.somaxconn.
        """


# -- Worker Processes ---------------------------------------------------------


class _WorkerProcesses(Setting):
    section = "Worker Processes"


class Workers(_WorkerProcesses):
    name = "workers"
    cli = ("-w", "--workers")
    meta = "INT"
    validator = v.validate_pos_int
    default = 1
    default_doc = "1, or $WEB_CONCURRENCY when set"
    env_var = "WEB_CONCURRENCY"
    desc = """\
        The number of worker processes handling requests.

        Each worker runs its own event loop, so one or two per CPU core is a
        good start. The default is the ``WEB_CONCURRENCY`` environment variable
        (set by some hosting platforms) when present, else 1.
        """

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        return environ.get("WEB_CONCURRENCY", cls.default)


class WorkerClass(_WorkerProcesses):
    name = "worker_class"
    cli = ("-k", "--worker-class")
    meta = "STRING"
    validator = v.validate_class
    default = "sync"
    desc = """\
        The worker type: gunicorn's names are mapped to fastwsgi's modes.

        ``sync`` runs the app in the event-loop thread, one request at a time
        per worker ("native" mode). ``gthread`` (or ``sync`` with ``threads`` >
        1) hands requests to a pool of ``threads`` app threads; a worker whose
        threads are all busy takes no new connection. ``gevent`` and
        ``eventlet`` (and gunicorn's class paths for them) monkey-patch the
        standard library in each worker before the app is imported and run
        each request's app call in its own greenlet, up to
        ``worker_connections`` per worker; they need the gevent or eventlet
        package (``pip install 'fastwsgi[gevent]'``). A worker class deriving
        from gunicorn's (or ``fastwsgi.workers.greenlets.GeventWorker``) that
        overrides ``patch()`` does its own patching. ``tornado`` runs native,
        as gunicorn's tornado worker runs a WSGI app one request at a time.
        ASGI workers (uvicorn's) are refused: fastwsgi serves WSGI only. The
        master logs one line saying what concurrency the choice gives.
        """


class Threads(_WorkerProcesses):
    name = "threads"
    engine = True
    cli = ("--threads",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 1
    desc = """\
        The number of app threads per worker (threaded mode).

        With more than one, the event loop keeps reading and writing while a
        pool of this many threads runs the application. As in gunicorn, a
        ``sync`` worker with threads > 1 becomes threaded.
        """


class WorkerConnections(_WorkerProcesses):
    name = "worker_connections"
    engine = True
    cli = ("--worker-connections",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 1000
    desc = """\
        The maximum number of simultaneous connections per worker.

        A worker at this limit stops accepting until a connection closes. With
        ``gevent`` or ``eventlet`` it is also the most requests a worker runs at
        once (one greenlet per connection's request in flight).
        """


class IoBackend(_WorkerProcesses):
    name = "io_backend"
    engine = True
    cli = ("--io-backend",)
    meta = "STRING"
    validator = v.validate_choice("auto", "epoll", "io_uring")
    default = "auto"
    default_doc = "'auto', or $FASTWSGI_IO_BACKEND when set"
    env_var = "FASTWSGI_IO_BACKEND"
    desc = """\
        The workers' I/O backend: ``auto``, ``epoll`` or ``io_uring``.

        fastwsgi only. ``auto`` uses io_uring where the kernel allows it (Linux
        6.0 or later, ``kernel.io_uring_disabled`` 0 and no seccomp profile
        refusing it), else epoll; each worker logs one line saying which
        backend it runs and why. With io_uring a worker watches its listeners
        with multishot polls (accepting as under epoll), receives with
        multishot requests into a ring of provided buffers and sends the
        responses of each loop turn in the same ``io_uring_enter`` that waits
        for the next events. ``io_uring`` refuses to start a worker where it is
        not available. TLS listeners and the ``gevent``/``eventlet`` worker
        classes always use epoll, as the line says. The environment variable
        ``FASTWSGI_IO_BACKEND`` sets the default (the test suite runs under
        both backends this way).
        """

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        return environ.get("FASTWSGI_IO_BACKEND", cls.default)


class MaxRequests(_WorkerProcesses):
    name = "max_requests"
    engine = True
    cli = ("--max-requests",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 0
    desc = """\
        Restart a worker after it has handled this many requests (0: never).

        A simple way to bound the damage of memory leaks in the application.
        """


class MaxRequestsJitter(_WorkerProcesses):
    name = "max_requests_jitter"
    cli = ("--max-requests-jitter",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 0
    desc = """\
        A random extra 0..N added to max_requests per worker.

        Staggers the restarts so that the workers do not all restart at once.
        """


class Timeout(_WorkerProcesses):
    name = "timeout"
    cli = ("-t", "--timeout")
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 30
    desc = """\
        Workers silent for more than this many seconds are killed and restarted.

        The master reads each worker's heartbeat; a worker that misses it this
        long (for example, stuck in the application in native mode) gets
        SIGABRT, then SIGKILL. 0 disables the check.
        """


class GracefulTimeout(_WorkerProcesses):
    name = "graceful_timeout"
    engine = True
    cli = ("--graceful-timeout",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 30
    desc = """\
        Seconds a worker gets to finish its requests on a graceful stop.

        Counted from the stop or restart signal; workers still alive afterwards
        are killed.
        """


class Keepalive(_WorkerProcesses):
    name = "keepalive"
    engine = True
    cli = ("--keep-alive",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 75
    desc = """\
        Seconds to wait for the next request on a keep-alive connection.

        fastwsgi: the default is 75, not gunicorn's 2. Load balancers keep idle
        upstream connections open for 60 s or more; a server that closes them
        first races with new requests and the balancer answers 502. 0 disables
        keep-alive.
        """


class MaxWorkerMemory(_WorkerProcesses):
    name = "max_worker_memory"
    cli = ("--max-worker-memory",)
    meta = "MB"
    validator = v.validate_non_negative_int
    default = 0
    desc = """\
        Restart a worker gracefully once its resident memory exceeds this many MB.

        fastwsgi only. 0 (the default) disables the check.
        """


# -- Security -----------------------------------------------------------------


class _Security(Setting):
    section = "Security"


class LimitRequestLine(_Security):
    name = "limit_request_line"
    engine = True
    cli = ("--limit-request-line",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 4094
    desc = """\
        The maximum size of the HTTP request line, in bytes.

        The request line holds the method, the URI with its query string and
        the version; longer ones are refused. 0 means unlimited; values above
        8190 are capped to 8190, as in gunicorn.
        """


class LimitRequestFields(_Security):
    name = "limit_request_fields"
    engine = True
    cli = ("--limit-request-fields",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 100
    desc = """\
        The maximum number of header fields in a request.

        Larger values are capped at 32768.
        """


class LimitRequestFieldSize(_Security):
    name = "limit_request_field_size"
    engine = True
    cli = ("--limit-request-field_size", "--limit-request-field-size")
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 8190
    desc = """\
        The maximum size of one request header field line, in bytes.

        Counted as gunicorn counts it: the name, the colon, the whitespace,
        the value and the CRLF; a longer line is refused with 431. 0 means
        gunicorn's default of 8190, as gunicorn's parser does (its settings
        page says unlimited; its code and its test corpus use 8190). The
        underscore spelling of the flag is gunicorn's; the dashed one is an alias.
        """


class LimitRequestBody(_Security):
    name = "limit_request_body"
    engine = True
    cli = ("--limit-request-body",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 0
    desc = """\
        The maximum size of a request body, in bytes (0: unlimited).

        fastwsgi only. A request whose Content-Length, or whose chunked body so
        far, exceeds it is answered 413 and the connection closed.
        """


class HeaderTimeout(_Security):
    name = "header_timeout"
    engine = True
    cli = ("--header-timeout",)
    meta = "SECONDS"
    validator = v.validate_non_negative_number
    default = 30
    desc = """\
        Seconds a client gets to send a complete request head (0: no limit).

        fastwsgi only. Counted from the first byte of a request; a slow or idle
        client cannot hold a connection open longer than this.
        """

