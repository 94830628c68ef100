"""The small pure validators behind every setting (fastwsgi/config/validators.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastwsgi.config import validators as v


@pytest.fixture(autouse=True)
def in_tmp_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), ("true", True), (" False ", False), ("yes", True), ("off", False),
     (1, True), (0, False), (None, None)],
)
def test_validate_bool(raw: Any, expected: bool | None) -> None:
    assert v.validate_bool(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", 2, 1.5, []])
def test_validate_bool_rejects(raw: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="expected a boolean"):
        v.validate_bool(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [(3, 3), ("3", 3), (" 0x10 ", 16), ("030", 30), (4.0, 4)]
)
def test_validate_pos_int(raw: Any, expected: int) -> None:
    assert v.validate_pos_int(raw) == expected


@pytest.mark.parametrize("raw", [0, -1, "abc", True, 1.5, None])
def test_validate_pos_int_rejects(raw: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="expected a positive integer"):
        v.validate_pos_int(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("0022", 0o22), ("0o22", 0o22), ("18", 18), (0o77, 0o77), ("0", 0)]
)
def test_validate_umask(raw: Any, expected: int) -> None:
    assert v.validate_umask(raw) == expected


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.0.0.1:8000", "localhost:80", ":8000", "[::1]:8000", "[::]",
     "unix:/tmp/x.sock", "unix:///tmp/x.sock", "fd://3", "tcp://0.0.0.0:80"],
)
def test_validate_address_list_accepts(address: str) -> None:
    assert v.validate_address_list(address) == [address]


@pytest.mark.parametrize(
    "address", ["::1", "[::1", "[nope]:80", "host:port", "host:70000", "unix:", "fd://x", ""]
)
def test_validate_address_list_rejects(address: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        v.validate_address_list([address])


def test_bad_address_among_several_is_named() -> None:
    with pytest.raises(ValueError, match=r"^'::1': expected"):
        v.validate_address_list(["127.0.0.1:80", "::1"])


def test_validate_callable_imports_dotted_paths() -> None:
    assert v.validate_callable(1)("os.path.exists") is os.path.exists
    assert v.validate_callable(1)("os.path:exists") is os.path.exists
    with pytest.raises(TypeError, match="cannot import"):
        v.validate_callable(1)("no_such_module_fw.func")
    with pytest.raises(TypeError, match="has no attribute"):
        v.validate_callable(1)("os.path.no_such_function")
    with pytest.raises(TypeError, match="expected a callable"):
        v.validate_callable(1)(42)


def test_small_validators() -> None:
    assert v.validate_non_negative_number("1.5") == 1.5
    assert v.validate_non_negative_number(2.0) == 2
    with pytest.raises(ValueError, match="expected a number >= 0"):
        v.validate_non_negative_number("nan")
    assert v.validate_non_negative_int("0") == 0
    assert v.validate_string("  x ") == "x" and v.validate_string(None) is None
    assert v.validate_list_string("a") == ["a"] and v.validate_list_string(None) == []
    assert v.validate_string_to_list("a, b,,c") == ["a", "b", "c"]
    assert v.validate_string_to_list(["a", ""]) == ["a"]
    assert v.validate_ip_allow_list(["*", "10.0.0.0/8", "::1"]) == ["*", "10.0.0.0/8", "::1"]
    assert v.validate_choice("a", "b")(" B ") == "b"
    assert v.validate_dict({"k": 1}) == {"k": 1}
    assert v.validate_file_mode("0600") == 0o600
    assert v.validate_protocol_list("h1", "h2")("h2,h1") == ["h2", "h1"]
    for bad, validator in [
        (1, v.validate_string), ({"a"}, v.validate_list_string), ([1], v.validate_list_string),
        ([], v.validate_dict), (1, v.validate_choice("a")), ("z", v.validate_choice("a")),
        ("h9", v.validate_protocol_list("h1")), ("0o17777", v.validate_file_mode),
    ]:
        with pytest.raises((TypeError, ValueError)):
            validator(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "off"), (True, "auto"), (False, "off"), ("true", "auto"), ("v2", "v2")],
)
def test_validate_proxy_protocol(raw: Any, expected: str) -> None:
    assert v.validate_proxy_protocol(raw) == expected


def test_validate_user_and_group() -> None:
    assert v.validate_user("root") == 0 and v.validate_user("0") == 0 and v.validate_user(5) == 5
    assert v.validate_group("0") == 0 and v.validate_group(None) == os.getegid()
    for bad in (-1, "", True, 1.0):
        with pytest.raises((TypeError, ValueError)):
            v.validate_user(bad)
    with pytest.raises(ValueError, match="no such group"):
        v.validate_group("no-such-group-fastwsgi")


def test_validate_paths(tmp_path: Path) -> None:
    existing = write(tmp_path / "f.txt", "")
    assert v.validate_file_exists(existing) == existing
    assert v.validate_file_exists(None) is None
    with pytest.raises(ValueError, match="no such file"):
        v.validate_file_exists(str(tmp_path / "missing"))
    assert v.validate_list_of_existing_files([existing, "templates/**/*.html"]) == [
        existing, "templates/**/*.html",
    ]
    with pytest.raises(ValueError, match="no such file"):
        v.validate_list_of_existing_files(["missing.txt"])
    assert v.validate_chdir(".") == str(tmp_path)
    with pytest.raises(ValueError, match="expected a directory"):
        v.validate_chdir("")


def test_post_request_arities() -> None:
    seen: list[tuple[Any, ...]] = []
    three = v.validate_post_request(lambda w, r, e: seen.append((w, r, e)))
    three("w", "r", "e", "resp")
    assert seen == [("w", "r", "e")]
    with pytest.raises(TypeError, match="2 to 4"):
        v.validate_post_request(lambda w: None)


def test_validate_class() -> None:
    class Worker:
        pass

    assert v.validate_class(Worker) is Worker
    assert v.validate_class(lambda: Worker) is Worker
    assert v.validate_class(" gevent ") == "gevent"
    with pytest.raises(ValueError, match="expected a class"):
        v.validate_class("")
