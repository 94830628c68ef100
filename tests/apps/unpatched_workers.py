"""Worker classes that turn the monkey-patching off, the way gunicorn lets a
deployment do it: a class of one's own whose patch() does nothing (derived
here from fastwsgi's bases, as one would without gunicorn installed)."""

from __future__ import annotations

from fastwsgi.workers.greenlets import EventletWorker, GeventWorker


class GeventNoPatch(GeventWorker):
    def patch(self) -> None:
        pass


class EventletNoPatch(EventletWorker):
    def patch(self) -> None:
        pass
