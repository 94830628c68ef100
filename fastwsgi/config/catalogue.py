"""Registers every setting by importing each ``settings_*.py`` module of this package.

A new section is a new file: ``fastwsgi/config/settings_<topic>.py`` whose
``Setting`` subclasses import ``fastwsgi.config.registry`` (never the package
``fastwsgi.config``, which imports this module). No list to edit: the files are
found in this directory. ``settings_server`` comes first and the others follow
in name order, so a setting's ``order`` (its rank inside its section in --help
and docs/settings.md) does not depend on the file system. Where a section
appears among the others is ``registry.SECTION_ORDER``.

Found with ``os.scandir`` rather than ``pkgutil``: what the master imports
stays resident in every worker.
"""

from __future__ import annotations

import importlib
import os

PREFIX = "settings_"
FIRST = "settings_server"


def module_names() -> list[str]:
    """The catalogue's module names (without the package), in registration order."""
    directory = os.path.dirname(os.path.abspath(__file__))
    names = {
        entry.name[: -len(".py")]
        for entry in os.scandir(directory)
        if entry.name.startswith(PREFIX) and entry.name.endswith(".py")
        and entry.name[: -len(".py")].isidentifier()
    }
    return sorted(names, key=lambda name: (name != FIRST, name))


def load() -> None:
    """Import every catalogue module once (importing registers its settings)."""
    for name in module_names():
        importlib.import_module(f"{__package__}.{name}")
