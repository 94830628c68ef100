"""Process and supervisor states, with supervisor 4's numeric codes verbatim.

`supervisorctl` and every XML-RPC client show and compare these numbers, so
they are copied exactly (supervisor/states.py).  This module imports nothing:
everything else in the package may import it.

The table TRANSITIONS lists every edge the process state machine may take;
`Subprocess.change_state` refuses any other, and each place that takes an
edge says so with a `# A -> B` comment.
"""


class ProcessStates:
    STOPPED = 0
    STARTING = 10
    RUNNING = 20
    BACKOFF = 30
    STOPPING = 40
    EXITED = 100
    FATAL = 200
    UNKNOWN = 1000


STOPPED_STATES = (ProcessStates.STOPPED, ProcessStates.EXITED, ProcessStates.FATAL,
                  ProcessStates.UNKNOWN)
RUNNING_STATES = (ProcessStates.RUNNING, ProcessStates.BACKOFF, ProcessStates.STARTING)
SIGNALLABLE_STATES = (ProcessStates.RUNNING, ProcessStates.STARTING, ProcessStates.STOPPING)


class SupervisorStates:
    FATAL = 2
    RUNNING = 1
    RESTARTING = 0
    SHUTDOWN = -1


_S = ProcessStates
# old state -> the states it may move to (supervisor's process.py, edge by edge).
TRANSITIONS: dict[int, frozenset[int]] = {
    _S.STOPPED: frozenset({_S.STARTING}),
    _S.STARTING: frozenset({_S.RUNNING, _S.BACKOFF, _S.STOPPING, _S.UNKNOWN}),
    _S.RUNNING: frozenset({_S.STOPPING, _S.EXITED, _S.UNKNOWN}),
    _S.BACKOFF: frozenset({_S.STARTING, _S.FATAL, _S.STOPPED}),
    _S.STOPPING: frozenset({_S.STOPPED, _S.UNKNOWN}),
    _S.EXITED: frozenset({_S.STARTING}),
    _S.FATAL: frozenset({_S.STARTING}),
    _S.UNKNOWN: frozenset(),
}


def _names_by_code(states: type) -> dict[int, str]:
    return {value: name for name, value in vars(states).items() if not name.startswith("_")}


_PROCESS_NAMES = _names_by_code(ProcessStates)
_SUPERVISOR_NAMES = _names_by_code(SupervisorStates)


def getProcessStateDescription(code: int) -> str | None:  # supervisor's name
    return _PROCESS_NAMES.get(code)


def getSupervisorStateDescription(code: int) -> str | None:  # supervisor's name
    return _SUPERVISOR_NAMES.get(code)
