"""XML-RPC faults with supervisor's codes and names (supervisor/xmlrpc.py).

supervisorctl decides what to print from the code (``ERROR (no such process)``
for BAD_NAME, ...) and shows the string, which is the fault's name followed by
``: detail`` when there is one; both are part of the protocol.
"""

from __future__ import annotations


class Faults:
    UNKNOWN_METHOD = 1
    INCORRECT_PARAMETERS = 2
    BAD_ARGUMENTS = 3
    SIGNATURE_UNSUPPORTED = 4
    SHUTDOWN_STATE = 6
    BAD_NAME = 10
    BAD_SIGNAL = 11
    NO_FILE = 20
    NOT_EXECUTABLE = 21
    FAILED = 30
    ABNORMAL_TERMINATION = 40
    SPAWN_ERROR = 50
    ALREADY_STARTED = 60
    NOT_RUNNING = 70
    SUCCESS = 80
    ALREADY_ADDED = 90
    STILL_RUNNING = 91
    CANT_REREAD = 92


_NAMES = {code: name for name, code in vars(Faults).items() if not name.startswith("_")}


def fault_name(code: int) -> str:
    return _NAMES.get(code, "UNKNOWN")


class RPCError(Exception):
    """A fault an RPC method answers: ``code`` and ``text`` ("NAME" or "NAME: extra")."""

    def __init__(self, code: int, extra: object = None) -> None:
        super().__init__(code, extra)
        self.code = code
        self.text = fault_name(code) if extra is None else f"{fault_name(code)}: {extra}"

    def __str__(self) -> str:
        return f"code={self.code!r}, text={self.text!r}"
