"""Settings: Server Mechanics, Process Naming, Debugging (see settings.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting

# -- Server Mechanics -----------------------------------------------------------


class _Mechanics(Setting):
    section = "Server Mechanics"


class PreloadApp(_Mechanics):
    name = "preload_app"
    cli = ("--preload",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Import the application in the master, before forking the workers.

        Saves memory (pages are shared copy-on-write) and boot time; without it,
        each worker imports the app itself, so restarting the workers (HUP)
        also reloads the application code.
        """


class Sendfile(_Mechanics):
    name = "sendfile"
    cli = ("--no-sendfile",)
    action = "store_const"
    const = False
    validator = v.validate_bool
    default = None
    default_doc = "None (enabled unless SENDFILE says otherwise)"
    engine = True
    desc = """\
        Set to False (``--no-sendfile``) to stop using sendfile() for wsgi.file_wrapper.

        When left unset, the ``SENDFILE`` environment variable decides (y, 1,
        yes or true enable it); without it, sendfile() is used.
        """


class ReusePort(_Mechanics):
    name = "reuse_port"
    cli = ("--reuse-port",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Set SO_REUSEPORT on the listening sockets, one socket per worker.

        As in gunicorn, the sockets get SO_REUSEPORT; here the master also
        binds one socket per worker for each TCP address, and each worker
        accepts from its own, so the kernel spreads new (and so keep-alive)
        connections evenly over the workers.  The master keeps every socket
        open: a worker that dies is replaced on the same socket, HUP's new
        workers take the same sockets, and USR2's new master inherits them
        all.  TTIN opens a socket; TTOU first steers new connections away
        from the socket that goes (a BPF program on the group) and retires
        its worker once its queue is empty.  A unix socket stays one socket
        shared by every worker (SO_REUSEPORT does not apply to it).
        """


class Chdir(_Mechanics):
    name = "chdir"
    cli = ("--chdir",)
    meta = "DIR"
    validator = v.validate_chdir
    default = "."
    default_doc = "the working directory at start"
    desc = """\
        Change to this directory before loading the application.

        The directory is also put first on sys.path, so the app's modules are
        found relative to it.
        """

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        # Prefer $PWD when it is the same directory: it keeps the symlinked
        # path (as gunicorn's util.getcwd), so a deploy that flips a "current"
        # symlink is followed by a reload.
        cwd = os.getcwd()
        pwd = environ.get("PWD")
        try:
            if pwd and os.path.samefile(pwd, cwd):
                return pwd
        except OSError:
            pass
        return cwd


class Daemon(_Mechanics):
    name = "daemon"
    cli = ("-D", "--daemon")
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Detach from the terminal and run in the background.
        """


class RawEnv(_Mechanics):
    name = "raw_env"
    cli = ("-e", "--env")
    action = "append"
    meta = "ENV"
    validator = v.validate_env_list
    default: ClassVar[list[str]] = []
    desc = """\
        Set environment variables for the server, as KEY=VALUE; repeatable.

        For example ``--env FOO=1``, or ``raw_env = ["FOO=1"]`` in a config file.
        ``SCRIPT_NAME`` set this way becomes the default SCRIPT_NAME of every
        request, as in gunicorn.
        """


class Pidfile(_Mechanics):
    name = "pidfile"
    cli = ("-p", "--pid")
    meta = "FILE"
    validator = v.validate_string
    default = None
    desc = """\
        Write the master's PID to this file (none by default).
        """


class WorkerTmpDir(_Mechanics):
    name = "worker_tmp_dir"
    lost = "nothing: heartbeats are in shared memory, with no file to place"
    cli = ("--worker-tmp-dir",)
    meta = "DIR"
    validator = v.validate_string
    default = None
    implemented = False
    desc = """\
        gunicorn's directory for the workers' heartbeat files.

        Ignored: fastwsgi's heartbeat is a shared-memory slot, with no file and
        no fchmod() on the request path.
        """


class User(_Mechanics):
    name = "user"
    cli = ("-u", "--user")
    meta = "USER"
    validator = v.validate_user
    default = None
    default_doc = "os.geteuid()"
    desc = """\
        Run the workers as this user (a name or a numeric uid).
        """


class Group(_Mechanics):
    name = "group"
    cli = ("-g", "--group")
    meta = "GROUP"
    validator = v.validate_group
    default = None
    default_doc = "os.getegid()"
    desc = """\
        Run the workers as this group (a name or a numeric gid).
        """


class Umask(_Mechanics):
    name = "umask"
    cli = ("-m", "--umask")
    meta = "INT"
    validator = v.validate_umask
    default = 0
    desc = """\
        The umask for files the server creates, unix sockets included.

        An int or a string for int(value, 0); a leading 0 means octal, so
        ``0022``, ``0o22`` and ``18`` are the same mask.
        """


class Initgroups(_Mechanics):
    name = "initgroups"
    cli = ("--initgroups",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Give the workers all the supplementary groups of ``user``.
        """


class TmpUploadDir(_Mechanics):
    name = "tmp_upload_dir"
    meta = "DIR"
    validator = v.validate_string
    default = None
    desc = """\
        Directory for request bodies spooled to disk (see spool_threshold).

        The system temporary directory when unset.
        """


class SpoolThreshold(_Mechanics):
    name = "spool_threshold"
    engine = True
    cli = ("--spool-threshold",)
    meta = "BYTES"
    validator = v.validate_non_negative_int
    default = 1048576
    desc = """\
        Request bodies larger than this many bytes are spooled to a temporary file.

        fastwsgi only. Smaller bodies stay in memory.
        """


class SecureSchemeHeaders(_Mechanics):
    name = "secure_scheme_headers"
    engine = True
    validator = v.validate_dict
    default: ClassVar[dict[str, str]] = {
        "X-FORWARDED-PROTOCOL": "ssl",
        "X-FORWARDED-PROTO": "https",
        "X-FORWARDED-SSL": "on",
    }
    desc = """\
        Headers (upper-case names) and values by which a trusted proxy marks HTTPS.

        From an address in forwarded_allow_ips, a request carrying one of these
        header/value pairs gets ``wsgi.url_scheme = "https"``. Values are
        compared exactly. Make sure the proxy strips these headers from clients.
        """


class ForwardedAllowIPs(_Mechanics):
    name = "forwarded_allow_ips"
    engine = True
    cli = ("--forwarded-allow-ips",)
    meta = "STRING"
    validator = v.validate_ip_allow_list
    default = "127.0.0.1,::1"
    default_doc = "'127.0.0.1,::1', or $FORWARDED_ALLOW_IPS when set"
    env_var = "FORWARDED_ALLOW_IPS"
    desc = """\
        Proxy addresses (IPs or networks, comma separated) trusted for forwarded headers.

        ``*`` trusts every address. Applies to secure_scheme_headers and
        forwarder_headers; unix-socket peers are always trusted.
        """

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        return environ.get("FORWARDED_ALLOW_IPS", cls.default)


class ForwarderHeaders(_Mechanics):
    name = "forwarder_headers"
    engine = True
    cli = ("--forwarder-headers",)
    meta = "STRING"
    validator = v.validate_string_to_list
    default = "SCRIPT_NAME,PATH_INFO"
    desc = """\
        Headers a trusted proxy may set to override environ keys (comma separated).

        Only from addresses in forwarded_allow_ips; for example SCRIPT_NAME,
        PATH_INFO or REMOTE_USER.
        """


class PythonPath(_Mechanics):
    name = "pythonpath"
    cli = ("--pythonpath",)
    meta = "STRING"
    validator = v.validate_string
    default = None
    desc = """\
        Directories to put on sys.path before loading the app (comma separated).
        """


class _Ignored(_Mechanics):
    implemented = False


class Paste(_Ignored):
    name = "paste"
    lost = "a PasteDeploy app is not loaded: give the app as module:app"
    cli = ("--paste", "--paster")
    meta = "STRING"
    validator = v.validate_string
    default = None
    desc = """\
        gunicorn's PasteDeploy config file. Ignored: give the app as module:app.
        """


class RawPasteGlobalConf(_Ignored):
    name = "raw_paste_global_conf"
    lost = "a PasteDeploy app is not loaded: give the app as module:app"
    cli = ("--paste-global",)
    action = "append"
    meta = "CONF"
    validator = v.validate_list_string
    default: ClassVar[list[str]] = []
    desc = """\
        gunicorn's PasteDeploy global variables. Ignored with paste.
        """


class ProxyProtocol(_Mechanics):
    name = "proxy_protocol"
    engine = True
    cli = ("--proxy-protocol",)
    meta = "MODE"
    nargs = "?"
    const = "auto"
    validator = v.validate_proxy_protocol
    default = "off"
    desc = """\
        Expect a PROXY protocol header (off, v1, v2, auto) from proxy_allow_ips.

        The header's client address becomes REMOTE_ADDR/REMOTE_PORT. A peer in
        proxy_allow_ips must send one; a connection without it gets a 400.
        """


class ProxyAllowIPs(_Mechanics):
    name = "proxy_allow_ips"
    engine = True
    cli = ("--proxy-allow-from",)
    meta = "STRING"
    validator = v.validate_ip_allow_list
    default = "127.0.0.1,::1"
    desc = """\
        Addresses (IPs or networks, or ``*``) allowed to send the PROXY protocol header.
        """


class PermitObsoleteFolding(_Ignored):
    name = "permit_obsolete_folding"
    lost = "folded header lines are still refused with 400 (a request smuggling vector)"
    cli = ("--permit-obsolete-folding",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Accept obsolete header line folding. Ignored: fastwsgi always refuses it (400).
        """


class StripHeaderSpaces(_Ignored):
    name = "strip_header_spaces"
    lost = "a space before the colon is still refused with 400 (a request smuggling vector)"
    cli = ("--strip-header-spaces",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Strip spaces before the colon in header lines. Ignored: a request smuggling risk.
        """


class PermitUnconventionalHTTPMethod(_Mechanics):
    name = "permit_unconventional_http_method"
    engine = True
    cli = ("--permit-unconventional-http-method",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Accept any token as the request method.

        By default a method must be 3 to 20 characters without a lower-case
        letter or '#', as in gunicorn (every registered method passes; others
        such as FOO reach the app too); with this, any token does (-blargh).
        A request whose method breaks the rule is refused with 400.
        """


class PermitUnconventionalHTTPVersion(_Ignored):
    name = "permit_unconventional_http_version"
    lost = "only HTTP/1.x is served: other versions get 505 (HTTP/1.2 and up are answered as 1.1)"
    cli = ("--permit-unconventional-http-version",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Accept HTTP versions other than 1.0 and 1.1. Ignored.
        """


class CasefoldHTTPMethod(_Mechanics):
    name = "casefold_http_method"
    engine = True
    cli = ("--casefold-http-method",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Upper-case the request method before the app sees it.

        gunicorn's option, as dangerous as there: methods are case-sensitive
        (RFC 9110 §9.1), so a proxy and the app may disagree on what "get" is.
        Useful only with permit_unconventional_http_method, since other
        lower-case methods are refused.
        """


class HeaderMap(_Ignored):
    name = "header_map"
    lost = "only gunicorn's default, 'drop', is built: header names with '_' are always dropped"
    cli = ("--header-map",)
    meta = "STRING"
    validator = v.validate_choice("drop", "refuse", "dangerous")
    default = "drop"
    desc = """\
        What to do with header names containing "_": drop, refuse or dangerous.

        Ignored: fastwsgi always behaves as ``drop`` (gunicorn's default), so
        ``X-Auth_User`` can never pose as ``X-Auth-User``.
        """


# -- Process Naming -------------------------------------------------------------


class ProcName(Setting):
    name = "proc_name"
    section = "Process Naming"
    cli = ("-n", "--name")
    meta = "STRING"
    validator = v.validate_string
    default = None
    desc = """\
        The base of the process titles shown by ps and top.

        ``fastwsgi: master [NAME]`` and ``fastwsgi: worker [NAME]``, gunicorn's
        shape (a USR2 master is ``NAME.2`` until the old one exits), set with
        setproctitle, a dependency. Defaults to default_proc_name, which is the
        app (module:app).
        """


class DefaultProcName(Setting):
    name = "default_proc_name"
    section = "Process Naming"
    validator = v.validate_string
    default = "fastwsgi"
    desc = """\
        Internal: the process title base when proc_name is unset; set to the app.
        """


# -- Debugging ------------------------------------------------------------------


class _Debugging(Setting):
    section = "Debugging"


class Reload(_Debugging):
    name = "reload"
    cli = ("--reload",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Restart the workers when the application's source files change.

        For development only; incompatible with preload_app. Each worker checks
        once a second. An app that no longer loads (a syntax or import error in
        the last save) does not stop the server: the worker answers every
        request with 500 and the traceback (also in the error log), watches the
        files the failed import went through, and loads the app again at the
        next save.
        """


class ReloadEngine(_Debugging):
    name = "reload_engine"
    lost = "files are polled once a second in every case (no inotify)"
    cli = ("--reload-engine",)
    meta = "STRING"
    validator = v.validate_choice("auto", "poll", "inotify")
    default = "auto"
    implemented = False
    desc = """\
        gunicorn's choice of file watcher (auto, poll, inotify). Ignored.
        """


class ReloadExtraFiles(_Debugging):
    name = "reload_extra_files"
    cli = ("--reload-extra-file",)
    action = "append"
    meta = "FILES"
    validator = v.validate_list_of_existing_files
    default: ClassVar[list[str]] = []
    desc = """\
        More files (or glob patterns) whose change triggers a reload.

        An entry with ``*``, ``?`` or ``[`` is a glob pattern (``**`` recurses),
        expanded anew at every check: a file created after start is watched from
        then on, and its first edit (not its creation) reloads.
        """


class Spew(_Debugging):
    name = "spew"
    lost = "no line-by-line trace is printed"
    cli = ("--spew",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    implemented = False
    desc = """\
        gunicorn's trace of every executed line. Ignored.
        """


class CheckConfig(_Debugging):
    name = "check_config"
    cli = ("--check-config",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Check the configuration (and that the app imports), then exit: 0 if valid, 1 if not.
        """


class PrintConfig(_Debugging):
    name = "print_config"
    cli = ("--print-config",)
    action = "store_true"
    validator = v.validate_bool
    default = False
    desc = """\
        Print every setting's resolved value, then exit; implies check_config.
        """
