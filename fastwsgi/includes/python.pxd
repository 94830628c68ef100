# CPython APIs that Cython's bundled declarations lack or spell differently.

from cpython.object cimport PyObject
from libc.stdint cimport uint64_t

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    int PyUnicode_1BYTE_KIND
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyDict_Copy(object d)
    # A dict with room for `n` entries.  PyDict_Copy of a dict without
    # deletions keeps its capacity, so a presized template lets each
    # request's environ take its ~15 request keys without a resize.
    dict _PyDict_NewPresized(Py_ssize_t n)
    # Borrowed references, no checks: for the hot path's identity tests.
    PyObject *PyTuple_GET_ITEM(object t, Py_ssize_t i)
    Py_ssize_t PyTuple_GET_SIZE(object t)
    PyObject *PyList_GET_ITEM(object l, Py_ssize_t i)
    Py_ssize_t PyList_GET_SIZE(object l)


cdef extern from *:
    """
    /* A dict's PEP 509 version tag, which every change to the dict replaces
     * with a value never used before: the same tag means the same content.
     * CPython 3.12 deprecated the field and 3.14 removed it; there this
     * returns 0, "unknown" (request.pyx then never reuses an environ). */
    #if PY_VERSION_HEX < 0x030E0000
    #if defined(__GNUC__)
    #pragma GCC diagnostic push
    #pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    #endif
    static inline uint64_t fw_dict_version(PyObject *d)
    {
        return ((PyDictObject *)d)->ma_version_tag;
    }
    #if defined(__GNUC__)
    #pragma GCC diagnostic pop
    #endif
    #else
    static inline uint64_t fw_dict_version(PyObject *d) { (void)d; return 0; }
    #endif
    """
    uint64_t fw_dict_version(object d)
