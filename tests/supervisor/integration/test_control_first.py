"""The control server's sockets are bound before the master daemonizes or starts any
program, as supervisord opens its HTTP servers first: a port in use is one line on the
terminal, exit status 2, and nothing was started (no program, no daemon left behind)."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from tests.supervisor.integration.harness import Master, alive
from tests.support import TIMEOUT


def test_a_control_port_in_use_stops_everything_before_it_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        marker = tmp_path / "started"
        text = (f"[supervisord]\nnodaemon=false\nlogfile={tmp_path}/sd.log\n"
                f"pidfile={tmp_path}/sd.pid\nchildlogdir={tmp_path}\n"
                f"[inet_http_server]\nport=127.0.0.1:{port}\n"
                f"[program:early]\ncommand=/bin/sh -c 'touch {marker}; exec sleep 1000'\n"
                "startsecs=0\n")
        master = Master(tmp_path, text)
        try:
            code = master.proc.wait(TIMEOUT)
            assert master.proc.stderr is not None
            err = master.proc.stderr.read().decode()
        finally:
            pidfile = tmp_path / "sd.pid"
            if pidfile.exists():  # it daemonized after all: stop what it left
                pid = int(pidfile.read_text())
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            master.stop()
    assert code == 2, err
    assert err.strip() == (f"Error: Another program is already listening on "
                           f"127.0.0.1:{port}, which the control server is configured to use; "
                           "shut it down first"), err
    assert not marker.exists() and not (tmp_path / "sd.pid").exists()
