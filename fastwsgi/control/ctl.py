"""``fastwsgi ctl``: supervisorctl for those who have no supervisor installed.

The same commands, the same words, the same exit statuses (LSB, as
supervisorctl sets them), against fastwsgi or against supervisord: status,
start, stop, restart, signal, pid, tail [-f|-N], maintail, reread, update,
avail, add, remove, clear, shutdown, reload, version, and an interactive
prompt when no command is given (or with -i).
"""

from __future__ import annotations

import argparse
import sys
import xmlrpc.client
from collections.abc import Callable
from typing import Any

from fastwsgi.control.ctl_base import (
    GENERIC,
    INVALID_ARGS,
    NOT_RUNNING,
    STATUS_NOT_RUNNING,
    STATUS_UNKNOWN,
)
from fastwsgi.control.ctl_client import ClientOptions, follow, write_out
from fastwsgi.control.ctl_config import HELP, ConfigCommands
from fastwsgi.control.faults import Faults
from fastwsgi.supervisor.names import make_namespec, split_namespec
from fastwsgi.supervisor.states import STOPPED_STATES

# The words of a group/all result and of a fault, by command.
START_WORDS = {Faults.BAD_NAME: "no such process", Faults.NO_FILE: "no such file",
               Faults.NOT_EXECUTABLE: "file is not executable",
               Faults.ALREADY_STARTED: "already started", Faults.SPAWN_ERROR: "spawn error",
               Faults.ABNORMAL_TERMINATION: "abnormal termination"}
SIGNAL_WORDS = {Faults.BAD_NAME: "no such process", Faults.BAD_SIGNAL: "bad signal name",
                Faults.NOT_RUNNING: "not running"}
CLEAR_WORDS = {Faults.BAD_NAME: "no such process", Faults.FAILED: "failed"}



def _result_line(result: dict[str, Any], words: dict[int, str], success: str) -> str:
    name = make_namespec(result["group"], result["name"])
    code = result["status"]
    if code == Faults.SUCCESS:
        return f"{name}: {success}"
    if code == Faults.FAILED and words is SIGNAL_WORDS:
        return str(result["description"])
    if code in words:
        return f"{name}: ERROR ({words[code]})"
    raise ValueError(f"Unknown result code {code} for {name}")


class Controller(ConfigCommands):
    def do_help(self, arg: str) -> None:
        topic = arg.strip()
        if topic in HELP:
            self.output(HELP[topic])
        elif topic == "help":
            self.output("help\t\tPrint a list of available actions\n"
                        "help <action>\tPrint help for <action>")
        elif topic:
            self.output(f"*** No help on {topic}")
        else:
            self.output("")
            self.print_topics("default commands (type help <topic>):",
                              sorted({*HELP, "help"}), 15, 80)

    def do_EOF(self, arg: str) -> bool:
        self.output("")
        return True

    def do_quit(self, arg: str) -> bool:
        return self.do_EOF(arg)

    do_exit = do_quit

    # --- status and pid ------------------------------------------------------------
    def do_status(self, arg: str) -> None:
        if not self.upcheck():
            self.exitstatus = STATUS_UNKNOWN
            return
        infos = self.api().getAllProcessInfo()
        names = arg.split()
        if names and "all" not in names:
            matching = []
            for name in names:
                group_name, process_name = split_namespec(name)
                found = [i for i in infos if i["group"] == group_name
                         and (process_name is None or i["name"] == process_name)]
                if not found:
                    what = "no such group" if process_name is None else "no such process"
                    self.output(f"{group_name if process_name is None else name}: "
                                f"ERROR ({what})")
                    self.exitstatus = STATUS_UNKNOWN
                matching.extend(found)
            infos = matching
        specs = [make_namespec(i["group"], i["name"]) for i in infos]
        width = max([30, *map(len, specs)]) + 3
        for spec, info in zip(specs, infos, strict=True):
            self.output(f"{spec:<{width}}{info['statename']:<10}{info['description']}")
        if any(info["state"] in STOPPED_STATES for info in infos):
            self.exitstatus = STATUS_NOT_RUNNING

    def do_pid(self, arg: str) -> None:
        if not self.upcheck():
            return
        names = arg.split()
        if not names:
            self.output(str(self.api().getPID()))
            return
        if "all" in names:
            for info in self.api().getAllProcessInfo():
                self.output(str(info["pid"]))
            return
        for name in names:
            try:
                pid = self.api().getProcessInfo(name)["pid"]
            except xmlrpc.client.Fault as exc:
                self.exitstatus = GENERIC
                if exc.faultCode != Faults.BAD_NAME:
                    raise
                self.output(f"No such process {name}")
                continue
            self.output(str(pid))
            if pid == 0:
                self.exitstatus = NOT_RUNNING

    # --- start, stop, restart, signal --------------------------------------------------
    def _each(self, names: list[str], group_call: Callable[[str], list[dict[str, Any]]],
              one_call: Callable[[str], Any], words: dict[int, str], success: str,
              ignored: int | None, bad_group_status: int = GENERIC) -> None:
        for name in names:
            group_name, process_name = split_namespec(name)
            if process_name is None:
                try:
                    results = group_call(group_name)
                except xmlrpc.client.Fault as exc:
                    if exc.faultCode != Faults.BAD_NAME:
                        self.exitstatus = GENERIC
                        raise
                    self.output(f"{group_name}: ERROR (no such group)")
                    self.exitstatus = bad_group_status
                    continue
                for result in results:
                    self.output(_result_line(result, words, success))
                    self.fault_status(result["status"], ignored)
                continue
            try:
                one_call(name)
            except xmlrpc.client.Fault as exc:
                error = {"status": exc.faultCode, "name": process_name, "group": group_name,
                         "description": exc.faultString}
                self.output(_result_line(error, words, success))
                self.fault_status(exc.faultCode, ignored)
            else:
                self.output(f"{make_namespec(group_name, process_name)}: {success}")

    def _all(self, results: list[dict[str, Any]], words: dict[int, str], success: str,
             ignored: int | None) -> None:
        for result in results:
            self.output(_result_line(result, words, success))
            self.fault_status(result["status"], ignored)

    def _need_names(self, command: str, names: list[str], status: int = GENERIC) -> bool:
        if names:
            return True
        self.output(f"Error: {command} requires a process name")
        self.exitstatus = status
        self.output(HELP[command])
        return False

    def do_start(self, arg: str) -> None:
        if not self.upcheck():
            return
        names = arg.split()
        if not self._need_names("start", names, INVALID_ARGS):
            return
        api = self.api()
        if "all" in names:
            self._all(api.startAllProcesses(), START_WORDS, "started", Faults.ALREADY_STARTED)
            return
        self._each(names, api.startProcessGroup, api.startProcess, START_WORDS, "started",
                   Faults.ALREADY_STARTED, bad_group_status=INVALID_ARGS)

    def do_stop(self, arg: str) -> None:
        if not self.upcheck():
            return
        names = arg.split()
        if not self._need_names("stop", names):
            return
        api = self.api()
        if "all" in names:
            self._all(api.stopAllProcesses(), SIGNAL_WORDS, "stopped", Faults.NOT_RUNNING)
            return
        self._each(names, api.stopProcessGroup, api.stopProcess, SIGNAL_WORDS, "stopped",
                   Faults.NOT_RUNNING)

    def do_restart(self, arg: str) -> None:
        if not self.upcheck():
            return
        if not self._need_names("restart", arg.split()):
            return
        self.do_stop(arg)
        self.do_start(arg)

    def do_signal(self, arg: str) -> None:
        if not self.upcheck():
            return
        args = arg.split()
        if len(args) < 2:
            self.output("Error: signal requires a signal name and a process name")
            self.output(HELP["signal"])
            self.exitstatus = GENERIC
            return
        sig, names = args[0], args[1:]
        api = self.api()
        if "all" in names:
            self._all(api.signalAllProcesses(sig), SIGNAL_WORDS, "signalled", None)
            return
        self._each(names, lambda group: api.signalProcessGroup(group, sig),
                   lambda name: api.signalProcess(name, sig), SIGNAL_WORDS, "signalled", None)

    # --- logs ----------------------------------------------------------------------------
    def _tail_follow(self, path: str) -> None:
        self.output("==> Press Ctrl-C to exit <==")
        try:
            for data in follow(self.options, path):
                write_out(data)
        except KeyboardInterrupt:
            self.output("")

    def do_tail(self, arg: str) -> None:
        if not self.upcheck():
            return
        args = arg.split()
        if not 1 <= len(args) <= 3:
            self.output(f"Error: too {'few' if not args else 'many'} arguments")
            self.exitstatus = GENERIC
            self.output(HELP["tail"])
            return
        modifier = args.pop(0) if args[0].startswith("-") else None
        if not args:
            self.output("Error: tail requires process name")
            self.exitstatus = GENERIC
            return
        name, channel = args[0], (args[-1].lower() if len(args) > 1 else "stdout")
        if channel not in ("stdout", "stderr"):
            self.output(f"Error: bad channel {channel!r}")
            self.exitstatus = GENERIC
            return
        nbytes = 1600
        if modifier == "-f":
            self._tail_follow(f"/logtail/{name}/{channel}")
            return
        if modifier is not None:
            try:
                nbytes = int(modifier[1:])
            except ValueError:
                self.output(f"Error: bad argument {modifier}")
                self.exitstatus = GENERIC
                return
        api = self.api()
        read = api.readProcessStdoutLog if channel == "stdout" else api.readProcessStderrLog
        try:
            self.output(read(name, -nbytes, 0))
        except xmlrpc.client.Fault as exc:
            self._log_fault(name, exc)

    def _log_fault(self, name: str, exc: xmlrpc.client.Fault) -> None:
        self.exitstatus = GENERIC
        words = {Faults.NO_FILE: "no log file", Faults.FAILED: "unknown error reading log",
                 Faults.BAD_NAME: "no such process name"}
        if exc.faultCode not in words or (name == "supervisord"
                                          and exc.faultCode == Faults.BAD_NAME):
            raise exc
        self.output(f"{name}: ERROR ({words[exc.faultCode]})")

    def do_maintail(self, arg: str) -> None:
        if not self.upcheck():
            return
        args = arg.split()
        nbytes = 1600
        if len(args) > 1:
            self.output("Error: too many arguments")
            self.exitstatus = GENERIC
            self.output(HELP["maintail"])
            return
        if args:
            if args[0] == "-f":
                self._tail_follow("/mainlogtail")
                return
            try:
                if not args[0].startswith("-"):
                    raise ValueError(args[0])
                nbytes = int(args[0][1:])
            except ValueError:
                self.output(f"Error: bad argument {args[0]}")
                self.exitstatus = GENERIC
                return
        try:
            self.output(self.api().readLog(-nbytes, 0))
        except xmlrpc.client.Fault as exc:
            self._log_fault("supervisord", exc)

    def do_clear(self, arg: str) -> None:
        if not self.upcheck():
            return
        names = arg.split()
        if not self._need_names("clear", names):
            return
        api = self.api()
        if "all" in names:
            self._all(api.clearAllProcessLogs(), CLEAR_WORDS, "cleared", None)
            return
        for name in names:
            group_name, process_name = split_namespec(name)
            try:
                api.clearProcessLogs(name)
            except xmlrpc.client.Fault as exc:
                error = {"status": exc.faultCode, "name": process_name, "group": group_name}
                self.output(_result_line(error, CLEAR_WORDS, "cleared"))
                self.fault_status(exc.faultCode)
            else:
                self.output(f"{make_namespec(group_name, str(process_name))}: cleared")



def parse_args(argv: list[str]) -> ClientOptions:
    parser = argparse.ArgumentParser(prog="fastwsgi ctl", description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--configuration", help="configuration file path "
                        "(searches if not given)")
    parser.add_argument("-i", "--interactive", action="store_true",
                        help="start an interactive shell after executing commands")
    parser.add_argument("-s", "--serverurl", help="URL on which supervisord server is "
                        'listening (default "http://localhost:9001")')
    parser.add_argument("-u", "--username", help="username to use for authentication")
    parser.add_argument("-p", "--password", help="password to use for authentication")
    parser.add_argument("action", nargs=argparse.REMAINDER, help="a command and its arguments")
    args = parser.parse_args(argv)
    options = ClientOptions()
    path = args.configuration or options.find_config()
    if path is not None:
        try:
            options.read_config(path)
        except ValueError as exc:
            parser.exit(2, f"Error: {exc}\nFor help, use fastwsgi ctl -h\n")
    for name in ("serverurl", "username", "password"):
        if getattr(args, name) is not None:
            setattr(options, name, getattr(args, name))
    options.args = args.action
    options.interactive = args.interactive or not args.action
    return options


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    controller = Controller(options)
    if options.args:
        controller.onecmd(" ".join(options.args))
        if not options.interactive:
            return controller.exitstatus
    try:
        controller.cmdqueue.append("status")
        controller.cmdloop()
    except KeyboardInterrupt:
        controller.output("")
    return 0  # the interactive shell always exits 0, as supervisorctl's


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
