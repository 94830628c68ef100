"""Request counters in shared memory: each worker counts into its slot, the
master reads them all (for /metrics, statsd and the status page) without a
syscall or a lock on either side.

The slot's layout is the C struct of csrc/fw_counters.h, read from the
engine (`_core.counters_layout()`) rather than restated here.  Slots are
indexed like the heartbeat slots (fastwsgi.workers.heartbeat): a worker's heartbeat
index is its counters index.  A slot is zeroed when its worker is spawned;
when the worker exits, the master adds its cumulative counts into the
program's `Totals`, so that per-program counters never go down across
restarts (Prometheus reads a decrease as a counter reset)."""

from __future__ import annotations

import logging
import mmap
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from fastwsgi import _core
from fastwsgi.workers.heartbeat import MAX_SLOTS

STRUCT_SIZE, FIELDS, LATENCY_BOUNDS, REFUSED_STATUSES = _core.counters_layout()
# Slots start on their own cache-line pair: two workers on two CPUs never
# write the same line (false sharing would cost every request a line transfer).
SLOT_SIZE = (STRUCT_SIZE + 127) // 128 * 128
_WORDS = struct.Struct(f"={STRUCT_SIZE // 8}Q")
# Values that go up and down: not summed into a program's totals at exit.
GAUGES = frozenset({"in_flight", "connections_open", "threads_busy", "threads"})

Counts = dict[str, Any]  # field -> int, or tuple of ints for the arrays
_OFFSETS = {name: offset for name, offset, _ in FIELDS}
# gunicorn.log.<level>: the order of the slot's `log` array.
LOG_LEVELS = ("critical", "error", "warning", "exception")
ERROR_LOGGER = "fastwsgi.error"


def decode(words: tuple[int, ...]) -> Counts:
    """A slot's words by field name (arrays as tuples)."""
    out: Counts = {}
    for name, offset, count in FIELDS:
        i = offset // 8
        out[name] = words[i] if count == 1 else words[i:i + count]
    return out


def zero() -> Counts:
    return decode((0,) * (STRUCT_SIZE // 8))


def add(into: Counts, counts: Counts) -> None:
    """into += counts, field by field (gauges left out)."""
    for name, value in counts.items():
        if name in GAUGES:
            continue
        if isinstance(value, tuple):
            into[name] = tuple(a + b for a, b in zip(into[name], value))
        else:
            into[name] += value


class CounterSlots:
    """The shared slots; created by the master before any fork."""

    def __init__(self, slots: int = MAX_SLOTS) -> None:
        self.slots = slots
        # Anonymous shared memory: pages a slot never touches stay unallocated.
        self.mem = mmap.mmap(-1, SLOT_SIZE * slots)

    def view(self, index: int) -> memoryview:
        """The writable bytes of one slot, for the worker's engine."""
        start = index * SLOT_SIZE
        return memoryview(self.mem)[start:start + SLOT_SIZE]

    def reset(self, index: int) -> None:
        start = index * SLOT_SIZE
        self.mem[start:start + SLOT_SIZE] = bytes(SLOT_SIZE)

    def read(self, index: int) -> Counts:
        return decode(_WORDS.unpack_from(self.mem, index * SLOT_SIZE))

    def count_log_lines(self, index: int) -> None:
        """In a worker: count its error-log lines into its slot (replacing
        the master's counting, inherited across fork)."""
        base = index * SLOT_SIZE + _OFFSETS["log"]
        lock = threading.Lock()

        def bump(level: int) -> None:
            with lock:  # app threads log too; only this process writes the slot
                offset = base + 8 * level
                struct.pack_into("=Q", self.mem, offset,
                                 struct.unpack_from("=Q", self.mem, offset)[0] + 1)
        count_log_lines(bump)


class LogLineCounter(logging.Filter):
    """Counts the error log's lines by gunicorn's statsd levels (critical,
    error, warning, and exception: an error with a traceback); passes all."""

    def __init__(self, bump: Callable[[int], None]) -> None:
        super().__init__()
        self.bump = bump

    def filter(self, record: logging.LogRecord) -> bool:
        level = record.levelno
        if level >= logging.CRITICAL:
            self.bump(0)
        elif level >= logging.ERROR:
            self.bump(3 if record.exc_info else 1)
        elif level >= logging.WARNING:
            self.bump(2)
        return True


def count_log_lines(bump: Callable[[int], None]) -> None:
    """Count this process's error-log lines with `bump` (replacing any counter before)."""
    logger = logging.getLogger(ERROR_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, LogLineCounter)]:
        logger.removeFilter(old)
    logger.addFilter(LogLineCounter(bump))


class Exit:
    """One worker exit, as the status page and the restart counters see it."""

    __slots__ = ("pid", "reason", "text", "when")

    def __init__(self, pid: int, reason: str, text: str) -> None:
        self.pid = pid
        self.reason = reason  # a key of RESTART_REASONS
        self.text = text      # the log line's cause, for people
        self.when = time.time()


# Why a worker went away, as the master's log line says it (fastwsgi.arbiter.exits).
RESTART_REASONS = ("timeout", "max_requests", "memory", "oom", "crash", "killed",
                   "reload", "orphaned", "retired", "boot_failure")


class Totals:
    """One program's counts that outlive its workers: those of exited
    workers, exits by reason, reloads; kept by the master."""

    def __init__(self) -> None:
        self.retired = zero()
        self.exits: Counter[str] = Counter()
        self.recent: deque[Exit] = deque(maxlen=20)
        self.unreplaced: deque[Exit] = deque(maxlen=64)
        self.reloads = 0
        self.failed_reloads = 0
        self.master_log = [0] * len(LOG_LEVELS)  # the master's own error-log lines

    def count_master_log(self) -> None:
        def bump(level: int) -> None:
            self.master_log[level] += 1
        count_log_lines(bump)

    def worker_exited(self, final: Counts, exit: Exit) -> None:
        add(self.retired, final)
        self.exits[exit.reason] += 1
        self.recent.append(exit)
        if exit.reason != "retired":  # a retired worker is not replaced
            self.unreplaced.append(exit)

    def replacement_for(self) -> Exit | None:
        """The exit a newly spawned worker replaces, if any."""
        return self.unreplaced.popleft() if self.unreplaced else None
