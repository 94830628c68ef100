"""supervisord.conf parsing: sections, expansions, includes, errors naming file/section/option."""

from __future__ import annotations

import os
import platform
import signal
import socket
from pathlib import Path

import pytest

from fastwsgi.config.loading import is_supervisor_config
from fastwsgi.supervisor import datatypes as dt
from fastwsgi.supervisor.ini import ConfigFileError, read_config

HEAD = "[supervisord]\nlogfile=%(here)s/sd.log\npidfile=%(here)s/sd.pid\nchildlogdir=%(here)s\n"


def conf(tmp_path: Path, body: str, name: str = "s.conf") -> str:
    path = tmp_path / name
    path.write_text(HEAD + body)
    return str(path)


def processes(options: object) -> dict[str, object]:
    return {p.name: p for g in options.process_group_configs  # type: ignore[attr-defined]
            for p in g.process_configs}


def test_defaults_are_supervisors(tmp_path: Path) -> None:
    o = read_config(conf(tmp_path, "[program:a]\ncommand=/bin/cat\n"))
    p = processes(o)["a"]
    assert (p.priority, p.autostart, p.autorestart, p.startsecs, p.startretries) == \
        (999, True, dt.RestartWhenExitUnexpected, 1, 3)
    assert (p.exitcodes, p.stopsignal, p.stopwaitsecs, p.stopasgroup, p.killasgroup) == \
        ([0], signal.SIGTERM, 10, False, False)
    assert p.stdout_logfile is dt.Automatic and p.stdout_logfile_maxbytes == 50 * 1024 * 1024
    assert p.stdout_logfile_backups == 10 and p.redirect_stderr is False
    assert p.fatal_exits_master is False
    assert o.identifier == "supervisor" and o.logfile == str(tmp_path / "sd.log")
    assert o.umask == 0o22 and o.minfds == 1024 and o.minprocs == 200


def test_numprocs_process_name_widths_and_expansions(tmp_path: Path) -> None:
    body = ("[program:w]\ncommand=/bin/echo %(program_name)s %(process_num)d of %(numprocs)d "
            "on %(host_node_name)s in %(group_name)s %(ENV_HOME)s\n"
            "process_name=%(program_name)s_%(process_num)02d\nnumprocs=3\nnumprocs_start=1\n"
            "stdout_logfile=%(here)s/w-%(process_num)s.log\n"
            "environment=A=\"x,y\",B=%(process_num)d\n")
    o = read_config(conf(tmp_path, body), environ={"HOME": "/home/u"})
    procs = processes(o)
    assert sorted(procs) == ["w_01", "w_02", "w_03"]
    p = procs["w_02"]
    assert p.command == f"/bin/echo w 2 of 3 on {platform.node()} in w /home/u"
    assert p.stdout_logfile == str(tmp_path / "w-2.log")
    assert p.environment == {"A": "x,y", "B": "2"}


def test_env_from_supervisord_environment(tmp_path: Path) -> None:
    body = "[program:a]\ncommand=/bin/echo %(ENV_FOO)s\nenvironment=BAR=1\n"
    text = HEAD + "environment=FOO=from_supervisord\n" + body
    (tmp_path / "s.conf").write_text(text)
    o = read_config(str(tmp_path / "s.conf"), environ={})
    p = processes(o)["a"]
    assert p.command == "/bin/echo from_supervisord"
    assert p.environment == {"FOO": "from_supervisord", "BAR": "1"}


def test_group_section_takes_its_programs(tmp_path: Path) -> None:
    body = ("[program:a]\ncommand=/bin/cat\npriority=5\n[program:b]\ncommand=/bin/cat\n"
            "priority=1\n[program:c]\ncommand=/bin/cat\n[group:g]\nprograms=a,b\npriority=7\n")
    o = read_config(conf(tmp_path, body))
    groups = {g.name: g for g in o.process_group_configs}
    assert sorted(groups) == ["c", "g"]
    assert [p.name for p in groups["g"].process_configs] == ["b", "a"]  # priority order
    assert groups["g"].priority == 7


def test_include_globs_relative_to_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "x.ini").write_text("[program:x]\ncommand=/bin/cat %(here)s\n")
    (tmp_path / "conf.d" / "y.ini").write_text("[program:y]\ncommand=/bin/cat\n")
    path = conf(tmp_path, "[include]\nfiles = conf.d/*.ini\n")
    o = read_config(path)
    procs = processes(o)
    assert sorted(procs) == ["x", "y"]
    assert procs["x"].command == f"/bin/cat {tmp_path / 'conf.d'}"


def test_servers_and_serverurl(tmp_path: Path) -> None:
    body = ("[unix_http_server]\nfile=%(here)s/s.sock\nchmod=0770\nusername=u\npassword={SHA}ab\n"
            "[inet_http_server]\nport=127.0.0.1:9001\n"
            "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n")
    o = read_config(conf(tmp_path, body))
    by_family = {c["family"]: c for c in o.server_configs}
    unix = by_family[socket.AF_UNIX]
    assert unix["file"] == str(tmp_path / "s.sock") and unix["chmod"] == 0o770
    assert unix["chown"] == (-1, -1) and unix["username"] == "u" and unix["password"] == "{SHA}ab"
    inet = by_family[socket.AF_INET]
    assert (inet["host"], inet["port"]) == ("127.0.0.1", 9001)
    assert o.serverurl == f"unix://{tmp_path / 's.sock'}"
    assert o.supervisorctl["serverurl"] == f"unix://{tmp_path / 's.sock'}"
    assert o.parse_warnings == []


@pytest.mark.parametrize(("option", "value", "words"), [
    ("startsecs", "soon", "not an integer"),
    ("autostart", "maybe", "not a valid boolean"),
    ("autorestart", "sometimes", "invalid 'autorestart' value"),
    ("stopsignal", "SIGNOPE", "not a valid signal name"),
    ("exitcodes", "0,256", "not a valid list of exit codes"),
    ("umask", "09", "can not be converted to an octal type"),
    ("stdout_logfile_maxbytes", "10XB", "not a valid byte size"),
    ("stdout_logfile", "/no/such/dir/x.log", "does not exist"),
    ("command", "/bin/cat %(nope)s", "cannot be expanded"),
])
def test_a_bad_value_names_file_section_option_and_value(tmp_path: Path, option: str,
                                                       value: str, words: str) -> None:
    lines = {"command": "/bin/cat", option: value}
    path = conf(tmp_path, "[program:a]\n" + "".join(f"{k}={v}\n" for k, v in lines.items()))
    with pytest.raises(ConfigFileError) as info:
        read_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: [program:a] {option} = {value!r}: ")
    assert words in message


def test_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "inc.conf").write_text("[program:z]\ncommand=/bin/cat\nstartretries=x\n")
    path = conf(tmp_path, "[include]\nfiles=inc.conf\n")
    with pytest.raises(ConfigFileError, match=f"^{tmp_path / 'inc.conf'}: \\[program:z\\] "
                                              "startretries = 'x'"):
        read_config(path)


@pytest.mark.parametrize("section", ["eventlistener:ev", "fcgi-program:f"])
def test_refused_sections_are_named(tmp_path: Path, section: str) -> None:
    path = conf(tmp_path, f"[{section}]\ncommand=/bin/cat\n")
    with pytest.raises(ConfigFileError, match=f"\\[{section}\\]: .* not supported by fastwsgi"):
        read_config(path)


def test_rules_supervisor_enforces(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="process_num. must be present"):
        read_config(conf(tmp_path, "[program:a]\ncommand=/bin/cat\nnumprocs=2\n"))
    with pytest.raises(ConfigFileError, match="does not specify a command"):
        read_config(conf(tmp_path, "[program:a]\nautostart=true\n"))
    with pytest.raises(ConfigFileError, match="Cannot set stopasgroup=true and killasgroup"):
        read_config(conf(tmp_path, "[program:a]\ncommand=x\nstopasgroup=true\n"
                                   "killasgroup=false\n"))
    with pytest.raises(ConfigFileError, match="names unknown program"):
        read_config(conf(tmp_path, "[group:g]\nprograms=nope\n"))
    with pytest.raises(ConfigFileError, match="incomplete authentication"):
        read_config(conf(tmp_path, "[inet_http_server]\nport=9001\nusername=u\n"))
    (tmp_path / "n.conf").write_text("[program:a]\ncommand=x\n")
    with pytest.raises(ConfigFileError, match="does not include supervisord section"):
        read_config(str(tmp_path / "n.conf"))


def test_stopasgroup_implies_killasgroup_and_redirect_drops_stderr_log(tmp_path: Path) -> None:
    o = read_config(conf(tmp_path, "[program:a]\ncommand=x\nstopasgroup=true\n"
                                   "redirect_stderr=true\n"))
    p = processes(o)["a"]
    assert p.killasgroup is True and p.stderr_logfile is None


def test_fastwsgi_keys_and_unknown_keys(tmp_path: Path) -> None:
    o = read_config(conf(tmp_path, "[program:a]\ncommand=x\nfatal_exits_master=true\n"
                                   "log_prefix=true\nfrobnicate=1\n"))
    p = processes(o)["a"]
    assert p.fatal_exits_master is True and p.log_prefix is True
    assert o.parse_warnings == ["[program:a] frobnicate: not a supervisord option; ignored"]


def test_reread_keeps_the_old_model_when_the_new_file_is_bad(tmp_path: Path) -> None:
    path = conf(tmp_path, "[program:a]\ncommand=x\n")
    o = read_config(path)
    Path(path).write_text(HEAD + "[program:a]\ncommand=x\nstartsecs=bad\n")
    with pytest.raises(ValueError, match="startsecs"):
        o.process_config()
    assert list(processes(o)) == ["a"]


def test_equality_is_what_update_compares(tmp_path: Path) -> None:
    path = conf(tmp_path, "[program:a]\ncommand=x\n[program:b]\ncommand=y\n")
    one, two = read_config(path), read_config(path)
    assert one.process_group_configs == two.process_group_configs
    Path(path).write_text(HEAD + "[program:a]\ncommand=x\n[program:b]\ncommand=z\n")
    three = read_config(path)
    assert one.process_group_configs[0] == three.process_group_configs[0]
    assert one.process_group_configs[1] != three.process_group_configs[1]


def test_ini_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    python = tmp_path / "gunicorn.conf"
    python.write_text("# gunicorn config\nbind = '127.0.0.1:0'\nworkers = 2\n")
    ini = tmp_path / "site.txt"
    ini.write_text("; comment\n[supervisord]\n[program:a]\ncommand=x\n")
    assert not is_supervisor_config(str(python))
    assert is_supervisor_config(str(ini))
    assert is_supervisor_config(f"file:{ini}")
    assert not is_supervisor_config("python:site")


@pytest.mark.parametrize(("text", "value"), [("1KB", 1024), ("2mb", 2 << 20), ("1GB", 1 << 30),
                                             ("100", 100)])
def test_byte_size(text: str, value: int) -> None:
    assert dt.byte_size(text) == value


def test_small_validators() -> None:
    assert dt.signal_number("hup") == signal.SIGHUP and dt.signal_number("9") == 9
    assert dt.auto_restart("TRUE") is dt.RestartUnconditionally
    assert dt.auto_restart("off") is False
    assert dt.list_of_exitcodes("0,2") == [0, 2]
    assert dt.inet_address("*:9001") == ("", 9001) and dt.inet_address("9001") == ("", 9001)
    assert dt.logfile_name("NONE") is None and dt.logfile_name("auto") is dt.Automatic
    assert dt.octal_type("022") == 0o22
    with pytest.raises(ValueError, match="Invalid name"):
        dt.process_or_group_name("a:b")


def test_a_wsgi_program_waits_its_graceful_timeout_before_sigkill(tmp_path: Path) -> None:
    body = ("[program:web]\ncommand=fastwsgi app:app --graceful-timeout 12\n"
            "[program:gu]\ncommand=/venv/bin/gunicorn app:app\n"
            "[program:mine]\ncommand=fastwsgi app:app\nstopwaitsecs=3\n"
            "[program:other]\ncommand=/bin/cat\n")
    procs = processes(read_config(conf(tmp_path, body)))
    assert procs["web"].stopwaitsecs == 17 and procs["web"].wsgi_argv == [
        "app:app", "--graceful-timeout", "12"]
    assert procs["gu"].stopwaitsecs == 35
    assert procs["mine"].stopwaitsecs == 3  # as written
    assert procs["other"].stopwaitsecs == 10 and procs["other"].wsgi_argv is None


def test_reopenlogs_reopens_the_main_log_by_path(tmp_path: Path) -> None:
    from fastwsgi.supervisor import mainlog
    o = read_config(conf(tmp_path, "[program:a]\ncommand=x\n"))
    logger = mainlog.make_logger(o, foreground=False)
    try:
        logger.info("one")
        os.remove(o.logfile)  # clearLog
        o.reopenlogs()
        logger.info("two")
        text = Path(o.logfile).read_text()
        assert "one" not in text and text.endswith("INFO two\n")
    finally:
        mainlog.close_logger(logger)
