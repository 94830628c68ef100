# Declarations of fastwsgi._core, read by Cython before _core.pyx and its
# engine/*.pyx parts (uvloop's loop.pxd pattern): the C APIs the engine uses
# (fastwsgi/includes/), then every cdef class with its fields and cdef
# methods, one home per class.  A .pyx part that needs another class's field
# or method finds it declared here, not in the file that happens to define it.

from libc.stdint cimport int64_t, uint32_t, uint64_t

from fastwsgi.includes.system cimport *
from fastwsgi.includes.csrc cimport *
from fastwsgi.includes.python cimport *
from fastwsgi.includes.tls cimport *
from fastwsgi.includes.checked cimport *
from fastwsgi.includes.uring cimport *

include "engine/parts.pxd"
include "engine/server.pxd"
include "engine/uring.pxd"
