"""fastwsgi.loader: every spec form, and every way loading an app fails."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fastwsgi.errors import APP_LOAD_ERROR, AppImportError
from fastwsgi.loader import AppSpec, load_app, parse_spec

FIXTURES = Path(__file__).parent / "apps_for_loader"


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Restore sys.path, sys.modules and the working directory after each test."""
    monkeypatch.chdir(tmp_path)  # load_app may chdir; monkeypatch restores the cwd
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def load(spec: str, **kwargs: Any) -> Callable[..., Any]:
    kwargs.setdefault("pythonpath", [str(FIXTURES)])
    return load_app(spec, **kwargs)


def call(app: Callable[..., Any]) -> bytes:
    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        assert status.startswith("200")

    return b"".join(app({}, start_response))


def load_error(spec: str, **kwargs: Any) -> AppImportError:
    with pytest.raises(AppImportError) as info:
        load(spec, **kwargs)
    assert "\n" not in str(info.value), "the message must be one line"
    return info.value


# -- spec forms -------------------------------------------------------------------


def test_module_colon_attribute() -> None:
    assert call(load("fwl_basic:app")) == b"basic"


def test_module_alone_means_application() -> None:
    app = load("fwl_basic")
    assert app is sys.modules["fwl_basic"].application


def test_dotted_attribute_path() -> None:
    assert call(load("fwl_basic:holder.inner.app")) == b"basic"


def test_factory_without_arguments() -> None:
    app = load("fwl_factory:create_app()")
    assert call(app) == b"default"


def test_factory_with_literal_arguments() -> None:
    app = load("fwl_factory:create_app('prod', n=1)")
    assert app.config == {"name": "prod", "n": 1}  # type: ignore[attr-defined]
    assert call(app) == b"prod"


def test_parse_spec_forms() -> None:
    assert parse_spec("m") == AppSpec("m", ("application",))
    assert parse_spec("m:") == AppSpec("m", ("application",))
    assert parse_spec("pkg.m:a.b") == AppSpec("pkg.m", ("a", "b"))
    assert parse_spec("m:f(1, 'x', k=[1, 2])") == AppSpec(
        "m", ("f",), True, (1, "x"), (("k", [1, 2]),)
    )


def test_chdir_and_pythonpath_order(tmp_path: Path) -> None:
    app_dir = tmp_path / "site"
    app_dir.mkdir()
    (app_dir / "fwl_here.py").write_text("def app(e, s):\n    return []\n")
    load_app("fwl_here:app", chdir=str(app_dir), pythonpath=[str(FIXTURES)])
    assert os.getcwd() == str(app_dir)
    assert sys.path[:2] == [str(app_dir), str(FIXTURES)]


# -- errors: each is one short line saying what, where and why ----------------------


def test_missing_module() -> None:
    err = load_error("fwl_nosuch:app")
    assert str(err).startswith("No module named 'fwl_nosuch'")
    assert "sys.path starts with" in str(err)
    assert err.exit_status == APP_LOAD_ERROR
    assert "ModuleNotFoundError" in err.traceback_text


def test_missing_dependency_names_the_importing_module() -> None:
    err = load_error("fwl_missing_dependency:app")
    assert "No module named 'fwl_no_such_dependency'" in str(err)
    assert "while importing 'fwl_missing_dependency'" in str(err)
    assert "fwl_missing_dependency.py line 3" in str(err)


def test_missing_attribute() -> None:
    err = load_error("fwl_basic:nope")
    assert str(err).startswith("Failed to find attribute 'nope' in 'fwl_basic'")
    assert "fwl_basic.py" in str(err)


def test_missing_nested_attribute_names_the_owner() -> None:
    err = load_error("fwl_basic:holder.nope")
    assert "Failed to find attribute 'nope' in 'fwl_basic.holder'" in str(err)


def test_py_file_given_instead_of_module(tmp_path: Path) -> None:
    (tmp_path / "fwl_script.py").write_text("app = None\n")
    err = load_error("fwl_script.py:app", pythonpath=[])
    assert str(err) == "Failed to find application, did you mean 'fwl_script:app'?"


def test_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "fwl_syntax.py").write_text("x = 1\n\ndef app(:\n")
    err = load_error("fwl_syntax:app", pythonpath=[])
    assert str(err).startswith("SyntaxError in fwl_syntax.py line 3:")


def test_exception_at_import_time() -> None:
    err = load_error("fwl_raises_on_import:app")
    assert str(err) == (
        "RuntimeError while importing 'fwl_raises_on_import' "
        "(" + _rel(FIXTURES / "fwl_raises_on_import.py") + " line 3): import-time failure"
    )


def _rel(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def test_non_callable_object() -> None:
    err = load_error("fwl_bad_objects:app")
    assert str(err).startswith("Application object must be callable")
    assert "int" in str(err)


def test_none_object() -> None:
    err = load_error("fwl_bad_objects")
    assert str(err) == "Failed to find application object: 'application'"


def test_factory_with_wrong_arguments() -> None:
    err = load_error("fwl_factory:create_app(1, 2, 3)")
    assert str(err).startswith("Wrong arguments for factory 'create_app': ")
    assert "positional argument" in str(err)


def test_factory_raising() -> None:
    err = load_error("fwl_factory:broken_factory()")
    assert str(err).startswith("RuntimeError in factory 'broken_factory'")
    assert str(err).endswith(": factory exploded")
    assert "fwl_factory.py line" in str(err)


def test_type_error_inside_factory_is_not_blamed_on_the_arguments() -> None:
    err = load_error("fwl_factory:type_error_inside()")
    assert str(err).startswith("TypeError in factory 'type_error_inside'")


def test_factory_returning_none() -> None:
    err = load_error("fwl_factory:returns_none()")
    assert str(err) == "Failed to find application object: 'returns_none'"


def test_calling_a_non_callable() -> None:
    err = load_error("fwl_factory:not_a_function()")
    assert str(err) == "'not_a_function' in 'fwl_factory' is not callable."


@pytest.mark.parametrize(
    "spec",
    [
        "fwl_basic:app[0]",
        "fwl_basic:1 + 2",
        "fwl_basic:a b",
        "fwl_basic:f()()",
        "fwl_basic:f()(1).x",
    ],
)
def test_unparsable_targets(spec: str) -> None:
    err = load_error(spec)
    assert str(err).startswith("Failed to parse")


@pytest.mark.parametrize(
    "spec",
    [
        "fwl_factory:create_app(__import__('os').getcwd())",
        "fwl_factory:create_app(name=open('x'))",
        "fwl_factory:create_app(**{'name': 'x'})",
    ],
)
def test_arguments_must_be_literals(spec: str) -> None:
    err = load_error(spec)
    assert str(err).startswith("Failed to parse arguments as literal values")


def test_empty_module_name() -> None:
    err = load_error(":app")
    assert "No module given" in str(err)
