"""``fastwsgi ctl``'s commands about the daemon and its configuration:
avail, reread, update, add, remove, shutdown, reload, version; and the help
texts of every command (supervisorctl's)."""

from __future__ import annotations

import errno
import xmlrpc.client
from typing import Any

from fastwsgi.control.ctl_base import GENERIC, ControllerBase
from fastwsgi.control.faults import Faults
from fastwsgi.supervisor.names import make_namespec

HELP = {
    "status": "status <name>\t\tGet status for a single process\n"
              "status <gname>:*\tGet status for all processes in a group\n"
              "status <name> <name>\tGet status for multiple named processes\n"
              "status\t\t\tGet all process status info",
    "start": "start <name>\t\tStart a process\nstart <gname>:*\t\tStart all processes in a "
             "group\nstart <name> <name>\tStart multiple processes or groups\n"
             "start all\t\tStart all processes",
    "stop": "stop <name>\t\tStop a process\nstop <gname>:*\t\tStop all processes in a group\n"
            "stop <name> <name>\tStop multiple processes or groups\nstop all\t\tStop all "
            "processes",
    "restart": "restart <name>\t\tRestart a process\nrestart <gname>:*\tRestart all processes "
               "in a group\nrestart <name> <name>\tRestart multiple processes or groups\n"
               "restart all\t\tRestart all processes\nNote: restart does not reread config "
               "files. For that, see reread and update.",
    "signal": "signal <signal name> <name>\t\tSignal a process\nsignal <signal name> "
              "<gname>:*\t\tSignal all processes in a group\nsignal <signal name> <name> "
              "<name>\tSignal multiple processes or groups\nsignal <signal name> all\t\t"
              "Signal all processes",
    "pid": "pid\t\t\tGet the PID of supervisord.\npid <name>\t\tGet the PID of a single child "
           "process by name.\npid all\t\t\tGet the PID of every child process, one per line.",
    "tail": "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\t"
            "Continuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>"
            "\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of "
            "process stderr",
    "maintail": "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n"
                "maintail -100\tlast 100 *bytes* of supervisord main log file\n"
                "maintail\tlast 1600 *bytes* of supervisor main log file\n",
    "reread": "reread \t\t\tReload the daemon's configuration files without add/remove",
    "update": "update\t\t\tReload config and add/remove as necessary, and will restart "
              "affected programs\nupdate all\t\tReload config and add/remove as necessary, and "
              "will restart affected programs\nupdate <gname> [...]\tUpdate specific groups",
    "avail": "avail\t\t\tDisplay all configured processes",
    "add": "add <name> [...]\tActivates any updates in config for process/group",
    "remove": "remove <name> [...]\tRemoves process/group from active config",
    "clear": "clear <name>\t\tClear a process' log files.\nclear <name> <name>\tClear multiple "
             "process' log files\nclear all\t\tClear all process' log files",
    "shutdown": "shutdown \tShut the remote supervisord down.",
    "reload": "reload \t\tRestart the remote supervisord.",
    "version": "version\t\t\tShow the version of the remote supervisord process",
    "quit": "quit\tExit the supervisor shell.",
    "exit": "exit\tExit the supervisor shell.",
}


class ConfigCommands(ControllerBase):
    def _no_args(self, command: str, arg: str) -> bool:
        if not arg:
            return True
        self.output(f"Error: {command} accepts no arguments")
        self.exitstatus = GENERIC
        self.output(HELP[command])
        return False

    def _shutting_down(self, exc: xmlrpc.client.Fault, words: str) -> None:
        self.exitstatus = GENERIC
        if exc.faultCode != Faults.SHUTDOWN_STATE:
            raise exc
        self.output(words)

    def _confirm(self, question: str) -> bool:
        if not self.options.interactive:
            return True
        return input(question).lower().startswith("y")

    def do_avail(self, arg: str) -> None:
        if not self._no_args("avail", arg):
            return
        try:
            infos = self.api().getAllConfigInfo()
        except xmlrpc.client.Fault as exc:
            self._shutting_down(exc, "ERROR: supervisor shutting down")
            return
        for info in infos:
            name = make_namespec(info["group"], info["name"])
            inuse = "in use" if info["inuse"] else "avail"
            auto = "auto" if info["autostart"] else "manual"
            priority = f"{info['group_prio']}:{info['process_prio']}"
            self.output(f"{name:<32} {inuse:<9} {auto:<9} {priority}")

    def _changes(self, added: list[str], changed: list[str], removed: list[str]) -> None:
        words = {**dict.fromkeys(added, "available"), **dict.fromkeys(changed, "changed"),
                 **dict.fromkeys(removed, "disappeared")}
        if not words:
            self.output("No config updates to processes")
        for name in sorted(words):
            self.output(f"{name}: {words[name]}")

    def do_reread(self, arg: str) -> None:
        if not self._no_args("reread", arg):
            return
        try:
            result = self.api().reloadConfig()
        except xmlrpc.client.Fault as exc:
            if exc.faultCode == Faults.CANT_REREAD:
                self.exitstatus = GENERIC
                self.output(f"ERROR: {exc.faultString}")
                return
            self._shutting_down(exc, "ERROR: supervisor shutting down")
            return
        self._changes(*result[0])

    def do_update(self, arg: str) -> None:
        api = self.api()
        try:
            result = api.reloadConfig()
        except xmlrpc.client.Fault as exc:
            self._shutting_down(exc, "ERROR: already shutting down")
            return
        added, changed, removed = result[0]
        wanted = set(arg.split())
        if "all" in wanted:
            wanted = set()
        if wanted:
            known = {info["group"] for info in api.getAllProcessInfo()} | set(added)
            for name in sorted(wanted - known):
                self.output(f"ERROR: no such group: {name}")
                self.exitstatus = GENERIC
        selected: Any = (lambda name: not wanted or name in wanted)
        for name in filter(selected, removed):
            results = api.stopProcessGroup(name)
            self.output(f"{name}: stopped")
            if any(r["status"] == Faults.FAILED for r in results):
                self.output(f"{name}: has problems; not removing")
                self.exitstatus = GENERIC
                continue
            api.removeProcessGroup(name)
            self.output(f"{name}: removed process group")
        for name in filter(selected, changed):
            api.stopProcessGroup(name)
            self.output(f"{name}: stopped")
            api.removeProcessGroup(name)
            api.addProcessGroup(name)
            self.output(f"{name}: updated process group")
        for name in filter(selected, added):
            api.addProcessGroup(name)
            self.output(f"{name}: added process group")

    def do_add(self, arg: str) -> None:
        for name in arg.split():
            try:
                self.api().addProcessGroup(name)
            except xmlrpc.client.Fault as exc:
                if exc.faultCode == Faults.ALREADY_ADDED:
                    self.output("ERROR: process group already active")
                    continue
                self.exitstatus = GENERIC
                if exc.faultCode == Faults.SHUTDOWN_STATE:
                    self.output("ERROR: shutting down")
                elif exc.faultCode == Faults.BAD_NAME:
                    self.output(f"ERROR: no such process/group: {name}")
                else:
                    raise
            else:
                self.output(f"{name}: added process group")

    def do_remove(self, arg: str) -> None:
        for name in arg.split():
            try:
                self.api().removeProcessGroup(name)
            except xmlrpc.client.Fault as exc:
                self.exitstatus = GENERIC
                if exc.faultCode == Faults.STILL_RUNNING:
                    self.output(f"ERROR: process/group still running: {name}")
                elif exc.faultCode == Faults.BAD_NAME:
                    self.output(f"ERROR: no such process/group: {name}")
                else:
                    raise
            else:
                self.output(f"{name}: removed process group")

    def do_shutdown(self, arg: str) -> None:
        if not self._no_args("shutdown", arg):
            return
        if not self._confirm("Really shut the remote supervisord process down y/N? "):
            return
        try:
            self.api().shutdown()
        except xmlrpc.client.Fault as exc:
            if exc.faultCode != Faults.SHUTDOWN_STATE:
                self.exitstatus = GENERIC
                raise
            self.output("ERROR: already shutting down")
        except OSError as exc:
            self.exitstatus = GENERIC
            words = {errno.ECONNREFUSED: "refused connection", errno.ENOENT: "no such file"}
            if exc.errno not in words:
                raise
            self.output(f"ERROR: {self.options.serverurl} {words[exc.errno]} "
                        "(already shut down?)")
        else:
            self.output("Shut down")

    def do_reload(self, arg: str) -> None:
        if not self._no_args("reload", arg):
            return
        if not self._confirm("Really restart the remote supervisord process y/N? "):
            return
        try:
            self.api().restart()
        except xmlrpc.client.Fault as exc:
            self._shutting_down(exc, "ERROR: already shutting down")
        else:
            self.output("Restarted supervisord")

    def do_version(self, arg: str) -> None:
        if not self._no_args("version", arg) or not self.upcheck():
            return
        self.output(self.api().getSupervisorVersion())
