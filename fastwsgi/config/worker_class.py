"""gunicorn's ``worker_class`` values mapped to the closest fastwsgi mode."""

from __future__ import annotations

from fastwsgi.errors import ConfigError

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

