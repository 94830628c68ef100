"""`reuse_port`: one listening socket per worker slot, owned by the master.

Theory of operation
-------------------
Without reuse_port every worker accepts from one shared socket per address.
With it (gunicorn's setting; here it also means one socket per worker),
the master binds, for each TCP address, one SO_REUSEPORT socket per worker
slot, all in the address's reuseport group, and worker slot i listens on
its own socket(s) only: the kernel spreads new connections over the
sockets by hash, so keep-alive connections spread evenly over the workers
instead of going to whichever worker woke first.

The master keeps every socket open for as long as it lives, so a worker
that dies (even by SIGKILL) loses nothing from its socket's accept queue:
the worker that replaces it takes the same slot, and the same socket.  HUP's
new workers take the same slots too, and USR2 hands every socket to the new
master (address-major, slot-minor, in FASTWSGI_FD: ``adopt`` groups them
again by address).

Growing (TTIN, or HUP with more workers) opens a socket per new slot.
Shrinking must not close a socket with connections waiting in its queue
(the kernel resets them), so it goes in three steps: new connections are
steered away from the slots that go (a BPF program on the group,
``system.reuseport``); once their queues are empty and a moment has passed
(a handshake under way lands in the old socket's queue) their workers are
retired; once no worker holds a slot any more, its socket is closed, the
last one first (a group's member indices are their listen order, and only
closing the last keeps the others' indices).

A unix socket (or an fd:// one) has no reuseport group: it stays one shared
socket, which every worker also listens on.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence

from fastwsgi.system import reuseport
from fastwsgi.system.backlog import accept_queue
from fastwsgi.system.listeners import create_listener

# After steering away from a slot, how long a handshake that had begun may
# take to land in its queue before the slot's worker is told to go.
STEER_SETTLE = 0.25


class Group:
    """One address: a socket per slot, or one shared socket."""

    def __init__(self, bind: str, members: list[socket.socket] | None = None,
                 shared: socket.socket | None = None) -> None:
        self.bind = bind  # the bind string it was opened for ("" when inherited)
        self.members = members if members is not None else []
        self.shared = shared
        self.steered: int | None = None  # members the steering program uses; None: the kernel's hash

    def sockets(self) -> list[socket.socket]:
        return [self.shared] if self.shared is not None else list(self.members)


class ListenerSlots:
    """The sockets of every address, by worker slot."""

    def __init__(self, groups: list[Group], *, backlog: int, umask: int | None,
                 monotonic: Callable[[], float]) -> None:
        self.groups = groups
        self.backlog = backlog
        self.umask = umask
        self.monotonic = monotonic
        self.steered_at = 0.0  # when the last steering away took effect

    # ---- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, binds: Sequence[str], slots: int, *, backlog: int, umask: int | None,
             monotonic: Callable[[], float]) -> ListenerSlots:
        """Bind ``slots`` sockets for each TCP address, one for each other one."""
        self = cls([], backlog=backlog, umask=umask, monotonic=monotonic)
        try:
            for bind in binds:
                self.groups.append(self._open_group(bind, slots))
        except BaseException:
            self.close()
            raise
        return self

    def _open_group(self, bind: str, slots: int) -> Group:
        first = create_listener(bind, backlog=self.backlog, reuse_port=True, umask=self.umask)
        if bind.startswith("fd://") or not reuseport.applies(first):
            return Group(bind, shared=first)
        group = Group(bind, [first])
        self._grow(group, slots)
        return group

    def _grow(self, group: Group, slots: int) -> None:
        """Members up to ``slots``, bound to the address the first one has
        (so that port 0 gives every slot the same port)."""
        while len(group.members) < slots:
            first = group.members[0]
            sock = socket.socket(first.family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if first.family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(first.getsockname())
                sock.listen(self.backlog)
            except BaseException:
                sock.close()
                raise
            sock.set_inheritable(True)
            group.members.append(sock)

    @classmethod
    def adopt(cls, socks: Sequence[socket.socket], binds: Sequence[str], *, backlog: int,
              umask: int | None, monotonic: Callable[[], float]) -> ListenerSlots:
        """Group inherited sockets (USR2's order: address-major): consecutive
        SO_REUSEPORT sockets of one address are that address's slots."""
        groups: list[Group] = []
        for sock in socks:
            last = groups[-1] if groups else None
            if not (reuseport.applies(sock) and reuseport.has_reuseport(sock)):
                groups.append(Group("", shared=sock))
            elif (last is not None and last.members
                  and last.members[0].getsockname() == sock.getsockname()):
                last.members.append(sock)
            else:
                groups.append(Group("", [sock]))
        if len(groups) == len(binds):  # the same binds as the old master's: a HUP can match them
            for group, bind in zip(groups, binds):
                group.bind = bind
        return cls(groups, backlog=backlog, umask=umask, monotonic=monotonic)

    def rebound(self, binds: Sequence[str], slots: int) -> ListenerSlots:
        """The sockets for new binds: an address kept keeps its sockets (and
        what waits in them), a new one is bound; the ones left out are not
        closed here (the caller closes them once the new set is in place:
        ``close_except``).  OSError if an address cannot be bound."""
        kept = {g.bind: g for g in self.groups if g.bind}
        new = ListenerSlots([], backlog=self.backlog, umask=self.umask, monotonic=self.monotonic)
        try:
            for bind in binds:
                group = kept.get(bind)
                new.groups.append(group if group is not None else new._open_group(bind, slots))
        except BaseException:
            new.close_except(self)
            raise
        return new

    # ---- what workers get ---------------------------------------------------------

    @property
    def per_slot(self) -> bool:
        """Whether any address has a socket per slot (else: all are shared)."""
        return any(g.members for g in self.groups)

    @property
    def count(self) -> int:
        """Slots with a socket at every TCP address."""
        sizes = [len(g.members) for g in self.groups if g.members]
        return min(sizes) if sizes else 0

    def sockets(self) -> list[socket.socket]:
        """Every socket, address-major (the order USR2 hands them down in)."""
        return [sock for g in self.groups for sock in g.sockets()]

    def for_slot(self, slot: int) -> list[socket.socket]:
        """What worker slot ``slot`` listens on: its own sockets, and the shared ones."""
        return [g.shared if g.shared is not None else g.members[slot] for g in self.groups]

    def close_others(self, slot: int) -> None:
        """In worker ``slot`` after fork: close the other slots' sockets (a
        copy held here would keep a socket the master closes alive, its
        queue unserved, and its group's member order wrong)."""
        mine = {id(s) for s in self.for_slot(slot)}
        for sock in self.sockets():
            if id(sock) not in mine:
                sock.close()

    # ---- resizing -------------------------------------------------------------------

    def resize(self, slots: int, in_use: Iterable[int]) -> list[str]:
        """Make ``slots`` slots serve new connections: open the missing ones,
        steer away from those beyond, close those beyond that no worker
        holds (``in_use``), last first.  Returns what it did, one line each,
        for the log. OSError if a socket cannot be opened or steered."""
        done: list[str] = []
        # A group keeps its first socket even with no worker (WINCH): it
        # holds the address, and the next slots are bound beside it.
        slots = max(slots, 1)
        held = max(in_use, default=-1) + 1
        for group in self.groups:
            if not group.members:
                continue
            if len(group.members) < slots:
                self._grow(group, slots)
                done.append(f"{describe_group(group)}: opened slot sockets up to {slots}")
            while len(group.members) > max(slots, held):
                group.members.pop().close()
                done.append(f"{describe_group(group)}: closed slot socket {len(group.members)}")
            want = slots if len(group.members) > slots else None
            if want != group.steered:
                if want is None:
                    reuseport.unsteer(group.members[0])
                else:
                    reuseport.steer(group.members[0], want)
                    self.steered_at = self.monotonic()
                    done.append(f"{describe_group(group)}: new connections steered to the "
                                f"first {want} of {len(group.members)} slot sockets")
                group.steered = want
        return done

    def drained(self, slot: int) -> bool:
        """Whether slot ``slot`` is steered away from, long enough, and has
        no connection waiting: its worker can go without losing one."""
        if self.monotonic() - self.steered_at < STEER_SETTLE:
            return False
        for group in self.groups:
            if len(group.members) <= slot:
                continue
            if group.steered is None or group.steered > slot:
                return False
            queue = accept_queue(group.members[slot])
            if queue is not None and queue[0] > 0:
                return False
        return True

    # ---- closing --------------------------------------------------------------------

    def close(self) -> None:
        for sock in self.sockets():
            sock.close()

    def close_except(self, other: ListenerSlots) -> None:
        """Close the sockets that ``other`` does not have."""
        keep = {id(s) for s in other.sockets()}
        for sock in self.sockets():
            if id(sock) not in keep:
                sock.close()


def describe_group(group: Group, tls: bool = False) -> str:
    from fastwsgi.system.listeners import describe
    return describe(group.sockets()[0], tls)


def listening_lines(slots: ListenerSlots, tls: bool) -> list[str]:
    """gunicorn's "Listening at:" address, once per address, and how it is shared."""
    lines = []
    for group in slots.groups:
        where = describe_group(group, tls)
        if group.members:
            lines.append(f"{where} (reuse_port: {len(group.members)} sockets, one per worker)")
        else:
            lines.append(f"{where} (reuse_port does not apply to it: its workers share it)")
    return lines
