# CPython APIs that Cython's bundled declarations lack or spell differently.

from cpython.object cimport PyObject

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
