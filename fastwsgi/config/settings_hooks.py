"""Settings: Server Hooks, with gunicorn's names and signatures (see settings.py).

"server" is the master (gunicorn's Arbiter), "worker" a worker object. Each
default does nothing; ``Config.is_default(name)`` tells the engine that a hook
was left alone, so a per-request hook costs nothing unless it is set.
"""

from __future__ import annotations

from typing import Any

from fastwsgi.config import validators as v
from fastwsgi.config.registry import Setting

# The defaults. Their names and parameters are gunicorn's, shown in the docs.


def on_starting(server: Any) -> None:
    pass


def on_reload(server: Any) -> None:
    pass


def when_ready(server: Any) -> None:
    pass


def pre_fork(server: Any, worker: Any) -> None:
    pass


def post_fork(server: Any, worker: Any) -> None:
    pass


def post_worker_init(worker: Any) -> None:
    pass


def worker_int(worker: Any) -> None:
    pass


def worker_abort(worker: Any) -> None:
    pass


def pre_exec(server: Any) -> None:
    pass


def pre_request(worker: Any, req: Any) -> None:
    pass


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    pass


def child_exit(server: Any, worker: Any) -> None:
    pass


def worker_exit(server: Any, worker: Any) -> None:
    pass


def nworkers_changed(server: Any, new_value: Any, old_value: Any) -> None:
    pass


def on_exit(server: Any) -> None:
    pass


class _Hook(Setting):
    section = "Server Hooks"


class OnStarting(_Hook):
    name = "on_starting"
    validator = v.validate_callable(1)
    default = on_starting
    desc = """\
        Called in the master just before it initialises. Argument: the master.
        """


class OnReload(_Hook):
    name = "on_reload"
    validator = v.validate_callable(1)
    default = on_reload
    desc = """\
        Called in the master when a HUP reload recycles the workers. Argument: the master.
        """


class WhenReady(_Hook):
    name = "when_ready"
    validator = v.validate_callable(1)
    default = when_ready
    desc = """\
        Called in the master once the listeners are bound and workers start. Argument: the master.
        """


class PreFork(_Hook):
    name = "pre_fork"
    validator = v.validate_callable(2)
    default = pre_fork
    desc = """\
        Called in the master just before a worker is forked. Arguments: master, new worker.
        """


class PostFork(_Hook):
    name = "post_fork"
    validator = v.validate_callable(2)
    default = post_fork
    desc = """\
        Called in the worker just after the fork. Arguments: master, worker.
        """


class PostWorkerInit(_Hook):
    name = "post_worker_init"
    validator = v.validate_callable(1)
    default = post_worker_init
    desc = """\
        Called in the worker once the application is loaded. Argument: the worker.
        """


class WorkerInt(_Hook):
    name = "worker_int"
    validator = v.validate_callable(1)
    default = worker_int
    desc = """\
        Called in the worker when it gets SIGINT or SIGQUIT. Argument: the worker.
        """


class WorkerAbort(_Hook):
    name = "worker_abort"
    validator = v.validate_callable(1)
    default = worker_abort
    desc = """\
        Called in the worker when it gets SIGABRT, usually on timeout. Argument: the worker.
        """


class PreExec(_Hook):
    name = "pre_exec"
    validator = v.validate_callable(1)
    default = pre_exec
    desc = """\
        Called in the master just before it re-executes itself (USR2). Argument: the master.
        """


class PreRequest(_Hook):
    name = "pre_request"
    validator = v.validate_callable(2)
    default = pre_request
    desc = """\
        Called in the worker before each request. Arguments: worker, request.
        """


class PostRequest(_Hook):
    name = "post_request"
    validator = v.validate_post_request
    default = post_request
    desc = """\
        Called in the worker after each request. Arguments: worker, request[, environ[, response]].

        As in gunicorn, a callable taking 2 or 3 arguments is accepted and given
        only the first 2 or 3.
        """


class ChildExit(_Hook):
    name = "child_exit"
    validator = v.validate_callable(2)
    default = child_exit
    desc = """\
        Called in the master after a worker has exited. Arguments: master, worker.
        """


class WorkerExit(_Hook):
    name = "worker_exit"
    validator = v.validate_callable(2)
    default = worker_exit
    desc = """\
        Called in the worker just before it exits. Arguments: master, worker.
        """


class NWorkersChanged(_Hook):
    name = "nworkers_changed"
    validator = v.validate_callable(3)
    default = nworkers_changed
    desc = """\
        Called in the master when the number of workers changes. Arguments: master, new, old.

        ``old`` is None the first time the number is set.
        """


class OnExit(_Hook):
    name = "on_exit"
    validator = v.validate_callable(1)
    default = on_exit
    desc = """\
        Called in the master just before it exits. Argument: the master.
        """
