# The C calls that can fail, checked in one place (h5py's pattern): each
# wrapper turns the C failure into the Python exception and states the
# contract once.  The engine calls these, never the unchecked function with
# a hand-written test after it.
#
# Contract of every wrapper: returns 0 (or the pointer) on success; raises
# and returns -1 (or NULL) on failure, which Cython propagates (except -1 /
# except NULL).

from libc.stdlib cimport malloc
from fastwsgi.includes.system cimport errno
from fastwsgi.includes.csrc cimport (
    fw_buf_t, fw_pool_t, fw_buf_append, fw_buf_reserve, fw_buf_from_pool)


cdef inline int buf_append(fw_buf_t *b, const void *p, size_t n) except -1:
    """Append n bytes (fw_buf_append: 0, or -1 when out of memory)."""
    if fw_buf_append(b, p, n) < 0:
        raise MemoryError()
    return 0


cdef inline int buf_reserve(fw_buf_t *b, size_t extra) except -1:
    """Make room for `extra` bytes after b.len (fw_buf_reserve: 0 / -1)."""
    if fw_buf_reserve(b, extra) < 0:
        raise MemoryError()
    return 0


cdef inline int buf_from_pool(fw_buf_t *b, fw_pool_t *pool) except -1:
    """Give an empty buffer a block from the pool (fw_buf_from_pool: 0 / -1)."""
    if fw_buf_from_pool(b, pool) < 0:
        raise MemoryError()
    return 0


cdef inline void *mem_alloc(size_t n) except NULL:
    """malloc(n), never NULL: NULL raises MemoryError."""
    cdef void *p = malloc(n)
    if p == NULL:
        raise MemoryError()
    return p


cdef inline int raise_errno() except -1:
    """Raise OSError for the errno of the call that just failed (-1)."""
    import os
    raise OSError(errno, os.strerror(errno))
