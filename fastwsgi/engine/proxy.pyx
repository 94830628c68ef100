# Who the client is, when a proxy stands in between.
#
# PROXY protocol (haproxy's proxy-protocol.txt): a header line (v1) or block
# (v2) sent by the proxy before the first request on a connection, giving
# the real client's address; it becomes REMOTE_ADDR/REMOTE_PORT.  Accepted
# only from proxy_allow_ips, and required from them when enabled.
#
# Forwarded headers (gunicorn's secure_scheme_headers / forwarder_headers):
# from a peer in forwarded_allow_ips (unix-socket peers always), a request
# whose secure-scheme header has the configured value gets
# wsgi.url_scheme "https"; contradictory scheme headers are refused.
#
# ipaddress is imported only where a network or a PROXY header needs it: the
# default allow lists are plain addresses, compared as inet_pton() bytes, and
# a module the master imports stays resident in every worker it forks.

cdef bytes _V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
DEF PROXY_V1_MAX = 107


cdef class AddressPolicy:
    """An allow list of addresses and networks ("*" for any), with a cache
    of the answers: connections come from a handful of proxies."""

    def __init__(self, entries):
        self.any = "*" in entries
        self.addresses = set()
        self.networks = []
        for entry in entries:
            if entry == "*":
                continue
            packed = _packed_address(entry)
            if packed is not None:
                self.addresses.add(packed)
            else:
                import ipaddress
                self.networks.append(ipaddress.ip_network(entry, strict=False))
        self.cache = {}

    cdef bint allows(self, str address):
        if self.any:
            return True
        answer = self.cache.get(address)
        if answer is None:
            answer = self._lookup(address)
            if len(self.cache) < 4096:
                self.cache[address] = answer
        return <bint>answer

    cdef object _lookup(self, str address):
        packed = _packed_address(address)
        if packed is not None and packed in self.addresses:
            return True
        if not self.networks:
            return False
        import ipaddress
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)


cdef object _packed_address(str text):
    """inet_pton() of a plain IPv4 or IPv6 address, else None (a network, or
    not an address).  An IPv6 scope ("%eth0") is left out: ipaddress's `in`,
    which this stands in for, ignores it too."""
    import socket
    if ":" in text:
        family, text = socket.AF_INET6, text.partition("%")[0]
    else:
        family = socket.AF_INET
    try:
        return socket.inet_pton(family, text)
    except (OSError, ValueError):  # ValueError: an embedded NUL
        return None


cdef Py_ssize_t parse_proxy_header(const char *p, size_t n, str mode, list out) except -2:
    """Parse a PROXY header at p.  Returns the bytes it takes, or -1 when
    more input is needed; raises ValueError when it is not a valid header.
    On success out holds [address, port] ("" for UNKNOWN/LOCAL)."""
    cdef size_t i, length
    cdef const unsigned char *u = <const unsigned char *>p
    if n >= 1 and p[0] == b'P' and mode != "v2":
        for i in range(min(n, <size_t>PROXY_V1_MAX)):
            if p[i] == b'\n':
                return _proxy_v1(p, i + 1, out)
        if n >= PROXY_V1_MAX:
            raise ValueError("PROXY v1 line too long")
        return -1 if memcmp(p, b"PROXY ", min(n, <size_t>6)) == 0 else _not_proxy()
    if n >= 1 and p[0] == b'\r' and mode != "v1":
        if n < 16:
            return -1 if memcmp(p, PyBytes_AS_STRING(_V2_SIGNATURE), n if n < 12 else 12) == 0 else _not_proxy()
        if memcmp(p, PyBytes_AS_STRING(_V2_SIGNATURE), 12) != 0:
            return _not_proxy()
        length = (u[14] << 8) | u[15]
        if n < 16 + length:
            return -1
        _proxy_v2(u, length, out)
        return <Py_ssize_t>(16 + length)
    if n == 0:
        return -1
    return _not_proxy()


cdef Py_ssize_t _not_proxy() except -2:
    raise ValueError("expected a PROXY protocol header")


cdef Py_ssize_t _proxy_v1(const char *p, size_t n, list out) except -2:
    # "PROXY" SP ("TCP4" | "TCP6" | "UNKNOWN") [SP src SP dst SP sport SP dport] CRLF
    if n < 8 or p[n - 2] != b'\r':
        raise ValueError("PROXY v1 line must end with CRLF")
    parts = p[:n - 2].decode("ascii", "strict").split(" ")
    if parts[0] != "PROXY" or len(parts) < 2:
        raise ValueError("invalid PROXY v1 line")
    if parts[1] == "UNKNOWN":
        out[:] = ["", ""]
        return <Py_ssize_t>n
    if parts[1] not in ("TCP4", "TCP6") or len(parts) != 6:
        raise ValueError("invalid PROXY v1 line")
    family = 4 if parts[1] == "TCP4" else 6
    import ipaddress
    src = ipaddress.ip_address(parts[2])
    ipaddress.ip_address(parts[3])
    if src.version != family:
        raise ValueError("PROXY v1 address does not match its family")
    for port in parts[4:6]:
        if not port.isdigit() or int(port) > 65535 or (len(port) > 1 and port[0] == "0"):
            raise ValueError("invalid port in PROXY v1 line")
    out[:] = [str(src), parts[4]]
    return <Py_ssize_t>n


cdef int _proxy_v2(const unsigned char *u, size_t length, list out) except -1:
    cdef int version = u[12] >> 4, command = u[12] & 0xF, family = u[13]
    if version != 2 or command > 1:
        raise ValueError("invalid PROXY v2 version or command")
    if command == 0:  # LOCAL: the proxy's own connection (health checks)
        out[:] = ["", ""]
        return 0
    body = (<const char *>u)[16:16 + length]
    import ipaddress
    if family == 0x11 and length >= 12:  # TCP over IPv4
        out[:] = [str(ipaddress.IPv4Address(body[0:4])), str((u[24] << 8) | u[25])]
    elif family == 0x21 and length >= 36:  # TCP over IPv6
        out[:] = [str(ipaddress.IPv6Address(body[0:16])), str((u[48] << 8) | u[49])]
    elif family == 0x00:  # UNSPEC
        out[:] = ["", ""]
    else:
        raise ValueError("unsupported PROXY v2 address family")
    return 0
