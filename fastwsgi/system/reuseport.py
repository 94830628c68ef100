"""SO_REUSEPORT groups: the OS calls behind `reuse_port`'s one listener per worker.

Sockets bound to the same TCP address with SO_REUSEPORT (by the same user)
form one group, and the kernel hands each new connection to one member,
by a hash of its addresses.  A member's index in the group is the order in
which it started listening (net/core/sock_reuseport.c appends it), and
closing a member moves the last one into its place, so the arbiter only
ever closes the last one (``arbiter.listener_slots``).

Closing a member drops the connections waiting in its accept queue (unless
net.ipv4.tcp_migrate_req is set).  So before one is closed, new connections
are steered away from it: a classic BPF program attached to the group
(SO_ATTACH_REUSEPORT_CBPF, no privilege needed) returns the index of the
member to use, here a hash (the packet's flow hash, or a random number
where it has none) modulo the number of members kept.  An index outside
the group makes the kernel use its own hash, so a stale program never
loses a connection.  SO_DETACH_REUSEPORT_BPF gives the group its own
hash back.
"""

from __future__ import annotations

import array
import errno
import socket
import struct

# asm-generic/socket.h (Python's socket module has neither).
SO_ATTACH_REUSEPORT_CBPF = 51
SO_DETACH_REUSEPORT_BPF = 68
# linux/filter.h: instruction classes, fields, and the ancillary loads.
_BPF_LD, _BPF_W, _BPF_ABS = 0x00, 0x00, 0x20
_BPF_ALU, _BPF_MOD, _BPF_K = 0x04, 0x90, 0x00
_BPF_JMP, _BPF_JEQ = 0x05, 0x10
_BPF_RET, _BPF_A = 0x06, 0x10
_SKF_AD_OFF = -0x1000
_SKF_AD_RXHASH = 32
_SKF_AD_RANDOM = 56
_INSN = struct.Struct("=HBBI")  # struct sock_filter: code, jt, jf, k
_FPROG = struct.Struct("@HP")  # struct sock_fprog: len, pointer to the filter (native layout)


def _insn(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> bytes:
    return _INSN.pack(code, jt, jf, k & 0xFFFFFFFF)


def steering_program(members: int) -> bytes:
    """The filter that spreads new connections over members 0..members-1:
    the flow hash modulo ``members``; a random number modulo ``members``
    when the packet has no hash (0)."""
    if members < 1:
        raise ValueError("a reuseport group needs at least one member to steer to")
    return b"".join([
        _insn(_BPF_LD | _BPF_W | _BPF_ABS, _SKF_AD_OFF + _SKF_AD_RXHASH),
        _insn(_BPF_JMP | _BPF_JEQ | _BPF_K, 0, jt=2),  # no hash: the random branch
        _insn(_BPF_ALU | _BPF_MOD | _BPF_K, members),
        _insn(_BPF_RET | _BPF_A),
        _insn(_BPF_LD | _BPF_W | _BPF_ABS, _SKF_AD_OFF + _SKF_AD_RANDOM),
        _insn(_BPF_ALU | _BPF_MOD | _BPF_K, members),
        _insn(_BPF_RET | _BPF_A),
    ])


def steer(sock: socket.socket, members: int) -> None:
    """New connections to ``sock``'s group go to its first ``members``
    members only (OSError if the kernel refuses the program)."""
    program = steering_program(members)
    # The kernel copies the filter during setsockopt: the buffer need only
    # live until the call returns.  (array, not ctypes: the master imports
    # as little as it can, and an array tells its buffer's address.)
    buf = array.array("B", program)
    fprog = _FPROG.pack(len(program) // _INSN.size, buf.buffer_info()[0])
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def unsteer(sock: socket.socket) -> None:
    """The group's own hash over every member again (no program: nothing to do)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, 0)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise


def has_reuseport(sock: socket.socket) -> bool:
    """Whether SO_REUSEPORT is set on ``sock`` (an inherited one may not have it)."""
    try:
        return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))
    except OSError:
        return False


def applies(sock: socket.socket) -> bool:
    """SO_REUSEPORT groups exist for TCP only (not unix sockets)."""
    return sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
