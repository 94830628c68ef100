"""The settings registry: one ``Setting`` subclass per option.

Every option is one ``Setting`` subclass in a ``settings_*.py`` module of this
package: its name, section, command-line flags, validator, default and
description. The metaclass appends each one to ``KNOWN_SETTINGS``. Everything
else is generated from that list: the argparse parser (``model.Config.parser``),
the names accepted in a config file (``loading``), the
``FASTWSGI_CMD_ARGS``/``GUNICORN_CMD_ARGS`` parsing and ``docs/settings.md``.

Setting classes are never instantiated: a ``Config`` holds one validated value
per setting (and where each value came from), and reads the class attributes.

This module imports no catalogue module: the ``settings_*`` modules import it
(see ``catalogue``), never the other way round.
"""

from __future__ import annotations

import copy
import inspect
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fastwsgi.config.validators import Validator, validate_any

if TYPE_CHECKING:
    import argparse

KNOWN_SETTINGS: list[type[Setting]] = []

SOURCE_CLI = "command line"
# Order of the sections in --help and docs/settings.md; others follow, in the
# order their first setting was registered.
SECTION_ORDER = (
    "Config File", "Server Socket", "Worker Processes", "Security", "Server Mechanics",
    "Process Naming", "Logging", "Debugging", "Server Hooks", "SSL", "HTTP/2",
    "Control", "Dirty Arbiters", "Dirty Arbiter Hooks",
)


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
    # implemented = False: what the user loses, for the warning line and the docs
    # ("HTTP/2 is not served: clients will use HTTP/1.1"); a test requires it.
    lost: ClassVar[str] = ""
    # True: the worker's engine reads it (fastwsgi.engine.settings.EngineSettings
    # has one attribute per such setting, and fastwsgi.run() takes its name).
    engine: ClassVar[bool] = False
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


def engine_settings_list() -> list[type[Setting]]:
    """The settings the engine reads (``engine = True``), in registration order."""
    return [cls for cls in KNOWN_SETTINGS if cls.engine]


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


def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """`` (did you mean 'workers'?)`` when one of ``candidates`` is close to a
    mistyped ``name``, else ``""``. difflib is imported only on this error
    path: what the master imports stays in every worker's memory."""
    import difflib
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def invalid_value_message(name: str, value: Any, exc: BaseException, source: str) -> str:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    where = "" if source == SOURCE_CLI else f" in {source}"
    return f"invalid value for {name!r}: {shown} ({exc}){where}"

