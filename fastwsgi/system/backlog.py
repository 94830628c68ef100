"""A listening socket's accept queue, as the kernel counts it.

For a TCP socket in the LISTEN state, Linux reuses two fields of tcp_info
(include/net/tcp.h, tcp_get_info()): `tcpi_unacked` is the number of
connections waiting for accept() (sk_ack_backlog) and `tcpi_sacked` the
queue's limit (sk_max_ack_backlog: the listen() backlog, capped by
net.core.somaxconn).  That is what `ss -lt` shows as Recv-Q and Send-Q.

A unix socket has no tcp_info, and /proc/net/unix no queue length; `ss -lx`
asks sock_diag netlink (net/unix/diag.c), and so do we: one
SOCK_DIAG_BY_FAMILY request for the socket's inode with UDIAG_SHOW_RQLEN
answers a UNIX_DIAG_RQLEN attribute, which for a listener holds the
connections waiting (the receive queue's length) and sk_max_ack_backlog.
Three syscalls on a netlink socket of our own, made when /metrics or the
page asks (about once a second), never per request.  Where the kernel has
no unix_diag (a module that is not loaded and cannot be), the answer is
None, as for anything that is not a listener."""

from __future__ import annotations

import os
import socket
import struct

# struct tcp_info begins with 8 one-byte fields, then __u32 rto, ato,
# snd_mss, rcv_mss, unacked, sacked.
_TCP_INFO_HEAD = struct.Struct("=8B6I")
_TCP_LISTEN = 10  # TCP_LISTEN in the kernel's tcp_states.h; unix listeners use it too

# linux/netlink.h, linux/sock_diag.h, linux/unix_diag.h
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 0x1
_NLMSG_ERROR = 2
_UDIAG_SHOW_RQLEN = 0x10
_UNIX_DIAG_RQLEN = 4
_NOCOOKIE = 0xFFFFFFFF  # INET_DIAG_NOCOOKIE: look the socket up by inode only
_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
# struct unix_diag_req: family, protocol, pad, states, ino, show, cookie[2]
_UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")
# struct unix_diag_msg: family, type, state, pad, ino, cookie[2]
_UNIX_DIAG_MSG = struct.Struct("=BBBBIII")
_RTATTR = struct.Struct("=HH")  # len, type
_RQLEN = struct.Struct("=II")  # udiag_rqueue, udiag_wqueue


def accept_queue(sock: socket.socket) -> tuple[int, int] | None:
    """(connections waiting to be accepted, the queue's limit), or None."""
    if sock.type != socket.SOCK_STREAM:
        return None
    if sock.family == socket.AF_UNIX:
        return unix_accept_queue(sock)
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
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


def unix_accept_queue(sock: socket.socket) -> tuple[int, int] | None:
    """The accept queue of a listening unix socket, from sock_diag netlink."""
    try:
        inode = os.fstat(sock.fileno()).st_ino
        request = _UNIX_DIAG_REQ.pack(socket.AF_UNIX, 0, 0, 1 << _TCP_LISTEN, inode,
                                      _UDIAG_SHOW_RQLEN, _NOCOOKIE, _NOCOOKIE)
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(request), _SOCK_DIAG_BY_FAMILY,
                                _NLM_F_REQUEST, 1, 0)
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
            nl.sendto(header + request, (0, 0))
            answer = nl.recv(8192)
    except OSError:
        return None
    return parse_unix_diag(answer, inode)


def parse_unix_diag(answer: bytes, inode: int) -> tuple[int, int] | None:
    """The RQLEN attribute of a unix_diag answer about the listener `inode`."""
    if len(answer) < _NLMSGHDR.size + _UNIX_DIAG_MSG.size:
        return None  # an NLMSG_ERROR (no such socket, no unix_diag) is shorter
    length, kind = _NLMSGHDR.unpack_from(answer)[:2]
    if kind != _SOCK_DIAG_BY_FAMILY or length > len(answer):
        return None
    state, _pad, found = _UNIX_DIAG_MSG.unpack_from(answer, _NLMSGHDR.size)[2:5]
    if found != inode or state != _TCP_LISTEN:
        return None
    offset = _NLMSGHDR.size + _UNIX_DIAG_MSG.size
    while offset + _RTATTR.size <= length:
        size, attr = _RTATTR.unpack_from(answer, offset)
        if size < _RTATTR.size:
            return None
        if attr == _UNIX_DIAG_RQLEN and size >= _RTATTR.size + _RQLEN.size:
            waiting, limit = _RQLEN.unpack_from(answer, offset + _RTATTR.size)
            return waiting, limit
        offset += (size + 3) & ~3  # NLA_ALIGN
    return None
