"""Coverage-guided fuzzing of the sans-I/O engine with atheris (libFuzzer).

Not part of the test suite; see README.md in this directory for how to run
it.  Each input is the bytes a client sends on one connection.  A hash of
them picks the server set-up (defaults, tiny limits, PROXY protocol on) and
where the bytes are cut into feed() calls, so that a crash file replays
exactly.  The invariants are tests/test_fuzz.py's (h11's: well-formed
responses, a refusal closes and is the last answer, nothing answered after
closing, a sane environ, the same answers and the same environ however the
bytes are cut), and no leak over 1 MB (LeakWatch); a broken one raises, and
libFuzzer saves the input as crash-<sha1>.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import random
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    from tests.fuzz import engine_props as props

SETUPS = [make() for make in props.SETUPS.values()]


class LeakWatch:
    """No leak over 1 MB.  Every EVERY inputs, the current one is replayed
    REPLAYS times on the same server set-up, and the heap may not hold more
    than LIMIT after them than before (after a gc.collect() each side): a
    leak of 1 KiB a connection fails.  Replaying one input keeps the bounded
    caches out of the count (the PROXY address cache, the buffer free list),
    which fill as new inputs come and are not leaks.  Under ASan the count is
    the allocator's (`__sanitizer_get_current_allocated_bytes`; with
    PYTHONMALLOC=malloc it sees every Python object), else the RSS.  The heap
    left by all inputs since the warm-up (bounded caches, the fuzzer's own
    tables) is printed with the checks, for the record.  LeakSanitizer looks
    for unreachable blocks every LSAN_EVERY inputs; its reports go to stderr."""

    LIMIT = 1 << 20
    REPLAYS = 1_000
    EVERY = 5_000
    WARMUP = 5_000
    LSAN_EVERY = 100_000

    def __init__(self) -> None:
        lib = ctypes.CDLL(None)
        self.lsan: Any = getattr(lib, "__lsan_do_recoverable_leak_check", None)
        heap = getattr(lib, "__sanitizer_get_current_allocated_bytes", None)
        if heap is not None:
            heap.restype = ctypes.c_size_t
            self.allocated: Callable[[], int] = heap
        else:
            page = os.sysconf("SC_PAGE_SIZE")
            self.allocated = lambda: int(Path("/proc/self/statm").read_text().split()[1]) * page
        self.inputs = 0
        self.replays = 0
        self.worst = 0
        self.lsan_reports = 0
        self.heap_at_warmup = 0

    def after(self, run: Callable[[], None]) -> None:
        self.inputs += 1
        if self.inputs == self.WARMUP:
            gc.collect()
            self.heap_at_warmup = self.allocated()
        if self.inputs % self.EVERY == 0:
            self.replay(run)
        if self.lsan is not None and self.inputs % self.LSAN_EVERY == 0 and self.lsan():
            self.lsan_reports += 1

    def replay(self, run: Callable[[], None]) -> None:
        run()
        gc.collect()
        before = self.allocated()
        for _ in range(self.REPLAYS):
            run()
        gc.collect()
        kept = self.allocated() - before
        self.replays += 1
        self.worst = max(self.worst, kept)
        print(f"#{self.inputs} leak watch: {kept} bytes kept by {self.REPLAYS} replays; "
              f"heap since warm-up {self.allocated() - self.heap_at_warmup} bytes",
              file=sys.stderr, flush=True)
        if kept > self.LIMIT:
            raise props.Violation("leak", f"{kept} bytes kept by {self.REPLAYS} replays")

    def summary(self) -> str:
        return (f"leak watch: {self.inputs} inputs, {self.replays} replay checks, at most "
                f"{self.worst} bytes kept by {self.REPLAYS} replays (limit {self.LIMIT}), "
                f"LeakSanitizer reports: {self.lsan_reports}")


WATCH = LeakWatch()


def TestOneInput(data: bytes) -> None:
    h = zlib.crc32(data)
    setup = SETUPS[h % len(SETUPS)]
    pieces = props.split_random(random.Random(h), data)
    props.check(setup, data, pieces)
    WATCH.after(lambda: props.check(setup, data, pieces))


def write_seed_corpus(directory: Path) -> None:
    """The raw-request corpus as libFuzzer seeds, PROXY headers in front of a few."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind, requests in (("valid", props.VALID), ("invalid", props.INVALID)):
        for i, raw in enumerate(requests):
            (directory / f"{kind}-{i:03d}").write_bytes(raw)
    for i, header in enumerate(props.PROXY_HEADERS):
        (directory / f"proxy-{i}").write_bytes(header + props.VALID[0])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seed-corpus":
        write_seed_corpus(Path(sys.argv[2]))
        return
    atexit.register(lambda: print(WATCH.summary(), file=sys.stderr, flush=True))
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
