"""The supervisor and system XML-RPC namespaces against small fakes of the
model: supervisor's faults, wait semantics, orderings and fields. The
introspection test compares with the installed supervisor's own classes."""

from __future__ import annotations

import asyncio
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
import uvloop

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.http import Request
from fastwsgi.control.rpcinterface import SupervisorNamespaceRPCInterface, make_namespaces
from fastwsgi.control.xmlrpc import SystemNamespaceRPCInterface, XMLRPCHandler, call
from fastwsgi.supervisor.states import ProcessStates
from tests.control.fakes import FakeSupervisor


def run(coro: Any) -> Any:
    return uvloop.run(coro)


def rpc(sup: FakeSupervisor, method: str, *params: Any) -> Any:
    """Call ``method`` as /RPC2 would (inside a loop, awaiting coroutines)."""
    namespaces = SystemNamespaceRPCInterface(make_namespaces(sup)).namespaces
    return run(call(namespaces, method, params))


def fault(sup: FakeSupervisor, method: str, *params: Any) -> tuple[int, str]:
    with pytest.raises(RPCError) as info:
        rpc(sup, method, *params)
    return info.value.code, info.value.text


@pytest.fixture
def sup() -> FakeSupervisor:
    s = FakeSupervisor()
    s.add("web", s.process("web"))
    s.add("grp", s.process("b", priority=5), s.process("a", priority=10), priority=100)
    return s


def test_introspection_is_supervisors() -> None:
    supervisor_rpc = pytest.importorskip("supervisor.rpcinterface")
    supervisor_xmlrpc = pytest.importorskip("supervisor.xmlrpc")
    ref = supervisor_xmlrpc.SystemNamespaceRPCInterface(
        [("supervisor", supervisor_rpc.SupervisorNamespaceRPCInterface(None))])
    ours = SystemNamespaceRPCInterface(make_namespaces(None))
    assert ours.listMethods() == ref.listMethods()
    for method in ref.listMethods():
        assert ours.methodHelp(method) == ref.methodHelp(method), method
        try:
            expected = ref.methodSignature(method)
        except supervisor_xmlrpc.RPCError as exc:
            with pytest.raises(RPCError) as info:
                ours.methodSignature(method)
            assert info.value.code == exc.code
        else:
            assert ours.methodSignature(method) == expected, method


def test_daemon_methods(sup: FakeSupervisor) -> None:
    assert rpc(sup, "supervisor.getAPIVersion") == "3.0"
    assert rpc(sup, "supervisor.getVersion") == "3.0"
    assert rpc(sup, "supervisor.getIdentification") == "supervisor"
    assert rpc(sup, "supervisor.getPID") == 1234
    assert rpc(sup, "supervisor.getState") == {"statecode": 1, "statename": "RUNNING"}
    assert rpc(sup, "supervisor.shutdown") is True
    assert fault(sup, "supervisor.getState") == (Faults.SHUTDOWN_STATE, "SHUTDOWN_STATE")


def test_method_resolution_is_safe(sup: FakeSupervisor) -> None:
    for name in ("supervisor._update", "supervisor.supervisord", "a.b.c", "nope.x",
                 "getState"):
        assert fault(sup, name)[0] == Faults.UNKNOWN_METHOD, name
    assert fault(sup, "supervisor.getState", 1) == (Faults.INCORRECT_PARAMETERS,
                                                    "INCORRECT_PARAMETERS")


def test_bad_names(sup: FakeSupervisor) -> None:
    assert fault(sup, "supervisor.startProcess", "nope") == (Faults.BAD_NAME, "BAD_NAME: nope")
    assert fault(sup, "supervisor.startProcess", "grp:zz") == (Faults.BAD_NAME,
                                                               "BAD_NAME: grp:zz")
    assert fault(sup, "supervisor.getProcessInfo", "grp:*")[0] == Faults.BAD_NAME
    assert fault(sup, "supervisor.stopProcessGroup", "nope")[0] == Faults.BAD_NAME


def test_start_waits_for_running(sup: FakeSupervisor) -> None:
    process = sup.process_groups["web"].processes["web"]
    assert rpc(sup, "supervisor.startProcess", "web") is True
    assert process.state == ProcessStates.RUNNING
    assert sup.reaped >= 1
    assert fault(sup, "supervisor.startProcess", "web") == (Faults.ALREADY_STARTED,
                                                            "ALREADY_STARTED: web")


def test_start_without_wait_returns_at_once(sup: FakeSupervisor) -> None:
    process = sup.process_groups["web"].processes["web"]
    process.startup = 5.0
    t0 = time.monotonic()
    assert rpc(sup, "supervisor.startProcess", "web", False) is True
    assert time.monotonic() - t0 < 1
    assert process.state == ProcessStates.STARTING


@pytest.mark.parametrize("behaviour, code", [
    ("dies", Faults.SPAWN_ERROR), ("exits", Faults.ABNORMAL_TERMINATION),
    ("cantspawn", Faults.SPAWN_ERROR)])
def test_start_failures(behaviour: str, code: int) -> None:
    sup = FakeSupervisor()
    sup.add("bad", sup.process("bad", behaviour))
    assert fault(sup, "supervisor.startProcess", "bad")[0] == code


def test_command_errors_are_faults() -> None:
    from fastwsgi.supervisor import process as model
    sup = FakeSupervisor()
    sup.add("x", sup.process("x"))
    proc = sup.process_groups["x"].processes["x"]
    proc.execv_error = model.NotFound("can't find command '/nope'")
    assert fault(sup, "supervisor.startProcess", "x") == (
        Faults.NO_FILE, "NO_FILE: can't find command '/nope'")
    proc.execv_error = model.NotExecutable("command at '/etc' is a directory")
    assert fault(sup, "supervisor.startProcess", "x")[0] == Faults.NOT_EXECUTABLE


def test_waiting_start_does_not_block_other_calls(sup: FakeSupervisor) -> None:
    sup.process_groups["web"].processes["web"].startup = 0.5
    namespaces = SystemNamespaceRPCInterface(make_namespaces(sup)).namespaces
    order: list[str] = []

    async def both() -> None:
        async def start() -> None:
            await call(namespaces, "supervisor.startProcess", ("web",))
            order.append("start")

        async def state() -> None:
            await asyncio.sleep(0.05)
            await call(namespaces, "supervisor.getState", ())
            order.append("state")
        await asyncio.gather(start(), state())
    run(both())
    assert order == ["state", "start"]


def test_group_start_and_stop_results(sup: FakeSupervisor) -> None:
    results = rpc(sup, "supervisor.startProcessGroup", "grp")
    assert [(r["name"], r["group"], r["status"], r["description"]) for r in results] == [
        ("b", "grp", Faults.SUCCESS, "OK"), ("a", "grp", Faults.SUCCESS, "OK")]
    assert rpc(sup, "supervisor.startProcessGroup", "grp") == []  # all running: nothing to do
    results = rpc(sup, "supervisor.startAllProcesses")
    assert [r["name"] for r in results] == ["web"]
    results = rpc(sup, "supervisor.stopProcess", "grp:*")
    assert [r["name"] for r in results] == ["b", "a"]
    assert fault(sup, "supervisor.stopProcess", "grp:a") == (Faults.NOT_RUNNING,
                                                             "NOT_RUNNING: grp:a")
    assert [r["name"] for r in rpc(sup, "supervisor.stopAllProcesses")] == ["web"]


def test_group_results_carry_each_fault() -> None:
    sup = FakeSupervisor()
    sup.add("g", sup.process("ok"), sup.process("bad", "dies"))
    results = {r["name"]: (r["status"], r["description"])
               for r in rpc(sup, "supervisor.startProcessGroup", "g")}
    assert results == {"ok": (Faults.SUCCESS, "OK"),
                       "bad": (Faults.SPAWN_ERROR, "SPAWN_ERROR: g:bad")}


def test_signals(sup: FakeSupervisor) -> None:
    assert fault(sup, "supervisor.signalProcess", "web", "HUP")[0] == Faults.NOT_RUNNING
    rpc(sup, "supervisor.startProcess", "web")
    assert fault(sup, "supervisor.signalProcess", "web", "NOPE") == (Faults.BAD_SIGNAL,
                                                                    "BAD_SIGNAL: NOPE")
    assert rpc(sup, "supervisor.signalProcess", "web", "HUP") is True
    assert rpc(sup, "supervisor.signalProcess", "web", "10") is True
    assert sup.process_groups["web"].processes["web"].signals == [1, 10]
    assert rpc(sup, "supervisor.signalProcessGroup", "grp", "HUP") == []
    results = rpc(sup, "supervisor.signalAllProcesses", "USR1")
    assert [(r["name"], r["status"]) for r in results] == [("web", Faults.SUCCESS)]


def test_process_info_fields(sup: FakeSupervisor) -> None:
    info = rpc(sup, "supervisor.getProcessInfo", "grp:a")
    assert set(info) == {"name", "group", "start", "stop", "now", "state", "statename",
                         "spawnerr", "exitstatus", "logfile", "stdout_logfile",
                         "stderr_logfile", "pid", "description"}
    assert (info["name"], info["group"], info["statename"], info["description"]) == (
        "a", "grp", "STOPPED", "Not started")
    rpc(sup, "supervisor.startProcess", "web")
    infos = rpc(sup, "supervisor.getAllProcessInfo")
    assert [(i["group"], i["name"]) for i in infos] == [("grp", "a"), ("grp", "b"),
                                                         ("web", "web")]
    assert infos[2]["description"].startswith("pid 4242, uptime ")
    xmlrpc.client.dumps((infos,), methodresponse=True)  # every value can be marshalled


def test_config_info_fields(sup: FakeSupervisor) -> None:
    from fastwsgi.supervisor import datatypes
    sup.process_groups["web"].processes["web"].config.stdout_logfile = datatypes.Automatic
    infos = rpc(sup, "supervisor.getAllConfigInfo")
    assert [i["name"] for i in infos] == ["a", "b", "web"]
    web = infos[2]
    assert set(web) == {
        "autostart", "directory", "uid", "command", "exitcodes", "group", "group_prio",
        "inuse", "killasgroup", "name", "process_prio", "redirect_stderr", "startretries",
        "startsecs", "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_logfile",
        "stdout_logfile_backups", "stdout_logfile_maxbytes", "stdout_syslog", "stopsignal",
        "stopwaitsecs", "stderr_capture_maxbytes", "stderr_events_enabled", "stderr_logfile",
        "stderr_logfile_backups", "stderr_logfile_maxbytes", "stderr_syslog", "serverurl"}
    assert (web["stdout_logfile"], web["directory"], web["uid"], web["stopsignal"],
            web["inuse"]) == ("auto", "none", "none", 15, True)


def test_logs(sup: FakeSupervisor, tmp_path: Path) -> None:
    log = tmp_path / "web.log"
    log.write_bytes(b"0123456789")
    config = sup.process_groups["web"].processes["web"].config
    config.stdout_logfile = str(log)
    assert rpc(sup, "supervisor.readProcessStdoutLog", "web", -4, 0) == "6789"
    assert rpc(sup, "supervisor.readProcessLog", "web", 2, 3) == "234"
    assert fault(sup, "supervisor.readProcessStdoutLog", "web", -4, 2)[0] == Faults.BAD_ARGUMENTS
    assert fault(sup, "supervisor.readProcessStderrLog", "web", 0, 0) == (Faults.NO_FILE,
                                                                         "NO_FILE")
    reference = pytest.importorskip("supervisor.options")
    for offset, length in [(0, 4), (8, 4), (10, 4), (12, 4), (0, 100), (3, 0)]:
        assert rpc(sup, "supervisor.tailProcessStdoutLog", "web", offset, length) == \
            reference.tailFile(str(log), offset, length), (offset, length)
    for offset, length in [(-4, 0), (-40, 0), (0, 0), (2, 3), (20, 0)]:
        assert rpc(sup, "supervisor.readProcessStdoutLog", "web", offset, length) == \
            reference.readFile(str(log), offset, length).decode(), (offset, length)
    assert rpc(sup, "supervisor.tailProcessStderrLog", "web", 0, 4) == ["", 0, False]
    config.stderr_logfile = "/dev/null"  # not a regular file: never read back
    assert fault(sup, "supervisor.readProcessStderrLog", "web", -10, 0)[0] == Faults.NO_FILE
    assert rpc(sup, "supervisor.clearProcessLogs", "web") is True
    assert log.read_bytes() == b""
    results = rpc(sup, "supervisor.clearAllProcessLogs")
    assert [(r["name"], r["status"]) for r in results] == [
        ("b", Faults.SUCCESS), ("a", Faults.SUCCESS), ("web", Faults.SUCCESS)]


def test_main_log(sup: FakeSupervisor, tmp_path: Path) -> None:
    assert fault(sup, "supervisor.readLog", 0, 0) == (Faults.NO_FILE, "NO_FILE")
    main = tmp_path / "supervisord.log"
    main.write_text("line one\nline two\n")
    sup.options.logfile = str(main)
    assert rpc(sup, "supervisor.readLog", -9, 0) == "line two\n"
    assert rpc(sup, "supervisor.readMainLog", 0, 4) == "line"
    assert rpc(sup, "supervisor.clearLog") is True
    assert not main.exists() and sup.options.reopened == 1
    assert fault(sup, "supervisor.clearLog") == (Faults.NO_FILE, "NO_FILE")


def test_config_methods(sup: FakeSupervisor) -> None:
    assert rpc(sup, "supervisor.reloadConfig") == [[["new"], [], ["old"]]]
    sup.options.reread_error = "bad file"
    assert fault(sup, "supervisor.reloadConfig") == (Faults.CANT_REREAD,
                                                     "CANT_REREAD: bad file")
    assert fault(sup, "supervisor.addProcessGroup", "web") == (Faults.ALREADY_ADDED,
                                                               "ALREADY_ADDED: web")
    assert fault(sup, "supervisor.addProcessGroup", "zz")[0] == Faults.BAD_NAME
    rpc(sup, "supervisor.startProcess", "web")
    assert fault(sup, "supervisor.removeProcessGroup", "web")[0] == Faults.STILL_RUNNING
    assert rpc(sup, "supervisor.removeProcessGroup", "grp") is True
    assert fault(sup, "supervisor.removeProcessGroup", "grp")[0] == Faults.BAD_NAME
    assert rpc(sup, "supervisor.addProcessGroup", "grp") is True


def test_stdin_and_events(sup: FakeSupervisor) -> None:
    assert fault(sup, "supervisor.sendProcessStdin", "web", "x")[0] == Faults.NOT_RUNNING
    rpc(sup, "supervisor.startProcess", "web")
    assert fault(sup, "supervisor.sendProcessStdin", "web", 5)[0] == Faults.INCORRECT_PARAMETERS
    assert rpc(sup, "supervisor.sendProcessStdin", "web", "héllo\n") is True
    assert sup.process_groups["web"].processes["web"].stdin == "héllo\n".encode()
    assert rpc(sup, "supervisor.sendRemoteCommEvent", "type", "data") is True


def test_multicall(sup: FakeSupervisor) -> None:
    results = rpc(sup, "system.multicall", [
        {"methodName": "supervisor.getAPIVersion"},
        {"methodName": "supervisor.startProcess", "params": ["web"]},
        {"methodName": "supervisor.getProcessInfo", "params": ["nope"]},
        {"methodName": "system.multicall", "params": [[]]},
        {"params": []},
    ])
    assert results == [
        "3.0", True, {"faultCode": Faults.BAD_NAME, "faultString": "BAD_NAME: nope"},
        {"faultCode": Faults.INCORRECT_PARAMETERS,
         "faultString": "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"},
        {"faultCode": Faults.INCORRECT_PARAMETERS,
         "faultString": "INCORRECT_PARAMETERS: No methodName"}]


def test_rpc2_handler(sup: FakeSupervisor) -> None:
    handler = XMLRPCHandler(make_namespaces(sup))

    def post(body: bytes) -> tuple[int, bytes]:
        request = Request("POST", "/RPC2", "1.1", {}, None)
        request.body = body
        response = run(handler(request))
        return response.status, response.body

    status, body = post(xmlrpc.client.dumps((), "supervisor.getState").encode())
    assert status == 200
    assert xmlrpc.client.loads(body)[0][0] == {"statecode": 1, "statename": "RUNNING"}
    status, body = post(xmlrpc.client.dumps(("nope",), "supervisor.getProcessInfo").encode())
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(body)
    assert (info.value.faultCode, info.value.faultString) == (10, "BAD_NAME: nope")
    assert post(b"<not xml")[0] == 400
    assert post(b"<?xml version='1.0'?><methodCall><params/></methodCall>")[0] == 400


def test_namespace_has_no_public_helpers() -> None:
    public = {n for n in dir(SupervisorNamespaceRPCInterface) if not n.startswith("_")}
    assert "supervisord" not in public and "update_text" not in public
