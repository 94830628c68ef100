"""Loader fixture: application factories."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def create_app(name: str = "default", n: int = 0) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [name.encode()]

    app.config = {"name": name, "n": n}  # type: ignore[attr-defined]
    return app


def broken_factory() -> Any:
    raise RuntimeError("factory exploded")


def type_error_inside() -> Any:
    return len(5)  # type: ignore[arg-type]


def returns_none() -> None:
    return None


not_a_function = 7
