"""Worker liveness in shared memory: each worker writes its slot, the master
reads them all without a syscall (gunicorn's per-worker temp file can stall
on a slow disk; a page of anonymous shared memory cannot).

A slot is 32 bytes: the worker's last beat (monotonic seconds, float64), its
state and the reason it is leaving, and the start time of the request in
flight (0 when idle).  Beside the slots, each worker has a short message area
where it leaves the one line that explains a failed boot (the app's import
error), so that the master can say it once instead of every worker.

Last, a load board: 16 bytes a worker (LOAD_ENTRY) that the engine itself
writes and reads (Server._over_share in engine/loop.pyx), so that workers
sharing a listener can see each other's connection counts and a worker well
above the least loaded one leaves new connections to the others.  Each worker
also has a doorbell (BoardBell): a worker that steps aside rings the one it
leaves the connections to, so that a burst already waiting in the listen
backlog, which wakes nobody by arriving, is taken at once instead of at that
worker's next look (up to 10 ms later, every round of a burst)."""

from __future__ import annotations

import _socket
import mmap
import secrets
import struct
import time

SLOT = struct.Struct("=dIId8x")
MAX_SLOTS = 4096
MESSAGE_SIZE = 512
LOAD_ENTRY = 16  # uint32 connections, uint32 stamp (monotonic s), uint32 listening, pad

# Slot states.
FREE, BOOTING, READY = 0, 1, 2

# Reasons a worker gives for leaving (read by the master to log the real cause).
REASON_NONE = 0
REASON_MAX_REQUESTS = 1
REASON_MEMORY = 2
REASON_RELOAD = 3
REASON_ORPHANED = 4
REASONS = {
    REASON_MAX_REQUESTS: "max_requests reached",
    REASON_MEMORY: "max_worker_memory exceeded",
    REASON_RELOAD: "code changed (--reload)",
    REASON_ORPHANED: "its master went away",
}


class Heartbeats:
    """The shared slots; created by the master before any fork."""

    def __init__(self, slots: int = MAX_SLOTS) -> None:
        self.slots = slots
        self.messages = SLOT.size * slots  # offset of the message areas
        self.loads = self.messages + MESSAGE_SIZE * slots  # offset of the load board
        self.mem = mmap.mmap(-1, (SLOT.size + MESSAGE_SIZE + LOAD_ENTRY) * slots)
        self.used: set[int] = set()
        # Names this master's doorbells apart from any other's (BoardBell).
        self.token = secrets.token_hex(8)

    def allocate(self) -> int:
        for i in range(self.slots):
            if i not in self.used:
                self.used.add(i)
                SLOT.pack_into(self.mem, i * SLOT.size, time.monotonic(), BOOTING, REASON_NONE, 0.0)
                self.set_message(i, "")
                return i
        raise RuntimeError("no free heartbeat slot (too many workers)")

    def release(self, index: int) -> None:
        self.used.discard(index)
        # A worker gone without a word no longer counts as a place for connections.
        start = self.loads + index * LOAD_ENTRY
        self.mem[start:start + LOAD_ENTRY] = bytes(LOAD_ENTRY)
        SLOT.pack_into(self.mem, index * SLOT.size, 0.0, FREE, REASON_NONE, 0.0)

    def read(self, index: int) -> tuple[float, int, int, float]:
        """(last beat, state, reason, request started)."""
        return SLOT.unpack_from(self.mem, index * SLOT.size)  # type: ignore[return-value]

    def message(self, index: int) -> str:
        """The line a worker left before exiting ("" if none)."""
        start = self.messages + index * MESSAGE_SIZE
        raw = self.mem[start:start + MESSAGE_SIZE]
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")

    def set_message(self, index: int, text: str) -> None:
        raw = text.encode("utf-8", "replace")[:MESSAGE_SIZE - 1]
        start = self.messages + index * MESSAGE_SIZE
        self.mem[start:start + len(raw) + 1] = raw + b"\0"

    # worker side

    def load_board(self, index: int, workers: int
                   ) -> tuple[mmap.mmap, int, int, int, BoardBell | None]:
        """What the engine needs to share its load: (memory, offset of the
        board, this worker's entry, how many entries to look at, its doorbell
        or None).  Slots are taken lowest first, so a generation of `workers`
        and one replacing it (HUP) sit within the first 2 x workers + 2."""
        return (self.mem, self.loads, index, min(self.slots, 2 * workers + 2),
                BoardBell.open(self.token, index))

    def beat(self, index: int, state: int = READY, reason: int = REASON_NONE,
             request_started: float = 0.0) -> None:
        SLOT.pack_into(self.mem, index * SLOT.size, time.monotonic(), state, reason,
                       request_started)


class BoardBell:
    """A worker's doorbell: a unix datagram socket in the abstract namespace,
    named by the master's token and the worker's slot, in the worker's epoll
    set (Server._rung).  Any worker of the master rings any other by its slot
    with one sendto(); no descriptor has to be shared before fork, so workers
    added later (TTIN, HUP) ring and are rung alike.  A stray datagram only
    makes a worker look at the board once more.

    The socket is the C module's own (_socket), never the socket module's
    class: under -k gevent/eventlet that one is monkey-patched, and a
    patched recv() with nothing to read would park the loop in the hub."""

    def __init__(self, sock: _socket.socket, prefix: bytes) -> None:
        self.sock = sock
        self.prefix = prefix

    @classmethod
    def open(cls, token: str, slot: int) -> BoardBell | None:
        """The bell of `slot`, or None where it cannot be had (the worker
        then only looks at the board every few milliseconds, as before)."""
        prefix = f"\0fastwsgi-board-{token}-".encode()
        sock = _socket.socket(_socket.AF_UNIX,
                              _socket.SOCK_DGRAM | _socket.SOCK_NONBLOCK | _socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        try:
            sock.bind(prefix + str(slot).encode())
        except OSError:
            sock.close()
            return None
        return cls(sock, prefix)

    def fileno(self) -> int:
        return self.sock.fileno()

    def ring(self, slot: int) -> None:
        try:
            self.sock.sendto(b"\1", self.prefix + str(slot).encode())
        except OSError:
            pass  # gone, or already rung past its queue: it looks again by itself

    def drain(self) -> None:
        try:
            while True:
                self.sock.recv(64)
        except OSError:
            pass  # empty (EAGAIN)

    def close(self) -> None:
        self.sock.close()
