"""Reading the configuration of one run: defaults, config file, env args, command line.

``load_config(argv, environ)`` layers the sources exactly as gunicorn does,
each later layer overriding the earlier ones setting by setting:

1. defaults (some read the environment: ``WEB_CONCURRENCY``, ``PORT``, ...);
2. the config file: ``-c`` from the command line, else ``-c`` from the
   environment arguments, else ``./fastwsgi.conf.py``, else
   ``./gunicorn.conf.py``; a supervisord INI file (by its content) means supervisor mode and
   is only recorded here (``cfg.supervisor_config``);
3. ``GUNICORN_CMD_ARGS``, then ``FASTWSGI_CMD_ARGS`` (shlex-split, same parser);
4. the command line.

argparse and shlex are imported only while the command line is parsed, and
``release_parsing_modules()`` lets them go once it is done (see there).
"""

from __future__ import annotations

import builtins
import gc
import importlib
import inspect
import logging
import os
import sys
import traceback
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastwsgi.config.model import Config
from fastwsgi.config.registry import SOURCE_CLI, did_you_mean, settings_by_name
from fastwsgi.config.worker_class import resolve_worker_mode
from fastwsgi.errors import ConfigError, UsageError

if TYPE_CHECKING:
    import argparse

# drops those that load_config() imported.  (gettext, which argparse imports,
# stays: it has process-wide state, such as bindtextdomain().)
PARSING_MODULES = ("argparse", "shlex", "glob", "fnmatch", "ipaddress", "configparser")
# A module's reference count when only sys.modules holds it (getrefcount()'s
# argument is the other reference).
_ONLY_IN_SYS_MODULES = 2

# Searched in this order when no -c is given; only the first one found is read.
DEFAULT_CONFIG_FILES = ("fastwsgi.conf.py", "gunicorn.conf.py")
# Environment variables holding extra command-line arguments, lowest first.
ENV_ARGS_VARS = ("GUNICORN_CMD_ARGS", "FASTWSGI_CMD_ARGS")
# A file whose sections include one of these is a supervisord INI file.
SUPERVISOR_SECTIONS = ("supervisord", "program:", "group:", "include", "unix_http_server",
                       "inet_http_server", "supervisorctl")
# __name__ given to an exec'd config file, as gunicorn does.
CONFIG_MODULE_NAME = "__config__"

log = logging.getLogger("fastwsgi.error")

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
        raise type(exc)(f"in {var}: {exc.message}") from None


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
    """Set what the flags gave. A flag's value that does not validate is a usage
    error (exit 2), as gunicorn's argparse types make it; a config file's is not."""
    for name, value in vars(namespace).items():
        if name != "app" and value is not None:
            try:
                cfg.set(name, value, source)
            except ConfigError as exc:
                raise UsageError(exc.message) from None


def _apply_app(cfg: Config, positionals: list[str]) -> None:
    if len(positionals) > 1:
        raise UsageError(f"expected one APP_MODULE, got {len(positionals)}: {positionals}")
    if positionals:
        cfg.set("wsgi_app", positionals[0], SOURCE_CLI)
    if cfg.app_uri and cfg.source("default_proc_name") is None:
        # As gunicorn: processes are named after the app unless told otherwise.
        cfg._values["default_proc_name"] = cfg.app_uri


def is_supervisor_config(location: str) -> bool:
    """A supervisord INI file by its content, not its name: its first statement is a
    ``[section]`` header and it parses as INI with a supervisord section (a Python config
    never does all that), so a Python gunicorn config named gunicorn.conf still runs as
    gunicorn runs it."""
    if location.startswith("python:"):
        return False
    path = location.removeprefix("file:")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")):
            if not (stripped.startswith("[") and "]" in stripped):
                return False
            break
    else:
        return False
    import configparser
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    try:
        parser.read_string(text, path)
    except configparser.Error:
        return False
    return any(section.startswith(SUPERVISOR_SECTIONS) for section in parser.sections())


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
            log.warning("%s: %r is not a setting; ignored%s", origin, key,
                        did_you_mean(key, list(known)))


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


