"""Each engine setting, defined once in the registry, and its special values
through the sans-I/O connection (gunicorn's meaning of 0 for the limits)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pytest

import fastwsgi
from fastwsgi import _core
from fastwsgi.config import engine_settings_list, load_config
from fastwsgi.engine.settings import DERIVED, NAMES, EngineSettings
from fastwsgi.workers.base import engine_settings
from tests.unit.test_connection import responses

Environ = dict[str, Any]


def echo(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def connect(**settings: Any) -> Any:
    return _core.Server(echo, settings=EngineSettings(**settings)).connection()


def get(target: str = "/", headers: str = "") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode("latin-1")


def statuses(raw: bytes) -> list[int]:
    return [status for status, _, _ in responses(raw)]


# ---- one definition ------------------------------------------------------------

def test_the_registry_says_which_settings_the_engine_takes() -> None:
    assert NAMES == tuple(cls.name for cls in engine_settings_list())
    assert {"keepalive", "limit_request_line", "limit_request_fields",
            "limit_request_field_size", "limit_request_body", "threads"} <= set(NAMES)


def test_defaults_are_the_registrys() -> None:
    settings = EngineSettings()
    # fastwsgi's own variables (FASTWSGI_IO_BACKEND: make test-epoll) set
    # the engine's defaults too; no other variable does.
    ours = {k: v for k, v in os.environ.items() if k.startswith("FASTWSGI_")}
    for cls in engine_settings_list():
        assert getattr(settings, cls.name) == cls.validate(cls.initial(ours)), cls.name
    for name, value in DERIVED.items():
        assert getattr(settings, name) == value


def test_a_config_gives_the_engine_its_values() -> None:
    cfg = load_config(["--keep-alive", "0", "--limit-request-line", "0", "app:app"], environ={})
    settings = engine_settings(cfg, num_workers=3)
    assert settings.keepalive == 0
    assert settings.limit_request_line == 0
    assert settings.multiprocess is True
    assert settings.limit_request_fields == 100  # the default, from the registry


def test_a_wrong_name_or_value_is_named() -> None:
    with pytest.raises(TypeError, match="keep_alive"):
        EngineSettings(keep_alive=0)
    with pytest.raises(ValueError, match="'keepalive'.*-1"):
        EngineSettings(keepalive=-1)
    with pytest.raises(ValueError, match="'limit_request_line'"):
        EngineSettings(limit_request_line="many")


def test_run_validates_before_binding() -> None:
    with pytest.raises(TypeError, match="limit_request_lines"):
        fastwsgi.run(echo, bind="127.0.0.1:1", limit_request_lines=5)


def test_engine_settings_are_immutable() -> None:
    settings = EngineSettings()
    with pytest.raises(AttributeError):
        settings.keepalive = 5  # type: ignore[misc]


# ---- keepalive -------------------------------------------------------------------

def test_keepalive_0_closes_after_each_response() -> None:
    c = connect(keepalive=0)
    c.feed(get("/1") + get("/2") + get("/3"))
    got = responses(c.take_output())
    assert len(got) == 1, "pipelined requests after the first are not answered"
    assert got[0][1]["connection"] == "close"
    assert c.closing


def test_keepalive_0_http10_keep_alive_request_is_closed_too() -> None:
    c = connect(keepalive=0)
    c.feed(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    [(status, headers, _)] = responses(c.take_output())
    assert status == 200 and headers["connection"] == "close"
    assert c.closing


@pytest.mark.parametrize("keepalive", [1, 75, 86400])
def test_keepalive_above_0_keeps_the_connection(keepalive: int) -> None:
    c = connect(keepalive=keepalive)
    c.feed(get("/1") + get("/2"))
    got = responses(c.take_output())
    assert len(got) == 2 and all("connection" not in h for _, h, _ in got)
    assert not c.closing


# ---- limit_request_line: 0 is no limit, larger values are capped at 8190 ---------

def test_limit_request_line_0_is_no_limit() -> None:
    c = connect(limit_request_line=0)
    c.feed(get("/" + "a" * 20000))
    assert statuses(c.take_output()) == [200]


def test_limit_request_line_above_8190_is_capped() -> None:
    c = connect(limit_request_line=10**9)
    c.feed(get("/" + "a" * 8100))
    assert statuses(c.take_output()) == [200]
    c = connect(limit_request_line=10**9)
    c.feed(get("/" + "a" * 8200))
    assert statuses(c.take_output()) == [414]


def test_limit_request_line_smallest() -> None:
    c = connect(limit_request_line=1)
    c.feed(get("/"))
    assert statuses(c.take_output()) == [414]
    assert c.closing


def test_limit_request_line_counts_the_whole_line() -> None:
    line = len("GET /abcd HTTP/1.1")
    ok, refused = connect(limit_request_line=line), connect(limit_request_line=line - 1)
    ok.feed(get("/abcd"))
    refused.feed(get("/abcd"))
    assert statuses(ok.take_output()) == [200]
    assert statuses(refused.take_output()) == [414]


# ---- limit_request_fields: 0, or above 32768, is 32768 ----------------------------

def many_fields(n: int) -> str:
    return "".join(f"X-{i}: v\r\n" for i in range(n))


def test_limit_request_fields_0_is_32768() -> None:
    c = connect(limit_request_fields=0)
    c.feed(get(headers=many_fields(32767)))  # with Host: 32768
    assert statuses(c.take_output()) == [200]
    c = connect(limit_request_fields=0)
    c.feed(get(headers=many_fields(32768)))
    assert statuses(c.take_output()) == [431]


def test_limit_request_fields_above_32768_is_capped() -> None:
    c = connect(limit_request_fields=10**9)
    c.feed(get(headers=many_fields(32768)))
    assert statuses(c.take_output()) == [431]


def test_limit_request_fields_smallest() -> None:
    c = connect(limit_request_fields=1)
    c.feed(get())
    assert statuses(c.take_output()) == [200]
    c = connect(limit_request_fields=1)
    c.feed(get(headers="X-A: 1\r\n"))
    assert statuses(c.take_output()) == [431]


# ---- limit_request_field_size: 0 is no limit ----------------------------------------

def test_limit_request_field_size_0_is_gunicorns_default() -> None:
    """0 is 8190, as gunicorn's parser does (its invalid/limit_header_default_01)."""
    c = connect(limit_request_field_size=0)
    c.feed(get(headers="X-Big: " + "v" * 100000 + "\r\n"))
    assert statuses(c.take_output()) == [431]


def test_limit_request_field_size_smallest() -> None:
    c = connect(limit_request_field_size=1)
    c.feed(get())  # "Host" + "x" is 5 bytes
    assert statuses(c.take_output()) == [431]


def test_limit_request_field_size_is_the_whole_line() -> None:
    """Name, colon, whitespace, value and CRLF, as gunicorn counts."""
    size = len("X-A: 12345\r\n")
    ok, refused = connect(limit_request_field_size=size), connect(limit_request_field_size=size - 1)
    ok.feed(get(headers="X-A: 12345\r\n"))
    refused.feed(get(headers="X-A: 12345\r\n"))
    assert statuses(ok.take_output()) == [200]
    assert statuses(refused.take_output()) == [431]


# ---- limit_request_body: 0 is no limit ------------------------------------------------

def post(body: bytes) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def test_limit_request_body_0_is_no_limit() -> None:
    c = connect(limit_request_body=0, spool_threshold=1 << 30)
    c.feed(post(b"b" * (3 << 20)))
    [(status, _, body)] = responses(c.take_output())
    assert status == 200 and len(body) == 3 << 20


def test_limit_request_body_smallest() -> None:
    c = connect(limit_request_body=1)
    c.feed(post(b"a"))
    assert statuses(c.take_output()) == [200]
    c = connect(limit_request_body=1)
    c.feed(post(b"ab"))
    assert statuses(c.take_output()) == [413]


# ---- spool_threshold: 0 spools every body ------------------------------------------

def test_spool_threshold_0_spools_and_reads_back() -> None:
    c = connect(spool_threshold=0)
    c.feed(post(b"spooled body"))
    [(status, _, body)] = responses(c.take_output())
    assert status == 200 and body == b"spooled body"


# ---- max_requests: 0 is no limit; N ends the worker after N ---------------------------

def test_max_requests_0_never_stops() -> None:
    server = _core.Server(echo, settings=EngineSettings(max_requests=0))
    c = server.connection()
    c.feed(get() * 5)
    assert statuses(c.take_output()) == [200] * 5
    assert not server.stopping


def test_max_requests_1_closes_after_the_first() -> None:
    server = _core.Server(echo, settings=EngineSettings(max_requests=1))
    c = server.connection()
    c.feed(get() + get())
    got = responses(c.take_output())
    assert len(got) == 1 and got[0][1]["connection"] == "close"
    assert server.stopping
