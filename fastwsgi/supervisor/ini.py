"""Read a supervisord.conf into the model of configs.py, as supervisor 4 reads it.

Theory of operation:
1. The file and its [include] files (globs relative to the including file,
   sorted, read in order) are parsed by one RawConfigParser with supervisor's
   settings (inline ``;``/``#`` comments, later sections merge into earlier).
   ``%(here)s`` becomes the directory of the file the value came from.
2. [supervisord] is read first: its ``environment`` adds ``ENV_X`` names.
3. Every [group:x] takes its programs; every other [program:x] is a group
   of its own.  Each program makes numprocs ProcessConfigs, each with its
   expansions: here, program_name, group_name, host_node_name, process_num,
   numprocs, ENV_X (the master's environment, [supervisord]'s, then the
   program's own).  Values are expanded with ``%`` as supervisor does, so
   ``%(process_num)02d`` has its width.
4. Any error raises ConfigFileError naming the file, section, option and
   value; nothing starts.  Sections supervisor has and fastwsgi does not
   run ([eventlistener:x], [fcgi-program:x]) are refused the same way.
"""

from __future__ import annotations

import configparser
import glob
import os
import platform
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any

from fastwsgi.supervisor import datatypes as dt
from fastwsgi.supervisor.configs import (
    FASTWSGI_OPTIONS,
    PROGRAM_OPTIONS,
    ProcessConfig,
    ProcessGroupConfig,
    ServerOptions,
)

REFUSED_SECTIONS = {
    "eventlistener": "event listeners are not supported by fastwsgi",
    "fcgi-program": "FastCGI programs are not supported by fastwsgi",
}
MAIN_RPCINTERFACE = "supervisor.rpcinterface:make_main_rpcinterface"
KNOWN_SECTION_PREFIXES = ("supervisord", "program:", "group:", "include", "unix_http_server",
                          "inet_http_server", "supervisorctl", "rpcinterface:", "ctlplugin:")
WSGI_COMMANDS = ("fastwsgi", "gunicorn")
DEFAULT_GRACEFUL_TIMEOUT = 30  # gunicorn's, and fastwsgi's
WSGI_STOP_MARGIN = 5


class ConfigFileError(ValueError):
    """A supervisord.conf that cannot run; the message is the one line to show."""


def _expand(value: str, expansions: Mapping[str, Any], where: str) -> str:
    try:
        return value % expansions
    except KeyError as exc:
        names = ", ".join(sorted(expansions))
        raise ValueError(f"Format string {value!r} for {where!r} contains names ({exc}) "
                         f"which cannot be expanded. Available names: {names}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Format string {value!r} for {where!r} is badly formatted: "
                         f"{exc}") from None


class _Parser:
    """The parsed files, with where each section came from."""

    def __init__(self, path: str, expansions: dict[str, str]) -> None:
        self.cp = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"),
                                               strict=False)
        self.section_file: dict[str, str] = {}
        self.infos: list[str] = []
        self.warnings: list[str] = []
        self.main = path
        self._read(path)
        if self.cp.has_section("include"):
            self._includes(path, expansions)

    def _read(self, path: str) -> None:
        before = set(self.cp.sections())
        try:
            with open(path, encoding="utf-8") as f:
                self.cp.read_file(f, path)
        except OSError as exc:
            raise ConfigFileError(f"could not read config file {path}: {exc.strerror}") from None
        except configparser.Error as exc:
            raise ConfigFileError(f"{path}: {exc.message}") from None
        for section in set(self.cp.sections()) - before:
            self.section_file[section] = path
        here = os.path.dirname(os.path.abspath(path))
        for section in self.cp.sections():
            for key, value in self.cp.items(section):
                if "%(here)s" in value:
                    self.cp.set(section, key, value.replace("%(here)s", here))

    def _includes(self, path: str, expansions: dict[str, str]) -> None:
        if not self.cp.has_option("include", "files"):
            raise ConfigFileError(f"{path}: [include] has no files setting")
        base = os.path.dirname(os.path.abspath(path))
        files = self.cp.get("include", "files")
        try:
            files = _expand(files, expansions, "include.files")
        except ValueError as exc:
            raise ConfigFileError(f"{path}: [include] files = {files!r}: {exc}") from None
        for pattern in files.split():
            pattern = os.path.join(base, pattern)
            names = sorted(glob.glob(pattern))
            if not names:
                self.warnings.append(f'No file matches via include "{pattern}"')
            for name in names:
                self.infos.append(f'Included extra file "{name}" during parsing')
                self._read(name)

    def file_of(self, section: str) -> str:
        return self.section_file.get(section, self.main)

    def raw(self, section: str, option: str) -> str | None:
        if self.cp.has_option(section, option):
            return self.cp.get(section, option)
        return None


class _Section:
    """Reads one section's options, turning every failure into one ConfigFileError line."""

    def __init__(self, parser: _Parser, section: str, expansions: dict[str, Any]) -> None:
        self.parser = parser
        self.section = section
        self.expansions = expansions

    def error(self, option: str, value: object, reason: object) -> ConfigFileError:
        where = self.parser.file_of(self.section)
        return ConfigFileError(f"{where}: [{self.section}] {option} = {value!r}: {reason}")

    def get(self, option: str, convert: Callable[[Any], Any], default: Any,
            expand: bool = True) -> Any:
        raw = self.parser.raw(self.section, option)
        value = default if raw is None else raw
        if value is None:
            return None
        try:
            if expand and isinstance(value, str):
                value = _expand(value, self.expansions, f"{self.section}.{option}")
            return convert(value)
        except ValueError as exc:
            raise self.error(option, raw if raw is not None else default, exc) from None


def environ_expansions(environ: Mapping[str, str]) -> dict[str, str]:
    return {f"ENV_{key}": value for key, value in environ.items()}


def read_config(path: str, options: ServerOptions | None = None,
                environ: Mapping[str, str] | None = None) -> ServerOptions:
    """Read `path` into `options` (a new ServerOptions if None); raises ConfigFileError."""
    path = os.path.abspath(path)
    options = options or ServerOptions(path)
    env_expansions = environ_expansions(os.environ if environ is None else environ)
    common: dict[str, Any] = {"here": os.path.dirname(path),
                              "host_node_name": platform.node(), **env_expansions}
    parser = _Parser(path, common)
    sections = parser.cp.sections()
    for section in sections:
        kind = section.split(":", 1)[0]
        if kind in REFUSED_SECTIONS:
            raise ConfigFileError(f"{parser.file_of(section)}: [{section}]: "
                                  f"{REFUSED_SECTIONS[kind]}; remove the section to run this file")
    if "supervisord" not in sections:
        raise ConfigFileError(f"{path}: .ini file does not include supervisord section")
    parsed = ServerOptions(path, options.logger)
    parsed.parse_infos, parsed.parse_warnings = parser.infos, parser.warnings
    _read_supervisord(parser, parsed, common)
    for key, value in parsed.environment.items():
        common[f"ENV_{key}"] = value
    for section in sections:
        if not section.startswith(KNOWN_SECTION_PREFIXES):
            parsed.parse_warnings.append(f"[{section}] is not a supervisord section; ignored")
    _check_rpcinterfaces(parser, parsed)
    groups = _groups(parser, parsed, common)
    servers = _servers(parser, common)
    ctl = _supervisorctl(parser, common)
    # Nothing failed: only now does `options` take the new values.
    options.__dict__.update({k: v for k, v in parsed.__dict__.items()
                             if k not in ("mood", "logger", "reader")})
    options.reader = read_config
    options.process_group_configs = groups
    options.server_configs = servers
    options.supervisorctl = ctl
    options.serverurl = _serverurl(servers)
    for group in groups:
        for pconfig in group.process_configs:
            pconfig.options = options
            pconfig.environment = {**options.environment, **pconfig.environment}
    return options


def _read_supervisord(parser: _Parser, o: ServerOptions, common: dict[str, Any]) -> None:
    s = _Section(parser, "supervisord", dict(common))
    o.minfds = s.get("minfds", dt.integer, "1024")
    o.minprocs = s.get("minprocs", dt.integer, "200")
    o.directory = s.get("directory", dt.existing_directory, None)
    o.user = s.get("user", str, None)
    o.umask = s.get("umask", dt.octal_type, "022")
    here = os.path.dirname(parser.main)
    logfile = s.get("logfile", str, "supervisord.log")
    o.logfile = None if logfile.lower() in ("none", "off") else _relative(here, logfile, s,
                                                                          "logfile")
    o.logfile_maxbytes = s.get("logfile_maxbytes", dt.byte_size, "50MB")
    o.logfile_backups = s.get("logfile_backups", dt.integer, "10")
    o.loglevel = s.get("loglevel", dt.logging_level, "info")
    o.pidfile = _relative(here, s.get("pidfile", str, "supervisord.pid"), s, "pidfile")
    o.identifier = s.get("identifier", str, "supervisor")
    o.nodaemon = s.get("nodaemon", dt.boolean, "false")
    o.silent = s.get("silent", dt.boolean, "false")
    import tempfile
    o.childlogdir = s.get("childlogdir", dt.existing_directory, tempfile.gettempdir())
    o.nocleanup = s.get("nocleanup", dt.boolean, "false")
    o.strip_ansi = s.get("strip_ansi", dt.boolean, "false")
    o.environment = s.get("environment", dt.dict_of_key_value_pairs, "")


def _relative(here: str, value: str, s: _Section, option: str) -> str:
    """supervisor normalises pidfile/logfile against the working directory; so do we
    (``%(here)s`` is how a file says "next to me")."""
    try:
        return os.path.abspath(dt.existing_dirpath(value))
    except ValueError as exc:
        raise s.error(option, value, exc) from None


def _check_rpcinterfaces(parser: _Parser, o: ServerOptions) -> None:
    for section in parser.cp.sections():
        if not section.startswith("rpcinterface:"):
            continue
        factory = (parser.raw(section, "supervisor.rpcinterface_factory") or "").strip()
        if factory != MAIN_RPCINTERFACE:
            o.parse_warnings.append(f"[{section}] factory {factory!r} is not supervisor's "
                                    "main interface; fastwsgi serves only that one")


def _groups(parser: _Parser, o: ServerOptions,
            common: dict[str, Any]) -> list[ProcessGroupConfig]:
    sections = parser.cp.sections()
    groups: list[ProcessGroupConfig] = []
    in_groups: set[str] = set()
    for section in sections:
        if not section.startswith("group:"):
            continue
        s = _Section(parser, section, dict(common))
        try:
            name = dt.process_or_group_name(section.split(":", 1)[1])
        except ValueError as exc:
            raise ConfigFileError(f"{parser.file_of(section)}: [{section}]: {exc}") from None
        programs = s.get("programs", dt.list_of_strings, None)
        if not programs:
            raise s.error("programs", programs, "a group needs a programs line")
        priority = s.get("priority", dt.integer, "999")
        processes: list[ProcessConfig] = []
        for program in programs:
            program_section = f"program:{program}"
            if program_section not in sections:
                raise s.error("programs", ",".join(programs),
                              f"names unknown program {program}")
            in_groups.add(program_section)
            processes.extend(_processes(parser, o, program_section, name, common))
        groups.append(ProcessGroupConfig(o, name, priority, sorted(processes)))
    for section in sections:
        if not section.startswith("program:") or section in in_groups:
            continue
        try:
            name = dt.process_or_group_name(section.split(":", 1)[1])
        except ValueError as exc:
            raise ConfigFileError(f"{parser.file_of(section)}: [{section}]: {exc}") from None
        processes = _processes(parser, o, section, name, common)
        priority = _Section(parser, section, dict(common)).get("priority", dt.integer, "999")
        groups.append(ProcessGroupConfig(o, name, priority, processes))
    groups.sort()
    return groups


def _processes(parser: _Parser, o: ServerOptions, section: str, group_name: str,
               common: dict[str, Any]) -> list[ProcessConfig]:
    program_name = section.split(":", 1)[1]
    base = {**common, "program_name": program_name, "group_name": group_name}
    s = _Section(parser, section, dict(base))
    known = set(PROGRAM_OPTIONS) | set(FASTWSGI_OPTIONS)
    for key in parser.cp.options(section):
        if key not in known:
            o.parse_warnings.append(f"[{section}] {key}: not a supervisord option; ignored")
    numprocs = s.get("numprocs", dt.integer, "1")
    numprocs_start = s.get("numprocs_start", dt.integer, "0")
    if numprocs < 1:
        raise s.error("numprocs", numprocs, "must be at least 1")
    process_name = parser.raw(section, "process_name") or "%(program_name)s"
    if numprocs > 1 and "%(process_num)" not in process_name:
        raise s.error("process_name", process_name,
                      "%(process_num) must be present within process_name when numprocs > 1")
    stopasgroup = s.get("stopasgroup", dt.boolean, "false")
    killasgroup = s.get("killasgroup", dt.boolean, str(stopasgroup))
    if stopasgroup and not killasgroup:
        raise s.error("killasgroup", "false", "Cannot set stopasgroup=true and killasgroup=false")
    processes = []
    for num in range(numprocs_start, numprocs_start + numprocs):
        expansions = {**base, "process_num": num, "numprocs": numprocs}
        s = _Section(parser, section, expansions)
        environment = s.get("environment", dt.dict_of_key_value_pairs, "")
        for key, value in environment.items():
            expansions[f"ENV_{key}"] = value
        values: dict[str, Any] = {}
        for key, (convert, default) in {**PROGRAM_OPTIONS, **FASTWSGI_OPTIONS}.items():
            if key in ("environment", "killasgroup", "stopasgroup", "numprocs", "numprocs_start"):
                continue
            values[key] = s.get(key, convert, default)
        if values["command"] is None:
            raise ConfigFileError(f"{parser.file_of(section)}: [{section}]: program section "
                                  f"{section} does not specify a command")
        try:
            values["process_name"] = dt.process_or_group_name(values["process_name"])
        except ValueError as exc:
            raise s.error("process_name", process_name, exc) from None
        if values["directory"] is not None:
            values["directory"] = os.path.expanduser(values["directory"])
        user = values.pop("user")
        uid = None
        if user is not None:
            try:
                uid = dt.name_to_uid(user)
            except ValueError as exc:
                raise s.error("user", user, exc) from None
        wsgi_argv = _wsgi_argv(values["command"])
        if wsgi_argv is not None and parser.raw(section, "stopwaitsecs") is None:
            # Its master drains the workers for up to graceful_timeout after TERM: a
            # shorter stopwaitsecs would SIGKILL it then and orphan its workers.
            values["stopwaitsecs"] = _graceful_timeout(wsgi_argv) + WSGI_STOP_MARGIN
        serverurl = values.pop("serverurl")
        if values["redirect_stderr"]:
            values["stderr_logfile"] = None  # never a stderr log when redirected
        name = values.pop("process_name")
        processes.append(ProcessConfig(
            o, name=name, uid=uid, user=user, environment=environment,
            stopasgroup=stopasgroup, killasgroup=killasgroup,
            serverurl=None if serverurl.strip().upper() == "AUTO" else serverurl,
            numprocs=numprocs, process_num=num, program_name=program_name, section=section,
            wsgi_argv=wsgi_argv, **values))
    return sorted(processes)


def _wsgi_argv(command: str) -> list[str] | None:
    """``fastwsgi APP ...`` / ``gunicorn APP ...`` -> its arguments; else None."""
    import shlex
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if len(argv) > 3 and re.fullmatch(r"python[0-9.]*", os.path.basename(argv[0])) \
            and argv[1] == "-m" and argv[2] in WSGI_COMMANDS:
        argv = argv[2:]  # python -m fastwsgi ...
    if argv and os.path.basename(argv[0]) in WSGI_COMMANDS and len(argv) > 1 \
            and argv[1] not in ("supervise", "ctl"):
        return argv[1:]
    return None


def _graceful_timeout(argv: list[str]) -> int:
    """--graceful-timeout N / --graceful-timeout=N from a fastwsgi/gunicorn command line."""
    for i, arg in enumerate(argv):
        value = None
        if arg == "--graceful-timeout" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--graceful-timeout="):
            value = arg.split("=", 1)[1]
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                break
    return DEFAULT_GRACEFUL_TIMEOUT


def _servers(parser: _Parser, common: dict[str, Any]) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = []
    for section in parser.cp.sections():
        kind, _, name = section.partition(":")
        if kind not in ("inet_http_server", "unix_http_server"):
            continue
        s = _Section(parser, section, dict(common))
        config: dict[str, Any] = {"name": name or None, "section": section,
                                  "username": s.get("username", str, None),
                                  "password": s.get("password", str, None)}
        if (config["username"] is None) != (config["password"] is None):
            raise ConfigFileError(
                f"{parser.file_of(section)}: [{section}] contains incomplete authentication: "
                "If a username or a password is specified, both the username and password "
                "must be specified")
        if kind == "inet_http_server":
            port = s.get("port", str, None)
            if port is None:
                raise ConfigFileError(f"{parser.file_of(section)}: section [{section}] has "
                                      "no port value")
            config["family"] = socket.AF_INET
            config["host"], config["port"] = s.get("port", dt.inet_address, None)
        else:
            path = s.get("file", str, None)
            if path is None:
                raise ConfigFileError(f"{parser.file_of(section)}: section [{section}] has "
                                      "no file value")
            config["family"] = socket.AF_UNIX
            config["file"] = os.path.abspath(os.path.expanduser(path.strip()))
            config["chmod"] = s.get("chmod", dt.octal_type, "0700")
            chown = s.get("chown", dt.colon_separated_user_group, None)
            config["chown"] = chown if chown is not None else (-1, -1)
        configs.append(config)
    return configs


def _serverurl(servers: list[dict[str, Any]]) -> str | None:
    """What children get as SUPERVISOR_SERVER_URL: the unix socket first."""
    for config in servers:
        if config["family"] == socket.AF_UNIX:
            return f"unix://{config['file']}"
    for config in servers:
        return f"http://{config['host'] or 'localhost'}:{config['port']}"
    return None


def _supervisorctl(parser: _Parser, common: dict[str, Any]) -> dict[str, str]:
    if not parser.cp.has_section("supervisorctl"):
        return {}
    s = _Section(parser, "supervisorctl", dict(common))
    return {key: s.get(key, str, None) for key in parser.cp.options("supervisorctl")}

