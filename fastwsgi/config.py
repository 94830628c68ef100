"""The settings registry and the configuration it produces.

Theory of operation
-------------------
Every option is one ``Setting`` subclass (in ``fastwsgi/settings*.py``): its
name, section, command-line flags, validator, default and description. The
metaclass appends each one to ``KNOWN_SETTINGS``. Everything else is generated
from that list: the argparse parser, the names accepted in a config file, the
``FASTWSGI_CMD_ARGS``/``GUNICORN_CMD_ARGS`` parsing and ``docs/settings.md``.

Setting classes are never instantiated: a ``Config`` holds one validated value
per setting (and where each value came from), and reads the class attributes.

``load_config(argv, environ)`` layers the sources exactly as gunicorn does,
each later layer overriding the earlier ones setting by setting:

1. defaults (some read the environment: ``WEB_CONCURRENCY``, ``PORT``, ...);
2. the config file: ``-c`` from the command line, else ``-c`` from the
   environment arguments, else ``./fastwsgi.conf.py``, else
   ``./gunicorn.conf.py``; a ``.conf``/``.ini`` file means supervisor mode and
   is only recorded here (``cfg.supervisor_config``);
3. ``GUNICORN_CMD_ARGS``, then ``FASTWSGI_CMD_ARGS`` (shlex-split, same parser);
4. the command line.

argparse and shlex are imported only while the command line is parsed, and
``release_parsing_modules()`` lets them go once it is done (see there).
"""

from __future__ import annotations

import builtins
import copy
import gc
import importlib
import inspect
import logging
import os
import sys
import textwrap
import traceback
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from fastwsgi.errors import ConfigError
from fastwsgi.validators import Validator, validate_any

if TYPE_CHECKING:
    import argparse

KNOWN_SETTINGS: list[type[Setting]] = []

# Modules that only reading the configuration needs: release_parsing_modules()
# drops those that load_config() imported.  (gettext, which argparse imports,
# stays: it has process-wide state, such as bindtextdomain().)
PARSING_MODULES = ("argparse", "shlex", "glob", "fnmatch", "ipaddress")
# A module's reference count when only sys.modules holds it (getrefcount()'s
# argument is the other reference).
_ONLY_IN_SYS_MODULES = 2

# Searched in this order when no -c is given; only the first one found is read.
DEFAULT_CONFIG_FILES = ("fastwsgi.conf.py", "gunicorn.conf.py")
# Environment variables holding extra command-line arguments, lowest first.
ENV_ARGS_VARS = ("GUNICORN_CMD_ARGS", "FASTWSGI_CMD_ARGS")
# A config path with one of these suffixes is a supervisord INI file.
SUPERVISOR_SUFFIXES = (".conf", ".ini")
# __name__ given to an exec'd config file, as gunicorn does.
CONFIG_MODULE_NAME = "__config__"
SOURCE_CLI = "command line"
# Order of the sections in --help and docs/settings.md; others follow.
SECTION_ORDER = (
    "Config File", "Server Socket", "Worker Processes", "Security", "Server Mechanics",
    "Process Naming", "Logging", "Debugging", "Server Hooks", "SSL", "HTTP/2",
    "Control", "Dirty Arbiters", "Dirty Arbiter Hooks",
)

log = logging.getLogger("fastwsgi.error")


# -- the registry ---------------------------------------------------------------


class SettingMeta(type):
    """Registers every class that defines ``name`` in ``KNOWN_SETTINGS``.

    Intermediate classes without a ``name`` (a section's common base) are not
    registered, so a settings module can share ``section`` through a base.
    """

    def __new__(
        mcs, cls_name: str, bases: tuple[type, ...], namespace: dict[str, Any]
    ) -> SettingMeta:
        cls = super().__new__(mcs, cls_name, bases, namespace)
        if "name" in namespace:
            _register(cls)
        return cls


def _register(cls: Any) -> None:
    if any(known.name == cls.name for known in KNOWN_SETTINGS):
        raise RuntimeError(f"setting {cls.name!r} is defined twice")
    desc = textwrap.dedent(cls.desc).strip()
    cls.desc = desc
    cls.short = desc.splitlines()[0] if desc else ""
    cls.order = len(KNOWN_SETTINGS)
    KNOWN_SETTINGS.append(cls)


class Setting(metaclass=SettingMeta):
    """One option. Subclasses set the class attributes below; never instantiated."""

    name: ClassVar[str]
    section: ClassVar[str] = ""
    cli: ClassVar[Sequence[str]] = ()  # flags, e.g. ("-w", "--workers")
    meta: ClassVar[str | None] = None  # argparse metavar
    validator: ClassVar[Validator] = validate_any
    action: ClassVar[str | None] = None  # argparse action; None means "store"
    nargs: ClassVar[str | int | None] = None
    const: ClassVar[Any] = None
    default: ClassVar[Any] = None
    default_doc: ClassVar[str | None] = None  # shown instead of repr(default)
    env_var: ClassVar[str | None] = None  # environment variable read by initial()
    desc: ClassVar[str] = ""  # first line is the short help
    short: ClassVar[str] = ""
    implemented: ClassVar[bool] = True  # False: accepted for compatibility, no effect
    order: ClassVar[int] = -1

    @classmethod
    def initial(cls, environ: Mapping[str, str]) -> Any:
        """The raw default for this run; overridden where the environment decides."""
        return copy.deepcopy(cls.default)

    @classmethod
    def validate(cls, value: Any) -> Any:
        return cls.validator(value)

    @classmethod
    def default_text(cls) -> str:
        """The default as shown in --help and the docs."""
        if cls.default_doc is not None:
            return cls.default_doc
        if callable(cls.default):
            params = ", ".join(inspect.signature(cls.default).parameters)
            return f"def {cls.default.__name__}({params}): no-op"
        return repr(cls.default)

    @classmethod
    def add_argument(cls, group: argparse._ActionsContainer) -> None:
        """Declare this setting's flags; values stay strings for the validator."""
        kwargs: dict[str, Any] = {
            "dest": cls.name,
            "action": cls.action or "store",
            "default": None,  # None means "not given": lower layers keep their value
            "help": f"{cls.short} [{cls.default_text()}]".replace("%", "%%"),
        }
        if cls.meta is not None and kwargs["action"] in ("store", "append"):
            kwargs["metavar"] = cls.meta
        if cls.nargs is not None:
            kwargs["nargs"] = cls.nargs
        if cls.const is not None:
            kwargs["const"] = cls.const
        group.add_argument(*cls.cli, **kwargs)


def settings_by_name() -> dict[str, type[Setting]]:
    return {cls.name: cls for cls in KNOWN_SETTINGS}


def ignored_setting_names() -> list[str]:
    """Settings accepted for gunicorn compatibility that have no effect yet."""
    return [cls.name for cls in KNOWN_SETTINGS if not cls.implemented]


def sections() -> list[tuple[str, list[type[Setting]]]]:
    """Settings grouped by section, in SECTION_ORDER; ignored ones last in each section."""
    grouped: dict[str, list[type[Setting]]] = {}
    for cls in sorted(KNOWN_SETTINGS, key=lambda cls: (not cls.implemented, cls.order)):
        grouped.setdefault(cls.section, []).append(cls)
    rank = {section: index for index, section in enumerate(SECTION_ORDER)}
    return sorted(grouped.items(), key=lambda item: rank.get(item[0], len(rank)))


# -- the configuration object -------------------------------------------------------


class Config:
    """Validated values of every setting, with attribute access (``cfg.workers``)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: dict[str, str] = dict(os.environ if environ is None else environ)
        self.config_file: str | None = None  # the Python config actually read
        self.supervisor_config: str | None = None  # set in supervisor mode
        self._values: dict[str, Any] = {}
        self._defaults: dict[str, Any] = {}
        self._sources: dict[str, str] = {}
        for cls in KNOWN_SETTINGS:
            value = self._validated_initial(cls)
            self._values[cls.name] = value
            self._defaults[cls.name] = value

    def _validated_initial(self, cls: type[Setting]) -> Any:
        raw = cls.initial(self.environ)
        try:
            return cls.validate(raw)
        except (TypeError, ValueError) as exc:
            source = cls.env_var if cls.env_var in self.environ else "default"
            raise ConfigError(invalid_value_message(cls.name, raw, exc, source)) from None

    # attribute access: cfg.workers, read-only (use set())

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("_values")
        if name.startswith("_") or values is None or name not in values:
            raise AttributeError(f"no setting named {name!r}")
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("_values", ()):
            raise AttributeError(f"use cfg.set({name!r}, value) to change a setting")
        super().__setattr__(name, value)

    def get(self, name: str) -> Any:
        self._lookup(name)
        return self._values[name]

    def set(self, name: str, value: Any, source: str = SOURCE_CLI) -> None:
        """Validate and store; raises ConfigError naming setting, value and expectation."""
        cls = self._lookup(name)
        try:
            self._values[name] = cls.validate(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(invalid_value_message(name, value, exc, source)) from None
        self._sources[name] = source

    def _lookup(self, name: str) -> type[Setting]:
        cls = settings_by_name().get(name)
        if cls is None:
            raise ConfigError(f"unknown setting {name!r}")
        return cls

    @property
    def settings(self) -> dict[str, type[Setting]]:
        return settings_by_name()

    def source(self, name: str) -> str | None:
        """Where the value came from ("command line", "config file X", ...), None if default."""
        return self._sources.get(name)

    def is_default(self, name: str) -> bool:
        """True when the value equals this run's default (lets the engine skip no-op hooks)."""
        return bool(self._values[name] == self._defaults[name])

    def ignored_settings_in_use(self) -> list[str]:
        """Names of accepted-but-ignored settings that the user set to a non-default value."""
        return [name for name in ignored_setting_names() if not self.is_default(name)]

    # derived values (gunicorn's Config has the same helpers)

    @property
    def app_uri(self) -> str | None:
        """The APP positional, else the ``wsgi_app`` setting."""
        return self._values["wsgi_app"] or None

    def require_app(self) -> str:
        if not self.app_uri:
            raise ConfigError(
                "no application specified: give APP_MODULE (module:app) or set wsgi_app"
            )
        return self.app_uri

    @property
    def worker_class_str(self) -> str:
        value = self._values["worker_class"]
        if isinstance(value, str):
            return value
        return f"{value.__module__}.{value.__qualname__}"

    @property
    def worker_mode(self) -> tuple[str, int, str]:
        """(mode, threads, explanation): see resolve_worker_mode()."""
        return resolve_worker_mode(self.worker_class_str, self._values["threads"])

    @property
    def proc_name(self) -> str:
        return str(self._values["proc_name"] or self._values["default_proc_name"])

    @property
    def sendfile(self) -> bool:
        """--no-sendfile / the setting, else the SENDFILE variable, else enabled."""
        if self._values["sendfile"] is not None:
            return bool(self._values["sendfile"])
        if "SENDFILE" in self.environ:
            return self.environ["SENDFILE"].strip().lower() in ("y", "1", "yes", "true")
        return True

    @property
    def env(self) -> dict[str, str]:
        """raw_env as a dict (entries were checked to be KEY=VALUE)."""
        return dict(item.split("=", 1) for item in self._values["raw_env"])

    @property
    def python_paths(self) -> list[str]:
        """The comma-separated pythonpath setting as a list."""
        value = self._values["pythonpath"] or ""
        return [part.strip() for part in value.split(",") if part.strip()]

    @property
    def uid(self) -> int:
        return int(self._values["user"])

    @property
    def gid(self) -> int:
        return int(self._values["group"])

    def format_settings(self) -> str:
        """``name = value`` lines, sorted (--print-config)."""
        width = max(len(name) for name in self._values)
        lines = []
        for name in sorted(self._values):
            value = self._values[name]
            shown = f"<{value.__qualname__}()>" if callable(value) else repr(value)
            lines.append(f"{name:{width}} = {shown}")
        return "\n".join(lines)

    __str__ = format_settings

    @classmethod
    def parser(cls, prog: str = "fastwsgi") -> argparse.ArgumentParser:
        """The command-line parser, generated from the registry, help grouped by section."""
        parser = _parser_class()(
            prog=prog,
            usage="%(prog)s [OPTIONS] [APP_MODULE]",
            description="A fast pre-fork WSGI server, gunicorn-compatible.",
            formatter_class=_help_formatter_class(),
        )
        parser.add_argument(
            "-v", "--version", action="version",
            version=f"%(prog)s (version {_version()})",
            help="show program's version number and exit",
        )
        parser.add_argument(
            "app", nargs="*", metavar="APP_MODULE",
            help="the WSGI application: module:app, module:factory(), or module",
        )
        for section, members in sections():
            flagged = [setting for setting in members if setting.cli]
            if flagged:
                group = parser.add_argument_group(section)
                for setting in flagged:
                    setting.add_argument(group)
        return parser


# The argparse subclasses are made when a parser is, not at import: a class
# defined here would keep argparse alive (and in every worker) after parsing.

def _help_formatter_class() -> type[argparse.HelpFormatter]:
    import argparse

    class _HelpFormatter(argparse.HelpFormatter):
        """argparse's, given the terminal's width: argparse makes a formatter for
        every add_argument() and, without a width, imports shutil (and with it
        bz2, lzma, fnmatch) to ask for it; what the master imports stays in every
        worker's memory."""

        def __init__(self, prog: str) -> None:
            super().__init__(prog, width=_terminal_columns() - 2)  # -2: as argparse does

    return _HelpFormatter


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns, without shutil: $COLUMNS, else
    the width of the terminal on stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (ValueError, OSError):  # closed, or not a terminal
            columns = 0
    return columns or 80


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _ArgumentParser(argparse.ArgumentParser):
        """Reports usage errors as ConfigError (one line) instead of exiting with 2."""

        def error(self, message: str) -> NoReturn:
            raise ConfigError(f"{message} (see {self.prog} --help)")

    return _ArgumentParser


def _version() -> str:
    try:
        module = importlib.import_module("fastwsgi._version")
    except ImportError:
        return "unknown"
    return str(getattr(module, "__version__", "unknown"))


def invalid_value_message(name: str, value: Any, exc: BaseException, source: str) -> str:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    where = "" if source == SOURCE_CLI else f" in {source}"
    return f"invalid value for {name!r}: {shown} ({exc}){where}"


# -- worker_class -> fastwsgi mode ---------------------------------------------------

_SYNC_NAMES = frozenset({"sync", "gunicorn.workers.sync.SyncWorker"})
_THREAD_NAMES = frozenset({"gthread", "gunicorn.workers.gthread.ThreadWorker"})
_GREEN_NAMES = frozenset({
    "gevent", "gevent_wsgi", "gevent_pywsgi", "eventlet", "tornado",
    "gunicorn.workers.ggevent.GeventWorker", "gunicorn.workers.ggevent.GeventPyWSGIWorker",
    "gunicorn.workers.geventlet.EventletWorker", "gunicorn.workers.gtornado.TornadoWorker",
})
# Substrings that identify ASGI/aiohttp workers (uvicorn.workers.UvicornWorker,
# uvicorn_worker.UvicornH11Worker, gunicorn 24's "asgi", aiohttp.GunicornWebWorker).
_NOT_WSGI_MARKERS = ("uvicorn", "asgi", "aiohttp")


def resolve_worker_mode(worker_class: str, threads: int) -> tuple[str, int, str]:
    """Map a gunicorn worker_class to (mode, threads, one-line explanation).

    Modes: "native" (event loop, the app runs in the loop thread) and
    "threaded" (event loop + a pool of ``threads`` app threads). Raises
    ConfigError for ASGI workers: fastwsgi serves WSGI only.
    """
    name = worker_class.strip()
    label = f"worker_class {name!r}"
    if any(marker in name.lower() for marker in _NOT_WSGI_MARKERS):
        raise ConfigError(
            f"{label} runs ASGI/async applications; fastwsgi serves WSGI applications only"
        )
    if name in _THREAD_NAMES or name == "threaded":
        return "threaded", threads, f"{label}: threaded mode, event loop + {threads} app thread(s)"
    if name in _GREEN_NAMES:
        return "native", 1, (
            f"{label}: native mode; the C event loop already multiplexes connections, "
            "so greenlet monkey-patching is not applied"
        )
    if name in _SYNC_NAMES or name == "native":
        if threads > 1:  # gunicorn also switches sync to gthread when threads > 1
            return "threaded", threads, (
                f"{label} with threads={threads}: threaded mode, event loop + {threads} app threads"
            )
        return "native", 1, f"{label}: native mode, the app runs in the event-loop thread"
    mode = "threaded" if threads > 1 else "native"
    return mode, max(threads, 1), (
        f"{label} is not a fastwsgi worker and is not loaded; using {mode} mode"
    )


# -- loading ------------------------------------------------------------------------


def load_config(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Config:
    """Build the Config for this run: command line > env args > config file > defaults.

    ``argv`` excludes the program name. Raises ConfigError with a one-line message.
    """
    cfg = Config(environ)
    parser = Config.parser()
    cli = parser.parse_args(list(argv))
    env_layers = [
        (var, _parse_env_args(parser, var, cfg.environ[var]))
        for var in ENV_ARGS_VARS
        if cfg.environ.get(var, "").strip()
    ]
    location = _config_location(cli, env_layers)
    if location is not None:
        load_config_location(cfg, location)
    for source, namespace in env_layers:
        _apply_namespace(cfg, namespace, source)
    _apply_namespace(cfg, cli, SOURCE_CLI)
    _apply_app(cfg, cli.app)
    if cfg.supervisor_config is None:
        resolve_worker_mode(cfg.worker_class_str, cfg.threads)  # ASGI fails here, early
    return cfg


def release_parsing_modules(preloaded: Collection[str]) -> None:
    """Forget the PARSING_MODULES that reading the configuration imported.

    Why: every page the master holds when it forks counts in each worker's
    RSS, and argparse alone is ~300 kB of code and classes that the master
    never uses again (a HUP reload imports it anew).  Called before the
    master imports its loop and the engine, the memory they free is reused
    by those imports instead of staying resident.  A module that something
    other than sys.modules still holds (say, a config file that imported it
    and defined hooks) is kept, so this drops only what nobody can see: a
    later import gets a fresh copy, as if this one had never been made."""
    while True:
        unused = [name for name in PARSING_MODULES
                  if name not in preloaded and name in sys.modules
                  and sys.getrefcount(sys.modules[name]) <= _ONLY_IN_SYS_MODULES]
        if not unused:
            return
        for name in unused:
            del sys.modules[name]
        gc.collect()  # module dicts and their functions are cycles; this may free more


def _parse_env_args(parser: argparse.ArgumentParser, var: str, text: str) -> argparse.Namespace:
    import shlex  # only when the variable is set: see PARSING_MODULES

    # Positional arguments here are ignored, as gunicorn ignores them.
    try:
        return parser.parse_args(shlex.split(text))
    except ValueError as exc:  # shlex: unbalanced quotes
        raise ConfigError(f"cannot parse {var}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"in {var}: {exc.message}") from None


def _config_location(
    cli: argparse.Namespace, env_layers: list[tuple[str, argparse.Namespace]]
) -> str | None:
    if cli.config:
        return str(cli.config)
    for _, namespace in reversed(env_layers):  # FASTWSGI_CMD_ARGS before GUNICORN_CMD_ARGS
        if namespace.config:
            return str(namespace.config)
    for candidate in DEFAULT_CONFIG_FILES:
        if os.path.isfile(candidate):
            return os.path.join(".", candidate)
    return None


def _apply_namespace(cfg: Config, namespace: argparse.Namespace, source: str) -> None:
    for name, value in vars(namespace).items():
        if name != "app" and value is not None:
            cfg.set(name, value, source)


def _apply_app(cfg: Config, positionals: list[str]) -> None:
    if len(positionals) > 1:
        raise ConfigError(f"expected one APP_MODULE, got {len(positionals)}: {positionals}")
    if positionals:
        cfg.set("wsgi_app", positionals[0], SOURCE_CLI)
    if cfg.app_uri and cfg.source("default_proc_name") is None:
        # As gunicorn: processes are named after the app unless told otherwise.
        cfg._values["default_proc_name"] = cfg.app_uri


def is_supervisor_config(location: str) -> bool:
    path = location.removeprefix("file:")
    return not location.startswith("python:") and path.lower().endswith(SUPERVISOR_SUFFIXES)


def load_config_location(cfg: Config, location: str) -> None:
    """Read ``PATH``, ``file:PATH`` or ``python:MODULE``; record a supervisor INI path."""
    if is_supervisor_config(location):
        path = os.path.abspath(location.removeprefix("file:"))
        if not os.path.isfile(path):
            raise ConfigError(f"config file not found: {path}")
        cfg.supervisor_config = path
        cfg.set("config", path, "config path")
        return
    if location.startswith("python:"):
        module_name = location[len("python:"):].strip()
        namespace = _import_config_module(module_name)
        origin = f"config module {module_name}"
    else:
        path = location.removeprefix("file:")
        namespace = _exec_config_file(path)
        module_name, origin = CONFIG_MODULE_NAME, f"config file {path}"
        cfg.config_file = os.path.abspath(path)
    cfg.set("config", location, "config path")
    apply_config_namespace(cfg, namespace, origin, module_name)


def _exec_config_file(path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise ConfigError(f"config file not found: {path}")
    namespace: dict[str, Any] = {
        "__file__": os.path.abspath(path),
        "__name__": CONFIG_MODULE_NAME,
        "__builtins__": builtins,
    }
    try:
        with open(path, "rb") as handle:
            code = compile(handle.read(), path, "exec")
        exec(code, namespace)  # noqa: S102 - a config file is trusted Python, as in gunicorn
    except Exception as exc:  # any failure in user code is a config error
        raise ConfigError(f"failed to read config file {path}: {_last_line(exc, path)}") from exc
    return namespace


def _import_config_module(module_name: str) -> dict[str, Any]:
    # The console script's sys.path[0] is its bin directory, not the working
    # directory, so a module next to the user would not be found otherwise.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(
            f"failed to import config module {module_name!r}: {_last_line(exc, None)}"
        ) from exc
    return dict(vars(module))


def _last_line(exc: BaseException, path: str | None) -> str:
    """``Type: message (line N)`` with the line in ``path`` where it happened."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [frame.lineno for frame in frames if path is None or frame.filename == path]
    return f"{text} (line {lines[-1]})" if lines else text


def apply_config_namespace(
    cfg: Config, namespace: Mapping[str, Any], origin: str, module_name: str
) -> None:
    """Apply a config file's module-level names; warn once per unknown public name."""
    known = settings_by_name()
    for key, value in namespace.items():
        if key == "config":
            continue  # only meaningful on the command line (gunicorn: same)
        if key in known:
            cfg.set(key, value, origin)
        elif _looks_like_a_setting(key, value, module_name):
            log.warning("%s: %r is not a setting; ignored", origin, key)


def _looks_like_a_setting(key: str, value: Any, module_name: str) -> bool:
    """False for names a config file defines as helpers, not as settings.

    Private names, imported modules and classes, and functions imported from
    elsewhere (``from multiprocessing import cpu_count``) are helpers. A
    function defined in the file itself is reported: it is most likely a
    misspelt hook.
    """
    if key.startswith("_") or inspect.ismodule(value) or inspect.isclass(value):
        return False
    if callable(value):
        return bool(getattr(value, "__module__", module_name) == module_name)
    return True


# Registers every setting (settings.py imports fastwsgi.config for Setting).
from fastwsgi import settings as _settings  # noqa: F401
