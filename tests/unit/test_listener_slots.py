"""arbiter.listener_slots and system.reuseport on real sockets (no processes):
a socket per slot, steering away before a slot closes, USR2's regrouping."""

from __future__ import annotations

import socket
import time

import pytest

from fastwsgi.arbiter.listener_slots import STEER_SETTLE, ListenerSlots
from fastwsgi.system import reuseport


def _slots(n: int, binds: tuple[str, ...] = ("127.0.0.1:0",)) -> ListenerSlots:
    return ListenerSlots.open(binds, n, backlog=128, umask=None, monotonic=time.monotonic)


def _accepted(slots: ListenerSlots, connections: int) -> list[int]:
    """Connect ``connections`` times; how many each slot's socket received."""
    port = slots.groups[0].members[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5)
               for _ in range(connections)]
    counts = []
    for sock in slots.groups[0].members:
        sock.setblocking(False)
        n = 0
        while True:
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                break
            conn.close()
            n += 1
        counts.append(n)
    for c in clients:
        c.close()
    return counts


def test_a_socket_per_slot_on_one_port() -> None:
    slots = _slots(3)
    try:
        members = slots.groups[0].members
        assert len(members) == 3 and slots.count == 3 and slots.per_slot
        assert len({s.getsockname() for s in members}) == 1
        assert all(reuseport.has_reuseport(s) for s in members)
        assert slots.for_slot(1) == [members[1]]
        assert sum(_accepted(slots, 60)) == 60
    finally:
        slots.close()


def test_shrinking_steers_away_first_then_closes_the_last() -> None:
    slots = _slots(3)
    try:
        # Slot 2's worker still runs: its socket stays, new connections avoid it.
        done = slots.resize(2, in_use=[0, 1, 2])
        assert len(slots.groups[0].members) == 3 and slots.groups[0].steered == 2
        assert any("steered to the first 2 of 3" in line for line in done)
        counts = _accepted(slots, 60)
        assert counts[2] == 0 and counts[0] and counts[1], counts
        assert not slots.drained(2)  # too soon after steering
        slots.steered_at -= STEER_SETTLE
        assert slots.drained(2)
        # Its worker gone: the socket closes, the kernel's hash comes back.
        slots.resize(2, in_use=[0, 1])
        assert len(slots.groups[0].members) == 2 and slots.groups[0].steered is None
        assert sum(_accepted(slots, 20)) == 20
        slots.resize(3, in_use=[0, 1])  # TTIN: a socket again
        assert len(slots.groups[0].members) == 3
        slots.resize(0, in_use=[])  # WINCH: no worker, the first socket stays
        assert len(slots.groups[0].members) == 1 and slots.groups[0].steered is None
        slots.resize(2, in_use=[])
        assert len(slots.groups[0].members) == 2
    finally:
        slots.close()


def test_adopt_regroups_inherited_sockets_by_address() -> None:
    slots = _slots(2, ("127.0.0.1:0", "127.0.0.1:0"))
    try:
        adopted = ListenerSlots.adopt(slots.sockets(), ["a", "b"], backlog=128, umask=None,
                                      monotonic=time.monotonic)
        assert [len(g.members) for g in adopted.groups] == [2, 2]
        assert [g.bind for g in adopted.groups] == ["a", "b"]
    finally:
        slots.close()


def test_unix_socket_is_shared(tmp_path: object) -> None:
    path = f"{tmp_path}/s.sock"
    slots = _slots(2, (f"unix:{path}",))
    try:
        assert not slots.per_slot and slots.groups[0].shared is not None
        assert slots.for_slot(0) == slots.for_slot(1) == [slots.groups[0].shared]
    finally:
        slots.close()


def test_steering_needs_a_member() -> None:
    with pytest.raises(ValueError):
        reuseport.steering_program(0)
