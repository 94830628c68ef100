"""The engine's settings: one object, built from the settings registry.

A ``Setting`` with ``engine = True`` (``fastwsgi/config/settings_*.py``) is
one the engine reads.  ``EngineSettings`` has one attribute per such setting,
named as the setting, holding its validated value: the registry's default
unless given.  Three more values are not settings of their own but derived by
the worker: ``script_name`` (from SCRIPT_NAME), ``multiprocess`` and ``tls``
(the listeners' TLSContext, built from the SSL settings: fastwsgi/workers/tls.py).
``fastwsgi._core.Server`` takes this one object; nothing else restates a
default or a name.
"""

from __future__ import annotations

import os
from typing import Any

from fastwsgi.config import engine_settings_list, invalid_value_message

# Derived by the worker, not read from the configuration (see from_config).
DERIVED: dict[str, Any] = {"script_name": "", "multiprocess": False, "tls": None}

NAMES: tuple[str, ...] = tuple(cls.name for cls in engine_settings_list())

_defaults: dict[str, Any] | None = None


def defaults() -> dict[str, Any]:
    """Every engine setting's default, validated once (copied per caller)."""
    global _defaults
    if _defaults is None:
        # fastwsgi's own variables (FASTWSGI_IO_BACKEND) set the default of
        # fastwsgi.run() too; the others (PORT, FORWARDED_ALLOW_IPS, ...) are
        # the command line's, as in gunicorn.
        _defaults = {cls.name: cls.validate(cls.initial(
            os.environ if (cls.env_var or "").startswith("FASTWSGI_") else {}))
            for cls in engine_settings_list()}
    return dict(_defaults)


class EngineSettings:
    """The engine's settings.  ``EngineSettings(keepalive=0)`` validates what
    it is given with the registry's validators and names a wrong setting."""

    __slots__ = NAMES + tuple(DERIVED)

    def __init__(self, source: str = "fastwsgi.run()", **values: Any) -> None:
        unknown = sorted(set(values) - set(NAMES) - set(DERIVED))
        if unknown:
            raise TypeError(f"not an engine setting: {', '.join(unknown)} "
                            f"(the engine's settings: {', '.join(NAMES)})")
        by_name = {cls.name: cls for cls in engine_settings_list()}
        merged = defaults()
        for name, value in values.items():
            if name in by_name:
                try:
                    merged[name] = by_name[name].validate(value)
                except (TypeError, ValueError) as exc:
                    raise ValueError(invalid_value_message(name, value, exc, source)) from None
        for name, default in DERIVED.items():
            merged[name] = values.get(name, default)
        self._set(merged)

    @classmethod
    def from_config(cls, cfg: Any, **derived: Any) -> EngineSettings:
        """From a Config's values (validated already), with the worker's own
        values in ``derived`` (DERIVED names, or a setting it adjusts, such
        as max_requests with its jitter)."""
        self = cls.__new__(cls)
        merged = {name: getattr(cfg, name) for name in NAMES}
        merged.update(DERIVED)
        merged.update(derived)
        self._set(merged)
        return self

    def _set(self, values: dict[str, Any]) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("EngineSettings is immutable: build a new one")

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"EngineSettings({inner})"


__all__ = ["DERIVED", "NAMES", "EngineSettings", "defaults"]
