"""The tests' one support package.

- ``server``: the one server runner (``run_server``: a real fastwsgi process
  on a listening socket the test bound), ``ServerProcess``, ``worker_pid``;
- ``client``: the one raw client (``Client``), ``read_until_closed``;
- ``http``: the one response reader (``take_response``, ``receive_response``:
  chunked, HEAD, 1xx, 204/304, close-delimited) and ``request()`` heads;
- ``waiting``: the one ``wait_for``;
- ``tools``: ``Strace`` (skips loudly when strace is missing or cannot attach);
- ``master``: ``Run`` and ``Load`` for the master's integration tests;
- ``supervisor_master``: ``running``/``Daemon``/``Site``, a supervisor-mode
  master (fastwsgi -c site.conf, or the real supervisord) on its own control
  socket, driven by the stock supervisorctl (the ``supervisor_master``
  fixture in tests/conftest.py);
- ``logs``: helpers of the logging tests;
- ``fake_os``: ``FakeOS``, the one fake of the OS seam for process-management
  unit tests (the WSGI program's and supervisor mode's state machines);
- ``fake_host``: ``FakeHost`` and ``make_config``, what a Supervisor is to a
  Subprocess, minus the loop (on that FakeOS);
- ``loop_thread``: ``LoopThread``, an asyncio loop (uvloop) in a thread, so a
  test drives a server in it with blocking clients.

The common names are importable from ``tests.support`` itself.
"""

from tests.support.client import Client, read_until_closed
from tests.support.http import (
    IncompleteResponse,
    Response,
    dechunk,
    parse_response,
    read_response,
    receive_response,
    request,
    split_responses,
    take_response,
)
from tests.support.server import (
    ROOT,
    TIMEOUT,
    ServerProcess,
    io_backend,
    listening_socket,
    memory_kb,
    run_server,
    worker_pid,
)
from tests.support.tools import Strace
from tests.support.waiting import wait_for

__all__ = [
    "ROOT", "TIMEOUT", "Client", "IncompleteResponse", "Response", "ServerProcess", "Strace",
    "dechunk", "io_backend", "listening_socket", "memory_kb", "parse_response", "read_response",
    "read_until_closed", "receive_response", "request", "run_server", "split_responses",
    "take_response", "wait_for", "worker_pid",
]
