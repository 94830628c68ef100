"""Shared fixtures."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import pytest

from tests.support import ServerProcess, run_server
from tests.support.supervisor_master import Daemon, Site, running


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under `make asan`: LeakSanitizer's check once the tests have run, while
    the interpreter still holds its own memory (the check at exit would report
    what CPython never frees); a leak fails the run."""
    if os.environ.get("FASTWSGI_ASAN_LEAK_CHECK") != "1":
        return
    gc.collect()
    if ctypes.CDLL(None).__lsan_do_recoverable_leak_check():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# No test may hang the suite: a live test that runs past this is failed.
INTEGRATION_TEST_LIMIT = 60.0


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    if "integration" not in request.node.path.parts:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"test ran longer than {INTEGRATION_TEST_LIMIT:.0f} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, INTEGRATION_TEST_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``serve("tests.apps.basic:validated_hello", "--keep-alive", "1")``
    starts a server for this test (log in tmp_path), stopped by PID after."""
    with ExitStack() as stack:
        def start(app: str, *args: str, env: dict[str, str] | None = None) -> ServerProcess:
            return stack.enter_context(run_server(app, *args, tmp_path=tmp_path, env=env))
        yield start


@pytest.fixture
def supervisor_master(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """``supervisor_master(programs, Site(...), impl="fastwsgi")`` runs a
    supervisor-mode master on TMP/site.conf (or DIR/site.conf with
    ``directory=DIR``) once its control socket answers, for this test;
    stopped by PID after (tests/support/supervisor_master.py)."""
    with ExitStack() as stack:
        def start(programs: str = "", site: Site | None = None, impl: str = "fastwsgi",
                  directory: Path | None = None) -> Daemon:
            return stack.enter_context(running(impl, directory or tmp_path, programs,
                                               site or Site()))
        yield start
