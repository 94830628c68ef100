"""HUP's reload: read the configuration again, start a new generation of
workers beside the old one, and drain the old one, or roll back.

(Not --reload, the workers' code watcher: that one is in workers/base.py.)

A reload reads the configuration again from the same sources as at start
(command line, environment, config file, from the directory the command
was started in); an invalid one is refused and the current one stays.  A
valid one is applied to this process (environment, logging, listeners when
`bind` changed, pidfile) and a new generation of workers starts.  The old
workers are told to drain only once every new worker has reported READY
through its heartbeat slot (`finish_reload`, from the master's
manage_workers).

If a new worker exits before it reports READY, the reload is abandoned
(`abandon_reload`, from the master's exit bookkeeping): the new generation
is drained, the previous configuration, logging and listeners are restored,
and the old workers, never told to stop, keep serving.  A HUP during a
reload supersedes it: its new workers are drained, and the generation that
was serving before it stays the one to roll back to.

These functions act on the master's state (cfg, log, num_workers,
generation, generations, reloading_from, previous, listeners, pidfile).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastwsgi import heartbeat as hb
from fastwsgi.system import systemd
from fastwsgi.system.listeners import create_listener, describe
from fastwsgi.system.pidfile import Pidfile
from fastwsgi.system.process import forget_env, prepare_process

if TYPE_CHECKING:
    from fastwsgi.master import Master


def start(master: Master) -> None:
    """Reload the configuration and start a new generation of workers (HUP)."""
    systemd.sd_notify("RELOADING=1")
    if master.reloading_from is not None:
        # A reload is under way: its workers are superseded by this one.
        for w in list(master.WORKERS.values()):
            if w.generation == master.generation:
                master.retire(w, "superseded by another reload")
        serving = master.reloading_from
    else:
        serving = master.generation
        master.previous = (master.cfg, master.log, master.num_workers)
    if not reload_config(master):
        if master.reloading_from is None:
            master.previous = None
        systemd.sd_notify("READY=1")
        return
    master.cfg.on_reload(master)  # gunicorn: after the new config is read
    master.num_workers = int(master.cfg.workers)
    master.reloading_from = serving
    master.generations += 1
    master.generation = master.generations
    master.log.info("Reloading: starting %d new workers", master.num_workers)
    master.manage_workers()
    systemd.sd_notify("READY=1")


def reload_config(master: Master) -> bool:
    """Read the configuration again from the same sources (command line,
    environment, config file), as gunicorn's reload does.  False, with
    the reason logged, if it is invalid: the current one stays."""
    from fastwsgi.cli import setup_logging
    from fastwsgi.config import load_config
    from fastwsgi.errors import ConfigError
    old = master.cfg
    here = os.getcwd()
    try:
        os.chdir(master.start_cwd)
        cfg = load_config(master.argv)
        cfg.require_app()
        cfg.worker_mode  # noqa: B018 - refuses ASGI worker classes
    except (ConfigError, OSError) as exc:
        os.chdir(here)
        master.log.error("Reload failed: %s; the current configuration stays", exc)
        return False
    forget_env(old)
    prepare_process(cfg)
    if master.app is None:
        from fastwsgi.loader import prepare_sys_path
        prepare_sys_path(None, cfg.python_paths)
    try:
        log = setup_logging(cfg)
    except ConfigError as exc:
        master.log.error("Reload failed: %s; the current configuration stays", exc)
        return False
    master.cfg, master.log = cfg, log
    rebind(master, old)
    if cfg.pidfile != old.pidfile and not master.master_pid:
        if master.pidfile is not None:
            master.pidfile.unlink()
            master.pidfile = None
        if cfg.pidfile:
            master.pidfile = Pidfile(cfg.pidfile)
            master.pidfile.create(master.pid)
    return True


def rebind(master: Master, old: Any) -> None:
    """gunicorn: a reload that changes `bind` replaces the listeners (the
    old workers keep their copies until they are drained)."""
    cfg = master.cfg
    if list(cfg.bind) == list(old.bind) or any(b.startswith("fd://") for b in old.bind):
        return
    try:
        listeners = [create_listener(addr, backlog=int(cfg.backlog),
                                     reuse_port=bool(cfg.reuse_port),
                                     umask=int(cfg.umask)) for addr in cfg.bind]
    except (OSError, ValueError) as exc:
        master.log.error("Reload: cannot listen at %s (%s); keeping the current listeners",
                         ", ".join(cfg.bind), exc)
        return
    for sock in master.listeners:
        sock.close()
    master.listeners = listeners
    for sock in listeners:
        master.log.info("Listening at: %s (%d)", describe(sock), master.pid)


def finish_reload(master: Master) -> None:
    """Once every new worker is READY, drain the old generation."""
    new = [w for w in master.WORKERS.values()
           if w.generation == master.generation and w.stop_sent is None]
    if len(new) < master.num_workers:
        return
    if all(master.heartbeats.read(w.slot)[1] == hb.READY for w in new):
        for w in list(master.WORKERS.values()):
            if w.generation != master.generation:
                master.retire(w, "replaced by a reload")
        master.reloading_from = None
        master.log.info("Reload complete: %d new workers serving", len(new))


def abandon_reload(master: Master, why: str) -> None:
    """A new worker died before READY: drain the new generation and go back
    to the previous configuration; the old workers keep serving."""
    master.log.error("Reload failed: %s; the previous workers keep serving", why)
    for w in list(master.WORKERS.values()):
        if w.generation == master.generation:
            master.retire(w, "reload abandoned")
    assert master.reloading_from is not None
    master.generation = master.reloading_from
    master.reloading_from = None
    if master.previous is not None:
        failed = master.cfg
        master.cfg, master.log, master.num_workers = master.previous
        master.previous = None
        restore_process(master, failed)


def restore_process(master: Master, failed: Any) -> None:
    """Undo what applying the abandoned configuration changed in this process."""
    forget_env(failed)
    prepare_process(master.cfg)
    setup = getattr(master.log, "setup", None)  # logs.Logger rebuilds its handlers
    if setup is not None:
        try:
            setup(master.cfg)
        except Exception:
            master.log.exception("Could not restore the previous logging configuration")
    if list(failed.bind) != list(master.cfg.bind):
        rebind(master, failed)
