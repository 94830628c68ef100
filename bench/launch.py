"""Starts a peer that has no CLI of its own for what the suite needs.

    python launch.py SERVER MODULE:APP HOST PORT WORKERS

SERVER is one of bjoern, fastpysgi, freastal, fastwsgi-pypi. Run with the peer's own
venv interpreter and the bench/ directory on sys.path (apps are `apps.NAME:app`).
With WORKERS > 1, bjoern's socket is bound once and the process forks that many
children sharing it (its README's multi-process recipe); the others use their
own `workers=` argument.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def load_app(spec: str) -> Callable:
    module_name, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in (attr or "app").split("."):
        obj = getattr(obj, part)
    return obj


def fork_workers(n: int, serve: Callable[[], None]) -> None:
    """Run `serve` in n forked children; the parent waits and stops them on TERM/INT."""
    children: list[int] = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            serve()
            os._exit(0)
        children.append(pid)

    def stop(signum: int, frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in children:
        try:
            os.wait()
        except ChildProcessError:
            break


def run_bjoern(app: Callable, host: str, port: int, workers: int) -> None:
    import bjoern

    bjoern.listen(app, host, port)
    if workers == 1:
        bjoern.run()
    else:
        fork_workers(workers, bjoern.run)


def run_fastpysgi(app: Callable, host: str, port: int, workers: int) -> None:
    import fastpysgi

    fastpysgi.run(app, host, port, workers=workers)


def run_freastal(app: Callable, host: str, port: int, workers: int) -> None:
    import freastal

    # One worker runs in this process; more are its own processes, sharing
    # one SO_REUSEPORT group.
    freastal.serve(app, host=host, port=port, workers=workers)


def run_fastwsgi_pypi(app: Callable, host: str, port: int, workers: int) -> None:
    import fastwsgi

    fastwsgi.run(app, host, port, workers=workers)


RUNNERS: dict[str, Callable[[Callable, str, int, int], None]] = {
    "bjoern": run_bjoern,
    "fastpysgi": run_fastpysgi,
    "freastal": run_freastal,
    "fastwsgi-pypi": run_fastwsgi_pypi,
}


def main(argv: list[str]) -> None:
    if len(argv) != 6 or argv[1] not in RUNNERS:
        sys.exit(__doc__)
    server, app_spec, host, port, workers = argv[1:]
    RUNNERS[server](load_app(app_spec), host, int(port), int(workers))


if __name__ == "__main__":
    main(sys.argv)
