"""Settings gunicorn has and fastwsgi accepts but ignores (see settings.py).

They parse and validate like gunicorn's, so a gunicorn config or command line
that uses them still starts; ``Config.ignored_settings_in_use()`` lists the
ones set to a non-default value, and the master logs one line for each.

Terminate HTTP/2 in a proxy in front of fastwsgi; ASGI apps need an ASGI
server.  (TLS is served: see settings_ssl.py.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting


class _Ignored(Setting):
    implemented = False


# -- Control ------------------------------------------------------------------


class _Control(_Ignored):
    section = "Control"


class ControlSocket(_Control):
    name = "control_socket"
    lost = "gunicornc cannot connect; supervisorctl drives fastwsgi's control server instead"
    cli = ("--control-socket",)
    meta = "PATH"
    validator = v.validate_string
    default = None
    default_doc = "gunicorn: $XDG_RUNTIME_DIR/gunicorn.ctl"
    desc = """\
        gunicorn 25's gunicornc control socket. Ignored: fastwsgi's control
        server speaks supervisor's XML-RPC (supervisorctl).
        """


class ControlSocketMode(_Control):
    name = "control_socket_mode"
    lost = "gunicornc cannot connect; supervisorctl drives fastwsgi's control server instead"
    cli = ("--control-socket-mode",)
    meta = "INT"
    validator = v.validate_file_mode
    default = 0o600
    default_doc = "0o600"
    desc = "gunicorn 25's control socket permissions. Ignored."


class ControlSocketDisable(_Control):
    name = "control_socket_disable"
    lost = "there is no gunicornc control socket to disable"
    cli = ("--no-control-socket",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = "gunicorn 25's switch to disable the control socket. Ignored."


# -- Dirty Arbiters (gunicorn 25) -----------------------------------------------


class _Dirty(_Ignored):
    section = "Dirty Arbiters"


class DirtyApps(_Dirty):
    name = "dirty_apps"
    lost = "no dirty worker pool: these apps are not run"
    cli = ("--dirty-app",)
    action = "append"
    meta = "STRING"
    validator = v.validate_list_string
    default: ClassVar[list[str]] = []
    desc = "gunicorn 25's apps for the dirty worker pool. Ignored."


class DirtyWorkers(_Dirty):
    name = "dirty_workers"
    lost = "no dirty worker pool: no dirty workers start"
    cli = ("--dirty-workers",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 0
    desc = "gunicorn 25's number of dirty workers. Ignored."


class DirtyTimeout(_Dirty):
    name = "dirty_timeout"
    lost = "no dirty worker pool: no dirty task runs"
    cli = ("--dirty-timeout",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 300
    desc = "gunicorn 25's dirty task timeout. Ignored."


class DirtyThreads(_Dirty):
    name = "dirty_threads"
    lost = "no dirty worker pool: no dirty task runs"
    cli = ("--dirty-threads",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 1
    desc = "gunicorn 25's threads per dirty worker. Ignored."


class DirtyGracefulTimeout(_Dirty):
    name = "dirty_graceful_timeout"
    lost = "no dirty worker pool: nothing to stop"
    cli = ("--dirty-graceful-timeout",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 30
    desc = "gunicorn 25's dirty worker shutdown timeout. Ignored."


def on_dirty_starting(arbiter: Any) -> None:
    pass


def dirty_post_fork(arbiter: Any, worker: Any) -> None:
    pass


def dirty_worker_init(worker: Any) -> None:
    pass


def dirty_worker_exit(arbiter: Any, worker: Any) -> None:
    pass


class _DirtyHook(_Ignored):
    section = "Dirty Arbiter Hooks"


class OnDirtyStarting(_DirtyHook):
    name = "on_dirty_starting"
    lost = "no dirty worker pool: this hook is never called"
    validator = v.validate_callable(1)
    default = on_dirty_starting
    desc = "gunicorn 25's hook before the dirty arbiter starts. Ignored."


class DirtyPostFork(_DirtyHook):
    name = "dirty_post_fork"
    lost = "no dirty worker pool: this hook is never called"
    validator = v.validate_callable(2)
    default = dirty_post_fork
    desc = "gunicorn 25's hook after a dirty worker is forked. Ignored."


class DirtyWorkerInit(_DirtyHook):
    name = "dirty_worker_init"
    lost = "no dirty worker pool: this hook is never called"
    validator = v.validate_callable(1)
    default = dirty_worker_init
    desc = "gunicorn 25's hook after a dirty worker loads its apps. Ignored."


class DirtyWorkerExit(_DirtyHook):
    name = "dirty_worker_exit"
    lost = "no dirty worker pool: this hook is never called"
    validator = v.validate_callable(2)
    default = dirty_worker_exit
    desc = "gunicorn 25's hook when a dirty worker exits. Ignored."


# -- HTTP/2 (gunicorn 25) -------------------------------------------------------


class _HTTP2(_Ignored):
    section = "HTTP/2"


class HTTPProtocols(_HTTP2):
    name = "http_protocols"
    lost = "HTTP/2 is not served: clients will use HTTP/1.1 (terminate h2 in a proxy in front)"
    cli = ("--http-protocols",)
    meta = "STRING"
    validator = v.validate_protocol_list("h1", "h2", "h3")
    default = "h1"
    desc = "gunicorn 25's HTTP versions (h1, h2). Ignored: fastwsgi speaks HTTP/1.x."


class HTTP2MaxConcurrentStreams(_HTTP2):
    name = "http2_max_concurrent_streams"
    lost = "HTTP/2 is not served: clients will use HTTP/1.1"
    cli = ("--http2-max-concurrent-streams",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 100
    desc = "gunicorn 25's HTTP/2 stream limit. Ignored."


class HTTP2InitialWindowSize(_HTTP2):
    name = "http2_initial_window_size"
    lost = "HTTP/2 is not served: clients will use HTTP/1.1"
    cli = ("--http2-initial-window-size",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 65535
    desc = "gunicorn 25's HTTP/2 flow-control window. Ignored."


class HTTP2MaxFrameSize(_HTTP2):
    name = "http2_max_frame_size"
    lost = "HTTP/2 is not served: clients will use HTTP/1.1"
    cli = ("--http2-max-frame-size",)
    meta = "INT"
    validator = v.validate_pos_int
    default = 16384
    desc = "gunicorn 25's HTTP/2 frame size limit. Ignored."


class HTTP2MaxHeaderListSize(_HTTP2):
    name = "http2_max_header_list_size"
    lost = "HTTP/2 is not served: clients will use HTTP/1.1"
    cli = ("--http2-max-header-list-size",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 65536
    desc = "gunicorn 25's HTTP/2 header list limit. Ignored."


# -- ASGI, uWSGI protocol and parser choice (gunicorn 24/25) ----------------------


class AsgiLoop(_Ignored):
    name = "asgi_loop"
    lost = "ASGI apps are not served (WSGI only): this setting has nothing to drive"
    section = "Worker Processes"
    cli = ("--asgi-loop",)
    meta = "STRING"
    validator = v.validate_choice("auto", "asyncio", "uvloop")
    default = "auto"
    desc = "gunicorn 24's event loop for its ASGI worker. Ignored: WSGI only."


class AsgiLifespan(_Ignored):
    name = "asgi_lifespan"
    lost = "ASGI apps are not served (WSGI only): no lifespan events are sent"
    section = "Worker Processes"
    cli = ("--asgi-lifespan",)
    meta = "STRING"
    validator = v.validate_choice("auto", "on", "off")
    default = "auto"
    desc = "gunicorn 24's ASGI lifespan handling. Ignored: WSGI only."


class AsgiDisconnectGracePeriod(_Ignored):
    name = "asgi_disconnect_grace_period"
    lost = "ASGI apps are not served (WSGI only): this setting has nothing to drive"
    section = "Worker Processes"
    cli = ("--asgi-disconnect-grace-period",)
    meta = "INT"
    validator = v.validate_non_negative_int
    default = 3
    desc = "gunicorn 25's ASGI disconnect grace period. Ignored: WSGI only."


class HTTPParser(_Ignored):
    name = "http_parser"
    lost = "the parser is always llhttp (the C parser of httptools): nothing changes"
    section = "Worker Processes"
    cli = ("--http-parser",)
    meta = "STRING"
    validator = v.validate_choice("auto", "fast", "python")
    default = "auto"
    desc = "gunicorn 25's HTTP parser choice. Ignored: fastwsgi always uses llhttp."


class RootPath(_Ignored):
    name = "root_path"
    lost = "ASGI only: for a WSGI app under a prefix, set SCRIPT_NAME (raw_env)"
    section = "Server Mechanics"
    cli = ("--root-path",)
    meta = "STRING"
    validator = v.validate_string
    default = ""
    desc = "gunicorn 24's ASGI root_path. Ignored: for WSGI, set SCRIPT_NAME via raw_env."


class Protocol(_Ignored):
    name = "protocol"
    lost = "the uWSGI protocol is not served: only HTTP is (a uwsgi_pass proxy cannot connect)"
    section = "Server Mechanics"
    cli = ("--protocol",)
    meta = "STRING"
    validator = v.validate_choice("http", "uwsgi")
    default = "http"
    desc = "gunicorn 24's wire protocol (http, uwsgi). Ignored: HTTP only."


class UwsgiAllowIPs(_Ignored):
    name = "uwsgi_allow_ips"
    lost = "the uWSGI protocol is not served: nothing to allow"
    section = "Server Mechanics"
    cli = ("--uwsgi-allow-from",)
    meta = "STRING"
    validator = v.validate_ip_allow_list
    default = "127.0.0.1,::1"
    desc = "gunicorn 24's addresses allowed to speak uWSGI. Ignored with protocol."
