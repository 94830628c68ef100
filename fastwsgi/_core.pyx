# cython: language_level=3
"""fastwsgi's engine: one epoll loop per worker process, llhttp driven from C,
PEP 3333 environ and responses.  The pieces live in engine/*.pyx, included
here so that they compile into one extension and call each other as C.

Theory of operation
-------------------
Every class's fields and cdef methods are declared in _core.pxd (which
includes engine/server.pxd and engine/parts.pxd).  One request, one pass:
  1. accept: Server (engine/loop.pyx) owns the epoll set, the listeners and a
     table of Connections indexed by fd;
  2. read: a readable Connection (engine/connection.pyx) receives through
     engine/transport.pyx, the one place that talks to a client socket;
  3. parse: llhttp's C callbacks (engine/llhttp.pyx) record the request head
     as offsets into the connection's buffer; at message-complete the parser
     pauses, so that one request at a time is answered;
  4. environ: engine/request.pyx validates the head and builds the environ
     (engine/environ.pyx); the body is collected before the app is called
     (engine/body.pyx);
  5. app: Connection._dispatch calls it inline or hands it to an executor
     (engine/executors.pyx); Connection.phase (enum Phase) says where the
     response is, and Connection._enter() is its only writer;
  6. serialize: engine/response.pyx frames the app's result, and
     engine/serialize.pyx writes the head into the connection's buffer;
  7. send: transport.pyx's flush_output, once per batch of pipelined
     requests; a response that does not fit the socket waits for EPOLLOUT,
     and a streaming iterable is advanced only as the socket drains.
A worker killed for its timeout answers what it abandons (engine/abandon.pyx).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals
from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.string cimport memcpy, memchr, memcmp, memset
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.stdio cimport snprintf


import io
import logging
import os
import sys

include "engine/counters.pyx"
include "engine/llhttp.pyx"
include "engine/proxy.pyx"
include "engine/environ.pyx"
include "engine/body.pyx"
include "engine/start_response.pyx"
include "engine/early_hints.pyx"
include "engine/serialize.pyx"
include "engine/tls.pyx"
include "engine/connection.pyx"
include "engine/sansio.pyx"
include "engine/transport.pyx"
include "engine/request.pyx"
include "engine/response.pyx"
include "engine/executors.pyx"
include "engine/greenlets.pyx"
include "engine/loop.pyx"
include "engine/sockets.pyx"
include "engine/abandon.pyx"
include "engine/uring.pyx"
include "engine/uring_setup.pyx"


def _self_test():
    """Parse a known request through llhttp at import: if the ABI declared in
    csrc/fw_llhttp.h does not match the httptools build, this fails here with
    one line, instead of misparsing requests later."""
    import httptools
    seen = []

    def app(environ, start_response):
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"],
                     environ.get("HTTP_X_CHECK"), environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b""]

    conn = Server(app).connection()
    conn.feed(b"POST /a%20b?c=d HTTP/1.1\r\nHost: h\r\nX-Check: 1\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
    if seen != [("POST", "/a b", "c=d", "1", b"ok")] or not conn.take_output().startswith(
            b"HTTP/1.1 200 OK\r\n"):
        raise ImportError(
            f"fastwsgi: httptools {httptools.__version__}'s llhttp does not parse as expected "
            f"(got {seen!r}); install httptools>=0.7.1,<0.10")


_self_test()


def release_free_memory():
    """Give the free pages of the C heap back to the kernel (glibc's
    malloc_trim; a no-op with other C libraries).  The master calls it before
    fork(): a worker starts with all the master's resident memory, and what
    malloc keeps for reuse, freed at startup, would count in every worker."""
    fw_release_free_memory()
