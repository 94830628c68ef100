"""A master-like object for the collector, with counter slots filled by hand
(the engine's own counting is tested through real servers)."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

from fastwsgi.workers import counters as wc
from fastwsgi.workers import heartbeat as hb


class FakeWorker:
    def __init__(self, pid: int, age: int, slot: int) -> None:
        self.pid, self.age, self.slot, self.generation = pid, age, slot, 0
        self.started = time.monotonic() - 5
        self.abort_sent = self.stop_sent = None
        self.replaced: wc.Exit | None = None


class FakeCfg:
    worker_mode = ("sync", 1, "")


class FakeMaster:
    def __init__(self, nworkers: int = 2) -> None:
        self.counters = wc.CounterSlots(slots=8)
        self.heartbeats = hb.Heartbeats(slots=8)
        self.totals = wc.Totals()
        self.cfg = FakeCfg()
        self.num_workers = nworkers
        self.WORKERS: dict[int, FakeWorker] = {}
        self.listeners: list[socket.socket] = []
        for i in range(nworkers):
            slot = self.heartbeats.allocate()
            self.heartbeats.beat(slot, hb.READY)
            self.WORKERS[90000 + i] = FakeWorker(90000 + i, i + 1, slot)

    def put(self, slot: int, field: str, value: int, index: int = 0) -> None:
        for name, offset, _count in wc.FIELDS:
            if name == field:
                struct.pack_into("=Q", self.counters.mem,
                                 slot * wc.SLOT_SIZE + offset + 8 * index, value)
                return
        raise KeyError(field)


def master_info() -> dict[str, Any]:
    return {"pid": 1, "version": "test", "started": time.time() - 10, "uptime": 10.0,
            "proc_name": "test"}
