"""The settings registry, the CLI it generates, config files and precedence."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastwsgi.config import (
    KNOWN_SETTINGS,
    Config,
    ignored_setting_names,
    load_config,
    resolve_worker_mode,
    sections,
    settings_by_name,
)
from fastwsgi.config import validators as v
from fastwsgi.config.worker_class import worker_class_patch
from fastwsgi.errors import ConfigError, HaltServer

# Every setting name of gunicorn 23 (config.py), kept here on purpose: a
# gunicorn config must never hit "unknown setting" for one of these.
GUNICORN_23_SETTINGS = [
    "config", "wsgi_app", "bind", "backlog", "workers", "worker_class", "threads",
    "worker_connections", "max_requests", "max_requests_jitter", "timeout",
    "graceful_timeout", "keepalive", "limit_request_line", "limit_request_fields",
    "limit_request_field_size", "reload", "reload_engine", "reload_extra_files", "spew",
    "check_config", "print_config", "preload_app", "sendfile", "reuse_port", "chdir",
    "daemon", "raw_env", "pidfile", "worker_tmp_dir", "user", "group", "umask",
    "initgroups", "tmp_upload_dir", "secure_scheme_headers", "forwarded_allow_ips",
    "accesslog", "disable_redirect_access_to_syslog", "access_log_format", "errorlog",
    "loglevel", "capture_output", "logger_class", "logconfig", "logconfig_dict",
    "logconfig_json", "syslog_addr", "syslog", "syslog_prefix", "syslog_facility",
    "enable_stdio_inheritance", "statsd_host", "dogstatsd_tags", "statsd_prefix",
    "proc_name", "default_proc_name", "pythonpath", "paste", "on_starting", "on_reload",
    "when_ready", "pre_fork", "post_fork", "post_worker_init", "worker_int", "worker_abort",
    "pre_exec", "pre_request", "post_request", "child_exit", "worker_exit",
    "nworkers_changed", "on_exit", "ssl_context", "proxy_protocol", "proxy_allow_ips",
    "keyfile", "certfile", "ssl_version", "cert_reqs", "ca_certs", "suppress_ragged_eofs",
    "do_handshake_on_connect", "ciphers", "raw_paste_global_conf",
    "permit_obsolete_folding", "strip_header_spaces", "permit_unconventional_http_method",
    "permit_unconventional_http_version", "casefold_http_method", "forwarder_headers",
    "header_map",
]

# Added by gunicorn 24 and 25 (ASGI, uWSGI, HTTP/2, dirty arbiters, control socket).
GUNICORN_24_25_SETTINGS = [
    "asgi_loop", "asgi_lifespan", "asgi_disconnect_grace_period", "http_parser",
    "root_path", "protocol", "uwsgi_allow_ips", "enable_backlog_metric", "http_protocols",
    "http2_max_concurrent_streams", "http2_initial_window_size", "http2_max_frame_size",
    "http2_max_header_list_size", "dirty_apps", "dirty_workers", "dirty_timeout",
    "dirty_threads", "dirty_graceful_timeout", "on_dirty_starting", "dirty_post_fork",
    "dirty_worker_init", "dirty_worker_exit", "control_socket", "control_socket_mode",
    "control_socket_disable",
]

FASTWSGI_SETTINGS = [
    "limit_request_body", "header_timeout", "max_worker_memory", "spool_threshold",
]

# Hook name -> the number of positional arguments gunicorn passes.
HOOK_ARITIES = {
    "on_starting": 1, "on_reload": 1, "when_ready": 1, "pre_fork": 2, "post_fork": 2,
    "post_worker_init": 1, "worker_int": 1, "worker_abort": 1, "pre_exec": 1,
    "pre_request": 2, "post_request": 4, "child_exit": 2, "worker_exit": 2,
    "nworkers_changed": 3, "on_exit": 1, "ssl_context": 2,
}

DEPLOYMENT_GUIDE_CONFIG = """\
import multiprocessing
bind = '0.0.0.0:9000'
workers = multiprocessing.cpu_count() * 2 + 1
backlog = 2048
worker_class = "gevent"
worker_connections = 1024
daemon = False
debug = True
timeout = 30
proc_name = 'image_handler'
pidfile = '/var/log/gunicorn.pid'
errorlog = '/var/log/gunicorn.log'
"""


@pytest.fixture(autouse=True)
def in_tmp_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Run in an empty directory, so no ./gunicorn.conf.py is picked up by accident."""
    monkeypatch.chdir(tmp_path)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield tmp_path
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def unknown_name_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage() for record in caplog.records
        if record.name == "fastwsgi.error" and record.levelno == logging.WARNING
    ]


# -- registry invariants ------------------------------------------------------------


def test_every_default_validates() -> None:
    for setting in KNOWN_SETTINGS:
        setting.validate(setting.initial({}))
    Config({})  # and the whole set builds


def test_every_setting_is_documented() -> None:
    for setting in KNOWN_SETTINGS:
        assert setting.desc and setting.short, setting.name
        assert setting.section, setting.name
        assert "\n" not in setting.short


def test_names_and_flags_are_unique() -> None:
    names = [setting.name for setting in KNOWN_SETTINGS]
    assert len(names) == len(set(names))
    flags = [flag for setting in KNOWN_SETTINGS for flag in setting.cli]
    assert len(flags) == len(set(flags))
    assert not {"-h", "--help", "-v", "--version"} & set(flags)


def test_all_gunicorn_settings_exist() -> None:
    known = settings_by_name()
    missing = [n for n in GUNICORN_23_SETTINGS + GUNICORN_24_25_SETTINGS if n not in known]
    assert missing == []
    assert all(name in known for name in FASTWSGI_SETTINGS)


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("workers", "-w"), ("bind", "-b"), ("worker_class", "-k"), ("timeout", "-t"),
        ("daemon", "-D"), ("raw_env", "-e"), ("pidfile", "-p"), ("user", "-u"),
        ("group", "-g"), ("umask", "-m"), ("proc_name", "-n"), ("config", "-c"),
        ("enable_stdio_inheritance", "-R"), ("keepalive", "--keep-alive"),
        ("limit_request_field_size", "--limit-request-field_size"),
        ("sendfile", "--no-sendfile"), ("errorlog", "--log-file"),
        ("accesslog", "--access-logfile"), ("preload_app", "--preload"),
        ("paste", "--paster"), ("proxy_allow_ips", "--proxy-allow-from"),
    ],
)
def test_gunicorn_flags(name: str, flag: str) -> None:
    assert flag in settings_by_name()[name].cli


def test_deliberate_defaults() -> None:
    cfg = Config({})
    assert cfg.keepalive == 75  # gunicorn: 2 (see the setting's description)
    assert cfg.limit_request_body == 0
    assert cfg.header_timeout == 30
    assert cfg.max_worker_memory == 0
    assert cfg.spool_threshold == 1048576
    assert (cfg.limit_request_line, cfg.limit_request_fields) == (4094, 100)
    assert (cfg.timeout, cfg.graceful_timeout, cfg.workers) == (30, 30, 1)
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.uid == os.geteuid() and cfg.gid == os.getegid()


def test_hooks_have_gunicorn_arities_and_noop_defaults() -> None:
    known = settings_by_name()
    for name, arity in HOOK_ARITIES.items():
        default = known[name].default
        assert v.accepts_positional(default, arity), name
        assert known[name].section == "Server Hooks"
    cfg = Config({})
    assert cfg.on_starting(object()) is None
    assert cfg.post_request(None, None, None, None) is None


def test_every_ignored_setting_says_what_is_lost() -> None:
    """The warning line of an accepted-but-ignored setting says what the user
    loses; every such setting has that text, and only those do."""
    for cls in KNOWN_SETTINGS:
        if cls.implemented:
            assert not cls.lost, cls.name
        else:
            assert len(cls.lost) > 20 and not cls.lost.endswith("."), cls.name


def test_ignored_settings_include_paste() -> None:
    ignored = set(ignored_setting_names())
    expected = {
        "paste", "reload_engine", "spew", "strip_header_spaces",
    }
    assert expected <= ignored
    assert not {"sendfile", "workers", "bind", "keepalive", "threads"} & ignored
    # TLS is served (config/settings_ssl.py; tests/tls/test_settings.py).
    assert not {"certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers"} & ignored


def test_sections_keep_gunicorn_grouping() -> None:
    names = [section for section, _ in sections()]
    assert names[:4] == ["Config File", "Server Socket", "Worker Processes", "Security"]
    assert sum(len(members) for _, members in sections()) == len(KNOWN_SETTINGS)


def test_help_lists_sections(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        Config.parser().parse_args(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "Worker Processes:" in out and "--keep-alive INT" in out and "[75]" in out


# -- command line -------------------------------------------------------------------


def test_representative_flags() -> None:
    cfg = load_config(
        shlex.split(
            "-w 4 -b 127.0.0.1:9000 -b unix:/tmp/x.sock -k gthread --threads 4 "
            "--keep-alive 5 -e A=1 --log-level debug myapp:app"
        ),
        environ={},
    )
    assert cfg.workers == 4
    assert cfg.bind == ["127.0.0.1:9000", "unix:/tmp/x.sock"]
    assert cfg.worker_class == "gthread" and cfg.threads == 4
    assert cfg.keepalive == 5
    assert cfg.raw_env == ["A=1"] and cfg.env == {"A": "1"}
    assert cfg.loglevel == "debug"
    assert cfg.app_uri == "myapp:app"
    assert cfg.proc_name == "myapp:app"  # named after the app, as gunicorn
    assert cfg.worker_mode[:2] == ("threaded", 4)
    assert cfg.source("workers") == "command line"
    assert cfg.source("timeout") is None


def test_flags_after_the_app_and_store_actions() -> None:
    cfg = load_config(["myapp:app", "--preload", "--no-sendfile", "-D", "-m", "0022"], {})
    assert cfg.preload_app is True and cfg.daemon is True
    assert cfg.sendfile is False
    assert cfg.umask == 0o22


def test_sendfile_follows_environment_when_unset() -> None:
    assert load_config([], {}).sendfile is True
    assert load_config([], {"SENDFILE": "0"}).sendfile is False


def test_no_app_is_allowed_until_required() -> None:
    cfg = load_config([], {})
    assert cfg.app_uri is None
    with pytest.raises(ConfigError, match="no application specified"):
        cfg.require_app()


def test_two_apps_are_refused() -> None:
    with pytest.raises(ConfigError, match="expected one APP_MODULE"):
        load_config(["a:app", "b:app"], {})


def test_unknown_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(["--no-such-flag"], {})
    assert str(info.value).startswith("Error: unrecognized arguments: --no-such-flag")


def test_bad_cli_value_names_setting_value_and_expectation() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(["-w", "abc"], {})
    assert str(info.value) == (
        "Error: invalid value for 'workers': 'abc' (expected a positive integer)"
    )


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["-b", "[::1"], "bind"),
        (["-b", "host:99999"], "bind"),
        (["--keep-alive", "-1"], "keepalive"),
        (["--log-level", "loud"], "loglevel"),
        (["-m", "0999"], "umask"),
        (["-e", "NOEQUALS"], "raw_env"),
        (["--forwarded-allow-ips", "10.0.0.0/8,not-an-ip"], "forwarded_allow_ips"),
        (["--header-timeout", "soon"], "header_timeout"),
        (["-u", "no-such-user-fastwsgi"], "user"),
        (["--chdir", "/no/such/dir"], "chdir"),
    ],
)
def test_bad_values_raise_config_error_with_setting_name(argv: list[str], name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(argv, {})
    assert f"invalid value for {name!r}" in str(info.value)
    assert "\n" not in str(info.value)


def test_set_validates_and_get_reads() -> None:
    cfg = Config({})
    cfg.set("workers", "8")
    assert cfg.get("workers") == 8 == cfg.workers
    with pytest.raises(ConfigError, match="unknown setting 'nope'"):
        cfg.set("nope", 1)
    with pytest.raises(AttributeError):
        cfg.workers = 3
    with pytest.raises(AttributeError):
        _ = cfg.nope


# -- precedence: command line > env args > config file > defaults -------------------


def test_precedence(tmp_path: Path) -> None:
    config = write(tmp_path / "conf.py", (
        "workers = 2\ntimeout = 11\nbacklog = 100\nkeepalive = 12\nloglevel = 'warning'\n"
    ))
    environ = {
        "GUNICORN_CMD_ARGS": "--workers 3 --timeout 13 --backlog 200 --max-requests 7",
        "FASTWSGI_CMD_ARGS": "--workers=4 --timeout=14",
    }
    cfg = load_config(["-w", "5", "-c", config, "app:app"], environ)
    assert cfg.workers == 5  # command line
    assert cfg.timeout == 14  # FASTWSGI_CMD_ARGS beats GUNICORN_CMD_ARGS
    assert cfg.backlog == 200 and cfg.max_requests == 7  # GUNICORN_CMD_ARGS
    assert cfg.keepalive == 12 and cfg.loglevel == "warning"  # config file
    assert cfg.graceful_timeout == 30  # default
    assert cfg.source("timeout") == "FASTWSGI_CMD_ARGS"
    assert cfg.source("keepalive") == f"config file {config}"
    assert cfg.config_file == config


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("--bogus", "Error: in FASTWSGI_CMD_ARGS: unrecognized arguments: --bogus"),
        ("--name 'unclosed", "Error: cannot parse FASTWSGI_CMD_ARGS: No closing quotation"),
        ("-w x", (
            "Error: invalid value for 'workers': 'x' (expected a positive integer) "
            "in FASTWSGI_CMD_ARGS"
        )),
    ],
)
def test_bad_env_args_name_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config([], {"FASTWSGI_CMD_ARGS": value})
    assert str(info.value).startswith(message)


def test_config_path_from_env_args(tmp_path: Path) -> None:
    gunicorn_conf = write(tmp_path / "g.py", "workers = 6\n")
    fastwsgi_conf = write(tmp_path / "f.py", "workers = 7\n")
    environ = {"GUNICORN_CMD_ARGS": f"-c {gunicorn_conf}"}
    assert load_config([], environ).workers == 6
    environ["FASTWSGI_CMD_ARGS"] = f"-c {fastwsgi_conf}"
    assert load_config([], environ).workers == 7


def test_default_config_files(tmp_path: Path) -> None:
    assert load_config([], {}).config_file is None
    write(tmp_path / "gunicorn.conf.py", "workers = 2\n")
    assert load_config([], {}).workers == 2
    write(tmp_path / "fastwsgi.conf.py", "workers = 3\n")
    assert load_config([], {}).workers == 3  # fastwsgi.conf.py first, only one is read


def test_web_concurrency_and_port_set_defaults(tmp_path: Path) -> None:
    environ = {"WEB_CONCURRENCY": "5", "PORT": "9999"}
    cfg = load_config([], environ)
    assert cfg.workers == 5 and cfg.bind == ["0.0.0.0:9999"]
    assert cfg.is_default("workers")
    write(tmp_path / "gunicorn.conf.py", "workers = 2\n")
    assert load_config([], environ).workers == 2  # a default, so the file wins
    with pytest.raises(ConfigError) as info:
        load_config([], {"WEB_CONCURRENCY": "many"})
    assert "'workers'" in str(info.value) and "WEB_CONCURRENCY" in str(info.value)


def test_wsgi_app_setting_supplies_the_app(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "wsgi_app = 'site.wsgi:application'\n")
    assert load_config(["-c", config], {}).app_uri == "site.wsgi:application"
    assert load_config(["-c", config, "other:app"], {}).app_uri == "other:app"


# -- config files -------------------------------------------------------------------


def test_deployment_guide_config(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write(tmp_path / "gunicorn_config.py", DEPLOYMENT_GUIDE_CONFIG)
    cfg = load_config(["-c", config, "app:app"], {})
    assert cfg.bind == ["0.0.0.0:9000"]
    assert cfg.workers == multiprocessing.cpu_count() * 2 + 1
    assert (cfg.backlog, cfg.worker_connections, cfg.timeout) == (2048, 1024, 30)
    assert cfg.daemon is False
    assert cfg.proc_name == "image_handler"
    assert cfg.pidfile == "/var/log/gunicorn.pid"
    assert cfg.errorlog == "/var/log/gunicorn.log"
    mode, threads, explanation = cfg.worker_mode
    assert (mode, threads) == ("gevent", 1)
    assert explanation.startswith("gevent: up to 1024 concurrent requests per worker")
    # "debug" (a setting gunicorn removed long ago) warns once; the import doesn't.
    warnings = unknown_name_warnings(caplog)
    assert len(warnings) == 1 and "'debug'" in warnings[0]


def test_unknown_names_warn_once_each(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write(tmp_path / "c.py", (
        "import os\n"
        "from os.path import join\n"
        "from collections import OrderedDict\n"
        "_private = 1\n"
        "workerz = 4\n"
        "BASE_DIR = '/srv'\n"
        "def on_startin(server):\n    pass\n"
        "workers = 2\n"
    ))
    cfg = load_config(["-c", config], {})
    assert cfg.workers == 2
    warnings = unknown_name_warnings(caplog)
    assert len(warnings) == 3
    for name in ("workerz", "BASE_DIR", "on_startin"):
        assert sum(f"'{name}'" in line for line in warnings) == 1
    assert all(config in line for line in warnings)


def test_bad_value_in_config_file_names_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "workers = 'many'\n")
    with pytest.raises(ConfigError) as info:
        load_config(["-c", config], {})
    message = str(info.value)
    assert message.startswith("Error: invalid value for 'workers': 'many' (expected a positive")
    assert message.endswith(f"in config file {config}")


def test_config_file_that_raises(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "workers = 2\nx = undefined_name\n")
    with pytest.raises(ConfigError) as info:
        load_config(["-c", config], {})
    assert str(info.value) == (
        f"Error: failed to read config file {config}: "
        "NameError: name 'undefined_name' is not defined (line 2)"
    )


def test_config_file_syntax_error(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "workers = (\n")
    with pytest.raises(ConfigError, match=r"SyntaxError: .* \(line 1\)"):
        load_config(["-c", config], {})


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="config file not found: nope.py"):
        load_config(["-c", "nope.py"], {})


def test_hooks_from_config_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", (
        "calls = []\n"
        "def post_fork(server, worker):\n    calls.append(worker)\n"
        "def post_request(worker, req):\n    calls.append(req)\n"
        "when_ready = 'os.getcwd'\n"
    ))
    with pytest.raises(ConfigError, match=r"'when_ready'.*1 positional argument"):
        load_config(["-c", config], {})
    write(tmp_path / "c.py", Path(config).read_text().replace("'os.getcwd'", "'os.path.exists'"))
    cfg = load_config(["-c", config], {})
    cfg.post_fork(None, "w1")
    cfg.post_request("w", "r1", {}, None)  # 2-argument hooks get called with 2
    assert not cfg.is_default("post_fork") and cfg.is_default("on_exit")
    assert cfg.when_ready is os.path.exists


def test_python_module_config(tmp_path: Path) -> None:
    package = tmp_path / "fwconfpkg"
    package.mkdir()
    write(package / "__init__.py", "")
    write(package / "prod.py", "workers = 9\nkeepalive = 10\n")
    cfg = load_config(["-c", "python:fwconfpkg.prod"], {})
    assert (cfg.workers, cfg.keepalive) == (9, 10)
    assert cfg.source("workers") == "config module fwconfpkg.prod"
    with pytest.raises(ConfigError, match="failed to import config module 'fwconfpkg.nope'"):
        load_config(["-c", "python:fwconfpkg.nope"], {})


def test_file_prefix(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "workers = 3\n")
    assert load_config(["-c", f"file:{config}"], {}).workers == 3


@pytest.mark.parametrize("name", ["site.conf", "supervisord.ini"])
def test_supervisor_config_is_recorded_not_parsed(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, "[program:web]\ncommand = fastwsgi app:app\n")
    cfg = load_config(["-c", path], {})
    assert cfg.supervisor_config == path
    assert cfg.config_file is None and cfg.app_uri is None


def test_ignored_settings_in_use(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "strip_header_spaces = True\nspew = False\nworkers = 2\n")
    cfg = load_config(["-c", config, "--paste", "site.ini"], {})
    assert sorted(cfg.ignored_settings_in_use()) == ["paste", "strip_header_spaces"]


def test_statsd_settings_take_effect_and_are_checked() -> None:
    cfg = load_config(["app:app", "--statsd-host", "localhost:8125", "--statsd-prefix", "p"], {})
    assert "statsd_host" not in cfg.ignored_settings_in_use()
    with pytest.raises(ConfigError):
        load_config(["app:app", "--statsd-host", "host:notaport"], {})


def test_print_config_format() -> None:
    cfg = load_config(["--print-config", "-w", "3"], {})
    assert cfg.print_config is True
    lines = cfg.format_settings().splitlines()
    assert len(lines) == len(KNOWN_SETTINGS) + 2  # a blank line, then the effective mode
    assert lines[-1].startswith("# effective worker mode: native, 3 workers; ")
    assert any(line.split() == ["workers", "=", "3"] for line in lines)
    assert any(line.startswith("on_exit") and line.endswith("<on_exit()>") for line in lines)


# -- worker_class -> mode -----------------------------------------------------------


@pytest.mark.parametrize(
    ("worker_class", "threads", "mode", "mode_threads"),
    [
        ("sync", 1, "native", 1),
        ("sync", 4, "threaded", 4),
        ("gunicorn.workers.sync.SyncWorker", 1, "native", 1),
        ("gthread", 8, "threaded", 8),
        ("gthread", 1, "threaded", 1),
        ("gevent", 1, "gevent", 1),
        ("gevent", 4, "gevent", 1),
        ("gevent_pywsgi", 1, "gevent", 1),
        ("eventlet", 1, "eventlet", 1),
        ("tornado", 1, "native", 1),
        ("gunicorn.workers.ggevent.GeventWorker", 1, "gevent", 1),
        ("gunicorn.workers.geventlet.EventletWorker", 1, "eventlet", 1),
        ("fastwsgi.workers.greenlets.GeventWorker", 1, "gevent", 1),
        ("myproject.workers.CustomWorker", 1, "native", 1),
        ("myproject.workers.CustomWorker", 3, "threaded", 3),
    ],
)
def test_resolve_worker_mode(worker_class: str, threads: int, mode: str, mode_threads: int) -> None:
    got_mode, got_threads, explanation = resolve_worker_mode(worker_class, threads)
    assert (got_mode, got_threads) == (mode, mode_threads)
    assert worker_class in explanation and "\n" not in explanation


@pytest.mark.parametrize(
    ("worker_class", "threads", "line"),
    [
        ("sync", 1, "sync: one request at a time per worker; --threads N for blocking apps"),
        ("gthread", 8, "gthread: up to 8 concurrent requests per worker (8 app threads; "),
        ("sync", 4, "sync: up to 4 concurrent requests per worker"),
        ("gevent", 1, ("gevent: up to 1024 concurrent requests per worker (a greenlet each, "
                      "the standard library monkey-patched)")),
        ("eventlet", 1, "eventlet: up to 1024 concurrent requests per worker"),
        ("gunicorn.workers.ggevent.GeventWorker", 1,
         "gevent (worker_class 'gunicorn.workers.ggevent.GeventWorker'): up to 1024 "),
        ("tornado", 1, "tornado: one request at a time per worker, as gunicorn's tornado worker"),
    ],
)
def test_each_worker_class_says_what_concurrency_it_gives(worker_class: str, threads: int,
                                                          line: str) -> None:
    assert resolve_worker_mode(worker_class, threads, 1024)[2].startswith(line)


def test_a_greenlet_class_without_its_library_is_refused_in_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gevent", None)  # import gevent now fails
    with pytest.raises(ConfigError, match=r"^(Error: )?worker_class 'gevent' needs gevent, which is not "
                                          r"installed \(pip install 'fastwsgi\[gevent\]'\)$"):
        load_config(["-k", "gevent", "app:app"], {})


def test_a_worker_class_overriding_patch_does_its_own_patching(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "myworkers.py").write_text(
        "from fastwsgi.workers.greenlets import GeventWorker\n"
        "class NoPatch(GeventWorker):\n"
        "    def patch(self):\n"
        "        self.patched_by_me = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mode, _, line = resolve_worker_mode("myworkers.NoPatch", 1, 10)
    assert mode == "gevent" and "patched by NoPatch.patch()" in line
    custom = worker_class_patch("myworkers.NoPatch")
    assert custom is not None and custom.__qualname__ == "NoPatch.patch"
    assert worker_class_patch("gevent") is None
    assert worker_class_patch("fastwsgi.workers.greenlets.GeventWorker") is None


@pytest.mark.parametrize(
    "worker_class",
    ["uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker", "asgi",
     "aiohttp.GunicornWebWorker"],
)
def test_asgi_workers_are_refused(worker_class: str) -> None:
    with pytest.raises(ConfigError, match="WSGI applications only"):
        resolve_worker_mode(worker_class, 1)
    with pytest.raises(ConfigError, match="WSGI applications only"):
        load_config(["-k", worker_class, "app:app"], {})


def test_worker_class_may_be_a_class(tmp_path: Path) -> None:
    config = write(tmp_path / "c.py", "class SyncWorker:\n    pass\nworker_class = SyncWorker\n")
    cfg = load_config(["-c", config], {})
    assert cfg.worker_class_str == "__config__.SyncWorker"


def test_derived_values(tmp_path: Path) -> None:
    cfg = load_config(["--pythonpath", "/a, /b", "-n", "site", "app:app"], {})
    assert cfg.python_paths == ["/a", "/b"]
    assert cfg.proc_name == "site"
    assert cfg.settings["workers"].name == "workers"
    with pytest.raises(ConfigError, match="unknown setting"):
        cfg.get("nope")


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load_config(["--version"], {})
    assert capsys.readouterr().out.startswith("fastwsgi (version ")


def test_halt_server_carries_reason_and_status() -> None:
    halt = HaltServer("App failed to load.", 4)
    assert (halt.reason, halt.exit_status) == ("App failed to load.", 4)
    assert not isinstance(halt, Exception)
    assert "App failed to load." in str(halt)


# ---- modules only parsing needs -------------------------------------------------


def test_parsing_modules_are_dropped_only_when_nothing_else_holds_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from fastwsgi.config import loading
    unused, held, older = (types.ModuleType(f"_fw_parsing_{n}") for n in ("a", "b", "c"))
    monkeypatch.setattr(loading, "PARSING_MODULES", (unused.__name__, held.__name__,
                                                    older.__name__))
    for module in (unused, held, older):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    name = unused.__name__
    del unused  # now only sys.modules has it
    loading.release_parsing_modules(preloaded={older.__name__})
    assert name not in sys.modules
    assert sys.modules[held.__name__] is held  # a config file, say, still uses it
    assert older.__name__ in sys.modules  # imported before the configuration was read


def test_the_master_keeps_no_module_only_parsing_needed() -> None:
    # What the master imports is in every worker's memory (bench/worker_rss.py).
    code = ("import sys\n"
            "from fastwsgi.config import load_config, release_parsing_modules\n"
            "before = set(sys.modules)\n"
            "load_config(['app:app', '--workers', '2'])\n"
            "release_parsing_modules(before)\n"
            "import fastwsgi.arbiter.master, fastwsgi.loader, fastwsgi.logs\n"
            "print(sorted({'argparse', 'shlex', 'dataclasses'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "GUNICORN_CMD_ARGS": "",
                                          "FASTWSGI_CMD_ARGS": ""})
    assert out.stdout.strip() == "[]"
