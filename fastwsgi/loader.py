"""Import the WSGI application named by an app spec.

Spec forms (gunicorn's ``util.import_app``, plus dotted attributes):

- ``module:app``                 attribute ``app`` of ``module``
- ``module``                     attribute ``application``
- ``module:obj.attr``            an attribute path
- ``module:factory()``           call ``factory`` and use its result
- ``module:factory('x', n=1)``   the same with literal arguments only

The part after the colon is parsed with ``ast`` and arguments are read with
``ast.literal_eval``: nothing in a spec is ever evaluated as code.

Every failure raises ``AppImportError`` with one short line (what was looked
for, where, and the last line of the underlying exception) and the full
traceback in ``traceback_text``. The cases gunicorn reports as errors are
errors here too; in addition, an exception raised while importing the module
or calling the factory is reported the same way instead of escaping as a
worker boot failure.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NamedTuple

from fastwsgi.errors import AppImportError

DEFAULT_ATTRIBUTE = "application"
# How many sys.path entries a "module not found" message shows.
_PATH_HEAD = 3


# A NamedTuple, not a dataclass: dataclasses (~110 kB) would be imported by
# the master, and what the master imports stays in every worker it forks.
class AppSpec(NamedTuple):
    """A parsed spec: ``module:attr.path(*args, **kwargs)``."""

    module: str
    attrs: tuple[str, ...]
    call: bool = False
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def target(self) -> str:
        return ".".join(self.attrs)


def load_app(
    spec: str, *, chdir: str | None = None, pythonpath: Sequence[str] | None = None
) -> Callable[..., Any]:
    """Import and return the WSGI callable named by ``spec``.

    ``chdir`` (default: the working directory) becomes the working directory
    and the head of sys.path, followed by the ``pythonpath`` entries in order,
    as gunicorn arranges them before importing the app.
    """
    parsed = parse_spec(spec)
    prepare_sys_path(chdir, pythonpath or ())
    module = _import_module(parsed)
    obj = _resolve_attrs(module, parsed)
    if parsed.call:
        obj = _call_factory(obj, parsed)
    return _check_app(obj, parsed)


def prepare_sys_path(chdir: str | None, pythonpath: Sequence[str]) -> None:
    """chdir, then put chdir and the pythonpath entries first on sys.path (once each)."""
    if chdir:
        os.chdir(chdir)
    heads = [os.path.abspath(path) for path in pythonpath]
    heads.insert(0, os.getcwd())
    for path in reversed(heads):
        if path not in sys.path:
            sys.path.insert(0, path)


# -- parsing ------------------------------------------------------------------


def parse_spec(spec: str) -> AppSpec:
    """Split and parse a spec; raises AppImportError for anything but the forms above."""
    module, sep, target = spec.strip().partition(":")
    if not module:
        raise AppImportError(f"No module given in app spec {spec!r} (expected module:app).")
    if not sep or not target.strip():
        return AppSpec(module, (DEFAULT_ATTRIBUTE,))
    try:
        expression = ast.parse(target.strip(), mode="eval").body
    except SyntaxError:
        raise AppImportError(_unparsable(target)) from None
    call = isinstance(expression, ast.Call)
    reference = expression.func if isinstance(expression, ast.Call) else expression
    attrs = _attribute_path(reference, target)
    if not isinstance(expression, ast.Call):
        return AppSpec(module, attrs)
    args, kwargs = _literal_arguments(expression, target)
    return AppSpec(module, attrs, call, args, kwargs)


def _unparsable(target: str) -> str:
    return f"Failed to parse {target!r} as an attribute name or function call."


def _attribute_path(node: ast.expr, target: str) -> tuple[str, ...]:
    # name, or name.attr.attr: anything else (subscripts, calls in the
    # middle, operators) is refused.
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise AppImportError(_unparsable(target))
    names.append(node.id)
    return tuple(reversed(names))


def _literal_arguments(
    call: ast.Call, target: str
) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
    if any(keyword.arg is None for keyword in call.keywords):
        raise AppImportError(f"Failed to parse arguments as literal values: {target!r}")
    try:
        args = tuple(ast.literal_eval(arg) for arg in call.args)
        kwargs = tuple((str(kw.arg), ast.literal_eval(kw.value)) for kw in call.keywords)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        # literal_eval's own messages are cryptic; show the whole expression.
        raise AppImportError(
            f"Failed to parse arguments as literal values: {target!r}"
        ) from None
    return args, kwargs


# -- importing ----------------------------------------------------------------


def _import_module(parsed: AppSpec) -> ModuleType:
    try:
        return importlib.import_module(parsed.module)
    except ModuleNotFoundError as exc:
        raise AppImportError(
            _not_found_message(parsed, exc), traceback_text=traceback.format_exc()
        ) from exc
    except Exception as exc:  # whatever the module raises at import time
        raise AppImportError(
            _raised_message(exc, f"while importing {parsed.module!r}"),
            traceback_text=traceback.format_exc(),
        ) from exc


def _not_found_message(parsed: AppSpec, exc: ModuleNotFoundError) -> str:
    missing = exc.name or parsed.module
    if _is_part_of(missing, parsed.module):
        # The app module itself (or its package) is missing.
        if parsed.module.endswith(".py") and os.path.exists(parsed.module):
            stem = parsed.module[: -len(".py")]
            return f"Failed to find application, did you mean '{stem}:{parsed.target}'?"
        head = ", ".join(repr(path) for path in sys.path[:_PATH_HEAD])
        return f"No module named {missing!r} (sys.path starts with {head})"
    # The module exists but one of its own imports is missing.
    return _raised_message(exc, f"while importing {parsed.module!r}")


def _is_part_of(missing: str, module: str) -> bool:
    # "pkg" and "pkg.sub" are part of "pkg.sub.app"; "flask" is not.
    return module == missing or module.startswith(missing + ".")


def _raised_message(exc: BaseException, context: str) -> str:
    """``Type <context> (file line N): message`` for the innermost user frame."""
    if isinstance(exc, SyntaxError):
        where = f"{_short_path(exc.filename or '?')} line {exc.lineno}"
        return f"SyntaxError in {where}: {exc.msg}"
    location = _innermost_frame(exc)
    last_line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    where = f" ({location})" if location else ""
    return f"{type(exc).__name__} {context}{where}: {last_line.partition(': ')[2] or last_line}"


def _innermost_frame(exc: BaseException) -> str:
    # The last frame outside importlib's machinery and this module.
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if "importlib" not in frame.filename and frame.filename != __file__
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f"{_short_path(frame.filename)} line {frame.lineno}"


def _short_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


# -- resolving ----------------------------------------------------------------


def _resolve_attrs(module: ModuleType, parsed: AppSpec) -> Any:
    obj: Any = module
    for depth, attr in enumerate(parsed.attrs):
        try:
            obj = getattr(obj, attr)
        except AttributeError as exc:
            owner = ".".join((parsed.module, *parsed.attrs[:depth]))
            where = _module_file(module)
            raise AppImportError(
                f"Failed to find attribute {attr!r} in {owner!r}{where}.",
                traceback_text=traceback.format_exc(),
            ) from exc
    return obj


def _module_file(module: ModuleType) -> str:
    path = getattr(module, "__file__", None)
    return f" ({_short_path(path)})" if path else ""


def _call_factory(factory: Any, parsed: AppSpec) -> Any:
    if not callable(factory):
        raise AppImportError(f"{parsed.target!r} in {parsed.module!r} is not callable.")
    try:
        return factory(*parsed.args, **dict(parsed.kwargs))
    except TypeError as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
            # Raised by the call itself: the arguments don't fit the factory.
            raise AppImportError(
                f"Wrong arguments for factory {parsed.target!r}: {exc}",
                traceback_text=traceback.format_exc(),
            ) from exc
        raise _factory_error(exc, parsed) from exc
    except Exception as exc:  # whatever the factory raises
        raise _factory_error(exc, parsed) from exc


def _factory_error(exc: Exception, parsed: AppSpec) -> AppImportError:
    return AppImportError(
        _raised_message(exc, f"in factory {parsed.target!r}"),
        traceback_text=traceback.format_exc(),
    )


def _check_app(obj: Any, parsed: AppSpec) -> Callable[..., Any]:
    if obj is None:
        raise AppImportError(f"Failed to find application object: {parsed.target!r}")
    if not callable(obj):
        raise AppImportError(
            f"Application object must be callable: {parsed.module}:{parsed.target} "
            f"is {type(obj).__name__}."
        )
    return obj
