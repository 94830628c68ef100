"""``Config``: the validated value of every setting, and the CLI parser.

A ``Config`` starts from each setting's default for this run (some read the
environment) and is changed only through ``set()``, which validates and records
where the value came from. ``Config.parser()`` generates the command line from
the registry; argparse is imported only while a parser is made (see
``loading.release_parsing_modules``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from fastwsgi.config.registry import (
    KNOWN_SETTINGS,
    SOURCE_CLI,
    Setting,
    did_you_mean,
    ignored_setting_names,
    invalid_value_message,
    sections,
    settings_by_name,
)
from fastwsgi.config.worker_class import resolve_worker_mode
from fastwsgi.errors import ConfigError, UsageError

if TYPE_CHECKING:
    import argparse


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
            hint = did_you_mean(name, list(settings_by_name()))
            raise ConfigError(f"unknown setting {name!r}{hint}")
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
        return resolve_worker_mode(self.worker_class_str, self._values["threads"],
                                   self._values["worker_connections"])

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
        """``name = value`` lines, sorted, then what the worker settings add up
        to: the mode and concurrency a worker will log (--print-config)."""
        width = max(len(name) for name in self._values)
        lines = []
        for name in sorted(self._values):
            value = self._values[name]
            shown = f"<{value.__qualname__}()>" if callable(value) else repr(value)
            lines.append(f"{name:{width}} = {shown}")
        if self.supervisor_config is None:
            mode, _, line = self.worker_mode
            workers = self._values["workers"]
            plural = "s" if workers != 1 else ""
            lines += ["", f"# effective worker mode: {mode}, {workers} worker{plural}; {line}"]
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
        """Reports usage errors as UsageError (one line; the CLI exits with 2, as
        argparse would), with "did you mean" for a mistyped flag."""

        def error(self, message: str) -> NoReturn:
            prefix = "unrecognized arguments: "
            if message.startswith(prefix):
                flags = list(self._option_string_actions)
                message = prefix + " ".join(
                    word + (did_you_mean(word.split("=", 1)[0], flags) if word.startswith("-")
                            else "")
                    for word in message[len(prefix):].split(" "))
            raise UsageError(f"{message} (see {self.prog} --help)")

    return _ArgumentParser


def _version() -> str:
    try:
        module = importlib.import_module("fastwsgi._version")
    except ImportError:
        return "unknown"
    return str(getattr(module, "__version__", "unknown"))

