"""The log part of the ``supervisor`` namespace: read, tail and clear the main
log and the processes' logs, with supervisor's offset rules and faults.

Only regular files are read. A log that goes to /dev/stdout, a pipe or a
terminal has no file to read back (reading it could block the master): the
process's capture keeps its last bytes, and those answer a read from the end
(what ``supervisorctl tail`` asks for); anything else is NO_FILE.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Any, TypeVar

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.rpcbase import RPCBase, result
from fastwsgi.supervisor.names import make_namespec, read_file, tail_file

# The two streams' read and tail methods answer system.methodHelp (and
# supervisorctl's help) with supervisor's docstrings, which differ only in the
# stream's name.
READ_DOC = """ Read length bytes from name's {stream} log starting at offset

        @param string name        the name of the process (or 'group:name')
        @param int offset         offset to start reading from.
        @param int length         number of bytes to read from the log.
        @return string result     Bytes of log
        """
TAIL_DOC = """
        Provides a more efficient way to tail the ({stream}) log than
        readProcess{Stream}Log().  Use readProcess{Stream}Log() to read
        chunks and tailProcess{Stream}Log() to tail.

        Requests (length) bytes from the (name)'s log, starting at
        (offset).  If the total log size is greater than (offset +
        length), the overflow flag is set and the (offset) is
        automatically increased to position the buffer at the end of
        the log.  If less than (length) bytes are available, the
        maximum number of available bytes will be returned.  (offset)
        returned is always the last offset in the log +1.

        @param string name         the name of the process (or 'group:name')
        @param int offset          offset to start reading from
        @param int length          maximum number of bytes to return
        @return array result       [string bytes, int offset, bool overflow]
        """

Method = TypeVar("Method", bound=Callable[..., Any])


def _documented(template: str, stream: str) -> Callable[[Method], Method]:
    """The method's docstring: ``template`` for ``stream`` (stdout or stderr)."""
    def document(method: Method) -> Method:
        method.__doc__ = template.format(stream=stream, Stream=stream.capitalize())
        return method
    return document


def is_regular(path: str | None) -> bool:
    if not path:
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_log(path: str | None, offset: int, length: int) -> str:
    if path is None or not os.path.exists(path):
        raise RPCError(Faults.NO_FILE, path)
    if not is_regular(path):
        raise RPCError(Faults.NO_FILE, path)
    try:
        return text(read_file(path, int(offset), int(length)))
    except ValueError as exc:
        raise RPCError(getattr(Faults, exc.args[0])) from None


class LogMethods(RPCBase):
    def readLog(self, offset: int, length: int) -> str:
        """ Read length bytes from the main log starting at offset

        @param int offset         offset to start reading from.
        @param int length         number of bytes to read from the log.
        @return string result     Bytes of log
        """
        self._update("readLog")
        return read_log(self.supervisord.options.logfile, offset, length)

    readMainLog = readLog  # the name before supervisor 2.1

    def clearLog(self) -> bool:
        """ Clear the main log.

        @return boolean result always returns True unless error
        """
        self._update("clearLog")
        options = self.supervisord.options
        logfile = options.logfile
        if logfile is None or not options.exists(logfile):
            raise RPCError(Faults.NO_FILE)
        try:
            options.remove(logfile)
        except OSError:
            raise RPCError(Faults.FAILED) from None
        reopen = getattr(options, "reopenlogs", None)
        if reopen is not None:
            options.logger.info("reopening log file")
            reopen()
        return True

    def _process_log(self, name: str, channel: str) -> tuple[Any, str | None]:
        process = self._getLogSource(name)
        return process, getattr(process.config, f"{channel}_logfile")

    def _readProcessLog(self, name: str, offset: int, length: int, channel: str) -> str:
        process, path = self._process_log(name, channel)
        if path is not None and os.path.exists(path) and not is_regular(path):
            # the capture (its OutputChannel) keeps the last bytes of a stream
            capture = getattr(process, "channels", {}).get(channel) \
                or getattr(process, f"{channel}_log", None)
            if capture is not None and int(offset) < 0 and int(length) == 0:
                return text(capture.tail(-int(offset)))
        return read_log(path, offset, length)

    @_documented(READ_DOC, "stdout")
    def readProcessStdoutLog(self, name: str, offset: int, length: int) -> str:
        self._update("readProcessStdoutLog")
        return self._readProcessLog(name, offset, length, "stdout")

    readProcessLog = readProcessStdoutLog  # the old name

    @_documented(READ_DOC, "stderr")
    def readProcessStderrLog(self, name: str, offset: int, length: int) -> str:
        self._update("readProcessStderrLog")
        return self._readProcessLog(name, offset, length, "stderr")

    def _tailProcessLog(self, name: str, offset: int, length: int,
                        channel: str) -> list[Any]:
        _process, path = self._process_log(name, channel)
        if path is None or not os.path.exists(path):
            return ["", 0, False]
        if not is_regular(path):  # /dev/stdout and the like: nothing to seek in
            return ["", int(offset), False]
        data, new_offset, overflow = tail_file(path, int(offset), int(length))
        return [text(data), new_offset, overflow]

    @_documented(TAIL_DOC, "stdout")
    def tailProcessStdoutLog(self, name: str, offset: int, length: int) -> list[Any]:
        self._update("tailProcessStdoutLog")
        return self._tailProcessLog(name, offset, length, "stdout")

    tailProcessLog = tailProcessStdoutLog  # the old name

    @_documented(TAIL_DOC, "stderr")
    def tailProcessStderrLog(self, name: str, offset: int, length: int) -> list[Any]:
        self._update("tailProcessStderrLog")
        return self._tailProcessLog(name, offset, length, "stderr")

    def clearProcessLogs(self, name: str) -> bool:
        """ Clear the stdout and stderr logs for the named process and
        reopen them.

        @param string name   The name of the process (or 'group:name')
        @return boolean result      Always True unless error
        """
        self._update("clearProcessLogs")
        _group, process = self._getGroupAndProcess(name)
        if process is None:
            raise RPCError(Faults.BAD_NAME, name)
        try:
            process.removelogs()  # and reopens them
        except OSError:
            raise RPCError(Faults.FAILED, name) from None
        return True

    clearProcessLog = clearProcessLogs  # the old name

    def clearAllProcessLogs(self) -> list[dict[str, Any]]:
        """ Clear all process log files

        @return array result   An array of process status info structs
        """
        self._update("clearAllProcessLogs")
        results = []
        for group, process in self._getAllProcesses():
            try:
                self.clearProcessLogs(make_namespec(group.config.name, process.config.name))
            except RPCError as exc:
                results.append(result(group, process, exc.code, exc.text))
            else:
                results.append(result(group, process))
        return results
