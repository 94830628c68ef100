# wsgi.input and wsgi.file_wrapper.
#
# The loop reads the whole request body before the app is called (a slow
# client costs a buffer, never a blocked worker), so wsgi.input is a finished
# body: bytes in memory, or a temporary file once the body outgrew the
# spool threshold.  read() therefore never blocks on the network and returns
# b"" at the end, which is what wsgi.input_terminated promises.


cdef class Input:
    """wsgi.input over a complete request body (PEP 3333 "input stream")."""

    def __cinit__(self, bytes data=b"", file=None):
        self._data = data
        self._pos = 0
        self._file = file

    def read(self, size=-1):
        if self._file is not None:
            return self._file.read(-1 if size is None else size)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(self._data) - self._pos
        if size is not None and size >= 0 and size < n:
            n = size
        if n <= 0:
            return b""
        if self._pos == 0 and n == PyBytes_GET_SIZE(self._data):
            self._pos = n
            return self._data
        chunk = self._data[self._pos:self._pos + n]
        self._pos += n
        return chunk

    def readline(self, size=-1):
        if self._file is not None:
            return self._file.readline(-1 if size is None else size)
        cdef Py_ssize_t end = self._data.find(b"\n", self._pos)
        end = PyBytes_GET_SIZE(self._data) if end < 0 else end + 1
        if size is not None and size >= 0 and self._pos + size < end:
            end = self._pos + size
        line = self._data[self._pos:end]
        self._pos = end
        return line

    def readlines(self, hint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self):
        # The server owns the body; an app closing it must not break the
        # next reader (wsgiref's validator forbids close on wsgi.input).
        pass


cdef Input _EMPTY_INPUT = Input(b"")


cdef class FileWrapper:
    """wsgi.file_wrapper: the server sends a regular file with sendfile(2);
    anything else file-like is read in blocks of `blksize`."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration

    def close(self):
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()
