"""The plumbing of ``fastwsgi ctl``: the proxy, the check that the server
speaks API 3.0, faults and refused credentials turned into supervisorctl's
words and exit statuses. Commands live in ctl.py and ctl_config.py."""

from __future__ import annotations

import cmd
import errno
import getpass
import xmlrpc.client
from typing import Any

from fastwsgi.control.ctl_client import ClientOptions
from fastwsgi.control.faults import Faults

API_VERSION = "3.0"

# LSB exit statuses, as supervisorctl uses them
SUCCESS, GENERIC, INVALID_ARGS, UNIMPLEMENTED, NO_PRIVILEGE, NOT_INSTALLED, NOT_RUNNING = \
    0, 1, 2, 3, 4, 5, 7
STATUS_NOT_RUNNING, STATUS_UNKNOWN = 3, 4  # of the status command
DEAD_PROGRAM_FAULTS = (Faults.SPAWN_ERROR, Faults.ABNORMAL_TERMINATION, Faults.NOT_RUNNING)

class ControllerBase(cmd.Cmd):
    def __init__(self, options: ClientOptions) -> None:
        super().__init__()
        self.options = options
        self.prompt = options.prompt + "> "
        self.exitstatus = SUCCESS
        self._proxy: Any = None

    # --- plumbing ---------------------------------------------------------------
    def output(self, message: str) -> None:
        print(message, flush=True)

    def api(self) -> Any:
        if self._proxy is None:
            self._proxy = self.options.proxy()
        return self._proxy.supervisor

    def emptyline(self) -> bool:
        return False

    def default(self, line: str) -> None:
        self.output(f"*** Unknown syntax: {line}")
        self.exitstatus = GENERIC

    def onecmd(self, line: str) -> bool:
        command, arg, line = self.parseline(line)
        if not line:
            return self.emptyline()
        func = getattr(self, f"do_{command}", None) if command else None
        if func is None:
            self.default(line)
            return False
        try:
            return bool(func(arg))
        except xmlrpc.client.ProtocolError as exc:
            self._proxy = None
            if exc.errcode != 401:
                self.output(f"error: {exc}")
                self.exitstatus = GENERIC
                return False
            self.output("Server requires authentication")
            if not self.options.interactive:
                self.exitstatus = GENERIC
                return False
            self.options.username = input("Username:")
            self.options.password = getpass.getpass(prompt="Password:")
            self.output("")
            return self.onecmd(line)
        except (OSError, xmlrpc.client.Error) as exc:
            self._proxy = None
            self.output(f"error: {type(exc)}, {exc}")
            self.exitstatus = GENERIC
            return False

    def fault_status(self, code: int, ignored: int | None = None) -> None:
        if code in (ignored, Faults.SUCCESS):
            return
        self.exitstatus = NOT_RUNNING if code in DEAD_PROGRAM_FAULTS else GENERIC

    def upcheck(self) -> bool:
        try:
            api = self.api().getVersion()
        except xmlrpc.client.Fault as exc:
            if exc.faultCode == Faults.UNKNOWN_METHOD:
                self.output("Sorry, supervisord responded but did not recognize the supervisor "
                            "namespace commands that supervisorctl uses to control it.  Please "
                            "check that the [rpcinterface:supervisor] section is enabled in the "
                            "configuration file (see sample.conf).")
                self.exitstatus = UNIMPLEMENTED
                return False
            raise
        except OSError as exc:
            self._proxy = None
            if exc.errno == errno.ECONNREFUSED:
                self.output(f"{self.options.serverurl} refused connection")
                self.exitstatus = NO_PRIVILEGE
                return False
            if exc.errno == errno.ENOENT:
                self.output(f"{self.options.serverurl} no such file")
                self.exitstatus = NOT_RUNNING
                return False
            raise
        if api != API_VERSION:
            self.output(f"Sorry, this version of supervisorctl expects to talk to a server with "
                        f"API version {API_VERSION}, but the remote version is {api}.")
            self.exitstatus = NOT_INSTALLED
            return False
        return True

