"""supervisor's capture mode: what a child writes between two tokens is not logged.

With ``stdout_capture_maxbytes`` (or stderr's) above 0, a child may send a message
to event listeners by writing ``<!--XSUPERVISOR:BEGIN-->``, the message, then
``<!--XSUPERVISOR:END-->``.  supervisord keeps the tokens and the message out of
the log (the message, bounded to its last capture_maxbytes bytes, becomes a
PROCESS_COMMUNICATION event at END); the text around them is logged as usual.
Tokens may arrive cut across reads: a possible start of a token at the end of a
read waits for the next read (or EOF) before it is logged.

fastwsgi has no event listeners: a finished message is handed to ``on_message``
(the master logs supervisord's debug line "'x' stdout emitted a comm event").
A channel without capture mode never comes here, so its bytes are not scanned.
"""

from __future__ import annotations

BEGIN_TOKEN = b"<!--XSUPERVISOR:BEGIN-->"
END_TOKEN = b"<!--XSUPERVISOR:END-->"


def token_start_at_end(data: bytes, token: bytes) -> int:
    """The length of the longest proper prefix of `token` that `data` ends with."""
    for size in range(min(len(token) - 1, len(data)), 0, -1):
        if data.endswith(token[:size]):
            return size
    return 0


class CommCapture:
    def __init__(self, maxbytes: int) -> None:
        self.maxbytes = maxbytes
        self.capturing = False
        self.held = b""  # a possible start of a token, waiting for the next read
        self.message = bytearray()

    def feed(self, data: bytes) -> tuple[bytes, list[bytes]]:
        """The bytes of `data` that go to the log, and the messages it completed."""
        data = self.held + data if self.held else data
        self.held = b""
        logged: list[bytes] = []
        done: list[bytes] = []
        while data:
            token = END_TOKEN if self.capturing else BEGIN_TOKEN
            at = data.find(token)
            if at < 0:
                keep = token_start_at_end(data, token)
                if keep:
                    self.held, data = data[-keep:], data[:-keep]
                self._take(data, logged)
                break
            self._take(data[:at], logged)
            data = data[at + len(token):]
            if self.capturing:
                done.append(bytes(self.message))
                self.message.clear()
            self.capturing = not self.capturing
        return b"".join(logged), done

    def finish(self) -> bytes:
        """At EOF: what was held back goes to the log (an unfinished message is dropped,
        as supervisord drops it)."""
        held, self.held = self.held, b""
        self.message.clear()
        return b"" if self.capturing else held

    def _take(self, piece: bytes, logged: list[bytes]) -> None:
        if not piece:
            return
        if not self.capturing:
            logged.append(piece)
            return
        self.message += piece
        if len(self.message) > self.maxbytes:  # keep the newest, as supervisor's BoundIO
            del self.message[:len(self.message) - self.maxbytes]
