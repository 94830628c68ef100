"""The `fastwsgi` command."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from fastwsgi._version import __version__

LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
LOG_DATEFMT = "%Y-%m-%d %H:%M:%S %z"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastwsgi", description="A fast WSGI server.")
    p.add_argument("app", metavar="APP_MODULE", help="module:app to serve")
    p.add_argument("-b", "--bind", action="append", default=[],
                   help="address to listen on (HOST:PORT, unix:PATH, fd://N)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--keep-alive", dest="keepalive", type=float, default=75.0)
    p.add_argument("--limit-request-body", type=int, default=0)
    p.add_argument("--max-requests", type=int, default=0)
    p.add_argument("--log-level", default="info")
    p.add_argument("-v", "--version", action="version", version=f"fastwsgi {__version__}")
    return p


def _import_app(spec: str) -> Callable[..., Any]:
    module_name, _, attr = spec.partition(":")
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    app = module
    for part in (attr or "application").split("."):
        app = getattr(app, part)
    if not callable(app):
        raise TypeError(f"{spec} is not callable")
    return app  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format=LOG_FORMAT, datefmt=LOG_DATEFMT)
    log = logging.getLogger("fastwsgi.error")
    from fastwsgi.listeners import create_listener, describe
    from fastwsgi.workers.native import EngineSettings, serve

    app = _import_app(args.app)
    listeners = [create_listener(b) for b in (args.bind or ["127.0.0.1:8000"])]
    log.info("Starting fastwsgi %s", __version__)
    for sock in listeners:
        log.info("Listening at: %s (%d)", describe(sock), os.getpid())
    serve(app, listeners, EngineSettings(keepalive=args.keepalive,
                                         limit_request_body=args.limit_request_body,
                                         max_requests=args.max_requests,
                                         threads=args.threads))
    log.info("Shutting down")


if __name__ == "__main__":
    main()
