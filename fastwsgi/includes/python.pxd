# CPython APIs that Cython's bundled declarations lack or spell differently.

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    int PyUnicode_1BYTE_KIND
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyDict_Copy(object d)
