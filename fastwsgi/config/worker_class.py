"""gunicorn's ``worker_class`` values mapped to the closest fastwsgi mode, and
the one line that says what concurrency each gives.

Modes:
  "native"    the app runs in the event-loop thread, one request at a time
              per worker (``sync``, and gunicorn's ``tornado``, which runs a
              WSGI app in its IOLoop one request at a time as well);
  "threaded"  the loop hands requests to ``threads`` app threads (``gthread``);
  "gevent", "eventlet"  each request's app call in its own greenlet, up to
              ``worker_connections`` per worker, the standard library
              monkey-patched in the worker (fastwsgi.workers.greenlets).
A class path that is none of the names below is imported, as gunicorn does,
and mapped by the gunicorn (or fastwsgi) worker class it derives from; a
``patch()`` it overrides replaces the default monkey-patching, which is how
gunicorn lets a deployment turn the patching off or narrow it."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

from fastwsgi.errors import ConfigError

_SYNC_NAMES = frozenset({"sync", "native", "gunicorn.workers.sync.SyncWorker"})
_THREAD_NAMES = frozenset({"gthread", "threaded", "gunicorn.workers.gthread.ThreadWorker"})
_TORNADO_NAMES = frozenset({"tornado", "gunicorn.workers.gtornado.TornadoWorker"})
_GEVENT_NAMES = frozenset({
    "gevent", "gevent_wsgi", "gevent_pywsgi",
    "gunicorn.workers.ggevent.GeventWorker", "gunicorn.workers.ggevent.GeventPyWSGIWorker",
    "fastwsgi.workers.greenlets.GeventWorker",
})
_EVENTLET_NAMES = frozenset({
    "eventlet", "gunicorn.workers.geventlet.EventletWorker",
    "fastwsgi.workers.greenlets.EventletWorker",
})
# The base classes a custom worker class is recognised by (its MRO's names).
_BASES = {
    "GeventWorker": "gevent", "GeventPyWSGIWorker": "gevent", "EventletWorker": "eventlet",
    "ThreadWorker": "gthread", "SyncWorker": "sync", "TornadoWorker": "tornado",
}
# Substrings that identify ASGI/aiohttp workers (uvicorn.workers.UvicornWorker,
# uvicorn_worker.UvicornH11Worker, gunicorn 24's "asgi", aiohttp.GunicornWebWorker).
_NOT_WSGI_MARKERS = ("uvicorn", "asgi", "aiohttp")


def resolve_worker_mode(worker_class: str, threads: int,
                        worker_connections: int = 1000) -> tuple[str, int, str]:
    """Map a gunicorn worker_class to (mode, threads, the line to log).

    Raises ConfigError (one line) for ASGI workers, which fastwsgi does not
    serve, and for a greenlet class whose library is not installed."""
    name = worker_class.strip()
    if any(marker in name.lower() for marker in _NOT_WSGI_MARKERS):
        raise ConfigError(f"worker_class {name!r} runs ASGI/async applications; "
                          "fastwsgi serves WSGI applications only")
    kind, via = _kind(name)
    if kind is None:
        mode = "threaded" if threads > 1 else "native"
        return mode, max(threads, 1), (
            f"worker_class {name!r} is not a gunicorn or fastwsgi worker class; using "
            + (_threads_line(threads) if threads > 1 else _SYNC_LINE))
    label = kind if name == kind else f"{kind} (worker_class {name!r})"
    if kind in ("gevent", "eventlet"):
        _require(kind, name)
        patched = (f"patched by {via.__qualname__}.patch()" if via is not None
                   and custom_patch_of(via) is not None else "the standard library monkey-patched")
        return kind, 1, (f"{label}: up to {worker_connections} concurrent requests per worker "
                         f"(a greenlet each, {patched})")
    if kind == "tornado":
        return "native", 1, (
            f"{label}: one request at a time per worker, as gunicorn's tornado worker runs a "
            "WSGI app (in its IOLoop); -k gevent or --threads N for blocking apps")
    if kind == "gthread" or threads > 1:  # gunicorn also switches sync to gthread
        return "threaded", threads, f"{label}: {_threads_line(threads)}"
    return "native", 1, f"{label}: {_SYNC_LINE}"


_SYNC_LINE = "one request at a time per worker; --threads N for blocking apps"


def _threads_line(threads: int) -> str:
    if threads <= 1:
        return "one app thread, so one request at a time per worker; raise --threads"
    return (f"up to {threads} concurrent requests per worker ({threads} app threads; "
            "a worker whose threads are all busy takes no new connection)")


def _kind(name: str) -> tuple[str | None, Any]:
    """("sync" | "gthread" | "gevent" | "eventlet" | "tornado" | None, the class
    when it had to be imported)."""
    for names, kind in ((_SYNC_NAMES, "sync"), (_THREAD_NAMES, "gthread"),
                        (_TORNADO_NAMES, "tornado"), (_GEVENT_NAMES, "gevent"),
                        (_EVENTLET_NAMES, "eventlet")):
        if name in names:
            return kind, None
    cls = _import_class(name)
    for base in getattr(cls, "__mro__", ()):
        if base.__name__ in _BASES:
            return _BASES[base.__name__], cls
    return None, None


def _import_class(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    if not module:
        return None
    try:
        return getattr(importlib.import_module(module), attr, None)
    except Exception:  # noqa: BLE001 - a class that does not import is "not a worker class"
        return None


def custom_patch_of(cls: Any) -> Any:
    """The patch() a worker class overrides (defined outside gunicorn's and
    fastwsgi's own worker classes), or None."""
    for base in getattr(cls, "__mro__", ()):
        if "patch" in vars(base):
            module = base.__module__ or ""
            if module.startswith(("gunicorn.", "fastwsgi.")):
                return None
            return vars(base)["patch"]
    return None


def worker_class_patch(worker_class: str) -> Any:
    """For the worker: the worker class's own patch(), or None (the default)."""
    _, cls = _kind(worker_class.strip())
    return custom_patch_of(cls) if cls is not None else None


def _installed(package: str) -> bool:
    if package in sys.modules:
        return sys.modules[package] is not None
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _require(package: str, name: str) -> None:
    if not _installed(package):
        raise ConfigError(f"worker_class {name!r} needs {package}, which is not installed "
                          f"(pip install 'fastwsgi[{package}]')")
