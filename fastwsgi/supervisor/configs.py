"""The model of a supervisord.conf: ProcessConfig, ProcessGroupConfig, ServerOptions.

These mirror supervisor 4's objects attribute for attribute (options.py),
because `fastwsgi.control` answers supervisor's XML-RPC from them and because
`update` compares old and new configurations with `==` exactly as supervisord
does (`Supervisor.diff_to_active`).  `ini.py` builds them; nothing here reads
a file.

PROGRAM_OPTIONS is the one table of the keys of a [program:x] section: the
converter and the default of each, in supervisor's spelling.  A key not in
it is ignored with a warning (supervisord ignores it silently), so fastwsgi's
own keys (FASTWSGI_OPTIONS) keep the same file runnable under supervisord.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from fastwsgi.logs import reopen_file
from fastwsgi.supervisor import datatypes as dt
from fastwsgi.supervisor.states import SupervisorStates

# key -> (converter, default as supervisord writes it); None: no default (optional).
PROGRAM_OPTIONS: dict[str, tuple[Callable[[Any], Any], str | None]] = {
    "command": (str, None),
    "process_name": (str, "%(program_name)s"),
    "numprocs": (dt.integer, "1"),
    "numprocs_start": (dt.integer, "0"),
    "priority": (dt.integer, "999"),
    "autostart": (dt.boolean, "true"),
    "autorestart": (dt.auto_restart, "unexpected"),
    "startsecs": (dt.integer, "1"),
    "startretries": (dt.integer, "3"),
    "exitcodes": (dt.list_of_exitcodes, "0"),
    "stopsignal": (dt.signal_number, "TERM"),
    "stopwaitsecs": (dt.integer, "10"),
    "stopasgroup": (dt.boolean, "false"),
    "killasgroup": (dt.boolean, None),  # defaults to stopasgroup
    "user": (str, None),
    "redirect_stderr": (dt.boolean, "false"),
    "stdout_logfile": (dt.logfile_name, "AUTO"),
    "stdout_logfile_maxbytes": (dt.byte_size, "50MB"),
    "stdout_logfile_backups": (dt.integer, "10"),
    "stdout_capture_maxbytes": (dt.byte_size, "0"),
    "stdout_events_enabled": (dt.boolean, "false"),
    "stdout_syslog": (dt.boolean, "false"),
    "stderr_logfile": (dt.logfile_name, "AUTO"),
    "stderr_logfile_maxbytes": (dt.byte_size, "50MB"),
    "stderr_logfile_backups": (dt.integer, "10"),
    "stderr_capture_maxbytes": (dt.byte_size, "0"),
    "stderr_events_enabled": (dt.boolean, "false"),
    "stderr_syslog": (dt.boolean, "false"),
    "environment": (dt.dict_of_key_value_pairs, ""),
    "directory": (str, None),
    "umask": (dt.octal_type, None),
    "serverurl": (str, "AUTO"),
}

# fastwsgi's own [program:x] keys; supervisord ignores unknown keys, so a file
# using them still runs there (without the behaviour).
FASTWSGI_OPTIONS: dict[str, tuple[Callable[[Any], Any], str | None]] = {
    # The whole master exits non-zero once this program is FATAL (containers).
    "fatal_exits_master": (dt.boolean, "false"),
    # Every line this program writes to its logs starts with "NAME | ".
    "log_prefix": (dt.boolean, "false"),
}

# What ProcessConfig.__eq__ compares: supervisor's req_param_names +
# optional_param_names, and ours.
PARAM_NAMES = (
    "name", "uid", "command", "directory", "umask", "priority", "autostart", "autorestart",
    "startsecs", "startretries", "stdout_logfile", "stdout_capture_maxbytes",
    "stdout_events_enabled", "stdout_syslog", "stdout_logfile_backups",
    "stdout_logfile_maxbytes", "stderr_logfile", "stderr_capture_maxbytes",
    "stderr_logfile_backups", "stderr_logfile_maxbytes", "stderr_events_enabled",
    "stderr_syslog", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "exitcodes",
    "redirect_stderr", "environment", "serverurl", "fatal_exits_master", "log_prefix",
)


class Config:
    """Ordered by priority, then name, as supervisor's Config."""

    name: str
    priority: int

    def _key(self) -> tuple[int, str]:
        return (self.priority, self.name)

    def __lt__(self, other: Config) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Config) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Config) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Config) -> bool:
        return self._key() >= other._key()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} named {self.name}>"


class ProcessConfig(Config):
    """One process of a [program:x] (one per process_num)."""

    command: str
    directory: str | None
    umask: int | None
    autostart: bool
    autorestart: dt.AutoRestart
    startsecs: int
    startretries: int
    exitcodes: list[int]
    stopsignal: int
    stopwaitsecs: int
    stopasgroup: bool
    killasgroup: bool
    redirect_stderr: bool
    stdout_logfile: Any
    stdout_logfile_maxbytes: int
    stdout_logfile_backups: int
    stdout_capture_maxbytes: int
    stdout_events_enabled: bool
    stdout_syslog: bool
    stderr_logfile: Any
    stderr_logfile_maxbytes: int
    stderr_logfile_backups: int
    stderr_capture_maxbytes: int
    stderr_events_enabled: bool
    stderr_syslog: bool

    def __init__(self, options: ServerOptions | None, **params: Any) -> None:
        self.options = options
        self.uid: int | None = None
        self.user: str | None = None
        self.numprocs = 1
        self.process_num = 0
        self.program_name = ""
        self.section = ""
        self.fatal_exits_master = False
        self.log_prefix = False
        self.environment: dict[str, str] = {}
        self.serverurl: str | None = None
        self.wsgi_argv: list[str] | None = None  # a `fastwsgi APP ...` command's arguments
        # supervisor.wsgi_plan's WSGIPlan, or why it is exec'd; set when its group is made
        self.wsgi_plan: Any = None
        for name, value in params.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProcessConfig):
            return False
        for name in PARAM_NAMES:
            mine, theirs = getattr(self, name, None), getattr(other, name, None)
            if dt.Automatic in (mine, theirs):
                continue
            if mine != theirs:
                return False
        return True

    def __hash__(self) -> int:
        return hash(self.name)

    def get_path(self) -> list[str]:
        """$PATH as the child will see it (its environment first)."""
        path = self.environment.get("PATH") if self.environment else None
        if path is None:
            path = os.environ.get("PATH", os.defpath)
        return path.split(os.pathsep)

    def create_autochildlogs(self) -> None:
        """Give AUTO logs their names in childlogdir (as supervisor, when the process is made)."""
        options = self.options
        assert options is not None
        for channel in ("stdout", "stderr"):
            key = f"{channel}_logfile"
            if getattr(self, key) is dt.Automatic:
                setattr(self, key, options.get_autochildlog_name(self.name, channel))


class ProcessGroupConfig(Config):
    def __init__(self, options: ServerOptions | None, name: str, priority: int,
                 process_configs: list[ProcessConfig]) -> None:
        self.options = options
        self.name = name
        self.priority = priority
        self.process_configs = process_configs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProcessGroupConfig):
            return False
        return (self.name == other.name and self.priority == other.priority
                and self.process_configs == other.process_configs)

    def __hash__(self) -> int:
        return hash(self.name)


class ServerOptions:
    """The [supervisord] section and what was read with it (supervisor's ServerOptions).

    `process_config()` re-reads the file (reread); the running model only
    changes through the Supervisor's add/remove of groups.
    """

    def __init__(self, configfile: str, logger: logging.Logger | None = None) -> None:
        self.configfile = configfile
        self.here = os.path.dirname(os.path.abspath(configfile))
        self.logger = logger or logging.getLogger("fastwsgi.supervisor")
        self.mood = SupervisorStates.RUNNING
        self.process_group_configs: list[ProcessGroupConfig] = []
        self.server_configs: list[dict[str, Any]] = []
        self.supervisorctl: dict[str, str] = {}
        self.parse_warnings: list[str] = []
        self.parse_infos: list[str] = []
        self.serverurl: str | None = None
        # ini.read_config, set by itself: how process_config() reads the file again
        self.reader: Callable[[str, ServerOptions], Any] | None = None
        # [supervisord] values, set by ini.read_config
        self.logfile: str | None = "supervisord.log"
        self.logfile_maxbytes = 50 * 1024 * 1024
        self.logfile_backups = 10
        self.loglevel = logging.INFO
        self.pidfile: str | None = "supervisord.pid"
        self.nodaemon = False
        self.silent = False
        self.umask = 0o022
        self.directory: str | None = None
        self.user: str | None = None
        self.minfds = 1024
        self.minprocs = 200
        self.identifier = "supervisor"
        self.environment: dict[str, str] = {}
        self.childlogdir = "/tmp"
        self.strip_ansi = False
        self.nocleanup = False

    def process_config(self, do_usage: bool = False) -> None:
        """Re-read the file into process_group_configs; ValueError on any error."""
        if self.reader is None:
            raise ValueError(f"{self.configfile}: this configuration was not read from a file")
        self.reader(self.configfile, self)

    def get_pid(self) -> int:
        return os.getpid()

    def get_autochildlog_name(self, name: str, channel: str) -> str:
        """A fresh AUTO log path, named as supervisor names its tempfiles."""
        import tempfile
        prefix = f"{name}-{channel}---{self.identifier}-"
        fd, path = tempfile.mkstemp(suffix=".log", prefix=prefix, dir=self.childlogdir)
        os.close(fd)
        return path

    def clear_autochildlogdir(self) -> None:
        """Remove AUTO logs a previous run of this identifier left (nocleanup=false)."""
        import glob
        pattern = os.path.join(self.childlogdir, f"*---{self.identifier}-*.log")
        for path in glob.glob(pattern):
            try:
                os.remove(path)
            except OSError:
                pass

    def reopenlogs(self) -> None:
        """The master's log files reopen by path (USR2, clearLog, logrotate)."""
        for handler in self.logger.handlers:
            if isinstance(handler, logging.FileHandler):
                reopen_file(handler)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def remove(self, path: str) -> None:
        os.remove(path)
