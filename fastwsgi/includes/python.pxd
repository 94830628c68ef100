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


cdef extern from *:
    """
    /* A header pair's name and value (borrowed): 1 for an exact 2-tuple or
     * 2-list (both keep their items at ob_item), else 0. */
    static inline int fw_pair(PyObject *item, PyObject **name, PyObject **value)
    {
        if ((PyTuple_CheckExact(item) || PyList_CheckExact(item)) && Py_SIZE(item) == 2) {
            PyObject **p = PySequence_Fast_ITEMS(item);
            *name = p[0];
            *value = p[1];
            return 1;
        }
        return 0;
    }
    """
    bint fw_pair(PyObject *item, PyObject **name, PyObject **value) noexcept
    # Borrowed: the items and size of a list or a tuple.
    PyObject **PySequence_Fast_ITEMS(object o)
    Py_ssize_t PySequence_Fast_GET_SIZE(object o)
