# What the loop does to sockets outside the hot path: the peer address of an
# accepted one, and options set once on a listener for all it accepts.


cdef tuple _peer(sockaddr_storage *addr, socklen_t alen):
    """REMOTE_ADDR, REMOTE_PORT as strings; a unix socket peer has neither."""
    cdef char text[INET6_ADDRSTRLEN]
    cdef sockaddr_in *a4
    cdef sockaddr_in6 *a6
    if addr.ss_family == AF_INET:
        a4 = <sockaddr_in *>addr
        inet_ntop(AF_INET, &a4.sin_addr, text, sizeof(text))
        return text.decode("ascii"), str(ntohs(a4.sin_port))
    if addr.ss_family == AF_INET6:
        a6 = <sockaddr_in6 *>addr
        inet_ntop(AF_INET6, &a6.sin6_addr, text, sizeof(text))
        return text.decode("ascii"), str(ntohs(a6.sin6_port))
    return "", ""


def _set_listener_nodelay(sock):
    """Set TCP_NODELAY on a TCP listener, which its accepted sockets
    inherit (Linux copies the option to them): one setsockopt instead of one
    per connection.  False when it did not take (not TCP, or refused); then
    every accepted socket gets it itself."""
    import socket
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    except OSError:
        return False


def _set_defer_accept(sock):
    """Ask the kernel to complete accept() only once data has arrived."""
    import socket
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
    except OSError:
        return False
    return True
