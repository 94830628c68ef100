"""A listening socket's accept queue, as the kernel counts it.

For a TCP socket in the LISTEN state, Linux reuses two fields of tcp_info
(include/net/tcp.h, tcp_get_info()): `tcpi_unacked` is the number of
connections waiting for accept() (sk_ack_backlog) and `tcpi_sacked` the
queue's limit (sk_max_ack_backlog: the listen() backlog, capped by
net.core.somaxconn).  That is what `ss -lt` shows as Recv-Q and Send-Q.
Unix sockets expose their queue only through sock_diag netlink, which this
module does not speak: for them, and for anything not a TCP listener, the
answer is None."""

from __future__ import annotations

import socket
import struct

# struct tcp_info begins with 8 one-byte fields, then __u32 rto, ato,
# snd_mss, rcv_mss, unacked, sacked.
_TCP_INFO_HEAD = struct.Struct("=8B6I")
_TCP_LISTEN = 10  # TCP_LISTEN in the kernel's tcp_states.h


def accept_queue(sock: socket.socket) -> tuple[int, int] | None:
    """(connections waiting to be accepted, the queue's limit), or None."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return None
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_HEAD.size)
    except OSError:
        return None
    if len(raw) < _TCP_INFO_HEAD.size:
        return None
    fields = _TCP_INFO_HEAD.unpack(raw)
    if fields[0] != _TCP_LISTEN:
        return None
    return fields[12], fields[13]
