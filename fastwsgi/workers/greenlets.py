"""The worker's side of ``-k gevent`` and ``-k eventlet``.

In the worker process, before the app is imported, the standard library is
monkey-patched as gunicorn's GeventWorker and EventletWorker do it
(``gevent.monkey.patch_all()``; ``eventlet.monkey_patch()`` and a fresh hub
after fork), so that the app's sockets, sleeps, locks and DNS lookups give way
to other greenlets instead of blocking the worker.  A worker class that
overrides ``patch()`` (gunicorn's way to turn the patching off or change it)
is honoured: see fastwsgi.config.worker_class.

The engine (engine/greenlets.pyx) runs each request's app call in its own
greenlet and waits through the hub; it reaches the hub only through the
adapters below, callables with one meaning for both libraries:
``spawn(fn, *args)`` a raw greenlet whose parent is the hub, ``turn()`` one
turn of the hub (every ready greenlet runs once, I/O polled without
blocking), ``park(fd, seconds)`` wait in the hub until ``fd`` is readable or
the time is up, ``suspend()`` give way to the hub until ``resume(greenlet,
value)`` (from another greenlet) makes it return ``value``, and
``event_type()`` an event with set/wait/clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The libraries by worker mode, for the one-line refusal when one is missing.
PACKAGES = {"gevent": "gevent", "eventlet": "eventlet"}


class GeventWorker:
    """A base for a worker class of one's own (``worker_class =
    "mymodule.MyWorker"``) where gunicorn is not installed: override
    ``patch(self)`` to patch less, or nothing (``self`` is the worker, with
    ``cfg`` and ``log``)."""

    def patch(self) -> None:
        patch("gevent")


class EventletWorker:
    """As GeventWorker, for eventlet (a fresh hub is made after patch())."""

    def patch(self) -> None:
        from eventlet import monkey_patch
        monkey_patch()


def patch(mode: str, custom: Callable[[Any], None] | None = None, worker: Any = None) -> None:
    """Monkey-patch the standard library for `mode`, or run the worker
    class's own patch(worker) instead."""
    if custom is not None:
        custom(worker)
    elif mode == "gevent":
        from gevent import monkey
        monkey.patch_all()
    elif mode == "eventlet":
        import eventlet
        eventlet.monkey_patch()
    if mode == "eventlet":
        # gunicorn: the hub holds OS resources that do not survive fork(),
        # so each worker makes its own.
        from eventlet import hubs
        hubs.use_hub()


def make_hub(mode: str) -> Any:
    """The adapter the engine's GreenPool drives."""
    if mode == "gevent":
        return GeventHub()
    if mode == "eventlet":
        return EventletHub()
    raise ValueError(f"no greenlet hub for mode {mode!r}")


class GeventHub:
    def __init__(self) -> None:
        import gevent
        import gevent.event
        from gevent.hub import Waiter, get_hub

        self.hub = get_hub()
        self.loop = self.hub.loop
        self.spawn = gevent.spawn_raw
        self.event_type = gevent.event.Event
        self._sleep = gevent.sleep
        self._waiter = Waiter
        self._io: Any = None
        self.suspend = self.hub.switch

    def resume(self, greenlet: Any, value: Any) -> None:
        self.loop.run_callback(greenlet.switch, value)

    def turn(self) -> None:
        self._sleep(0)

    def park(self, fd: int, seconds: float) -> None:
        if self._io is None:
            self._io = self.loop.io(fd, 1)  # 1: readable
        waiter = self._waiter(self.hub)
        timer = self.loop.timer(seconds)
        self._io.start(waiter.switch, None)
        timer.start(waiter.switch, None)
        try:
            waiter.get()
        finally:
            self._io.stop()
            timer.close()


class _Timeout(Exception):
    pass


class EventletHub:
    def __init__(self) -> None:
        import eventlet
        from eventlet.hubs import get_hub, trampoline

        self.hub = get_hub()
        self.spawn = eventlet.spawn_n
        self.suspend = self.hub.switch
        self._sleep = eventlet.sleep
        self._trampoline = trampoline
        self.event_type = EventletFlag

    def turn(self) -> None:
        self._sleep(0)

    def resume(self, greenlet: Any, value: Any) -> None:
        self.hub.schedule_call_global(0, greenlet.switch, value)

    def park(self, fd: int, seconds: float) -> None:
        try:
            self._trampoline(fd, read=True, timeout=seconds, timeout_exc=_Timeout)
        except _Timeout:
            pass


class EventletFlag:
    """threading.Event's set/wait/clear over eventlet's one-shot Event."""

    def __init__(self) -> None:
        from eventlet.event import Event
        self._event = Event()

    def set(self) -> None:
        if not self._event.ready():
            self._event.send(True)

    def wait(self) -> None:
        self._event.wait()

    def clear(self) -> None:
        if self._event.ready():
            self._event.reset()
