"""HUP's reload: read the configuration again, start a new generation of
workers beside the old one, and drain the old one, or roll back.

(Not --reload, the workers' code watcher: that one is in workers/base.py.)

A reload reads the configuration again from the same sources as at start
(command line, environment, config file, from the directory the command
was started in); an invalid one is refused and the current one stays.  A
valid one is applied to this process (environment, logging, listeners when
`bind` changed; the program's owner is told, for its pidfile) and a new
generation of workers starts.  The old workers are told to drain only once
every new worker has reported READY through its heartbeat slot
(``finish_if_ready``, from the program's manage_workers).

If a new worker exits before it reports READY, the reload is abandoned
(``abandon``, from the program's exit bookkeeping): the new generation is
drained, the previous configuration, logging and listeners are restored,
and the old workers, never told to stop, keep serving.  A HUP during a
reload supersedes it: its new workers are drained, and the generation that
was serving before it stays the one to roll back to.

A ``Reload`` owns that state (the generation to roll back to, and the
configuration, logger and worker count from before); the program's own
state changes only through what it is: its cfg, log, listeners, generation.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastwsgi.errors import ConfigError
from fastwsgi.system import systemd
from fastwsgi.workers import heartbeat as hb
from fastwsgi.workers.tls import context_for

if TYPE_CHECKING:
    from fastwsgi.arbiter.program import WSGIProgram


class Reload:
    """The reload of one program (at most one under way)."""

    def __init__(self, program: WSGIProgram) -> None:
        self.program = program
        self.serving: int | None = None  # the generation to roll back to, while one is under way
        self.previous: tuple[Any, Any, int] | None = None  # (cfg, log, workers) before HUP

    @property
    def active(self) -> bool:
        return self.serving is not None

    def start(self) -> None:
        """Reload the configuration and start a new generation of workers (HUP)."""
        program = self.program
        systemd.sd_notify("RELOADING=1")
        if self.serving is not None:
            # A reload is under way: its workers are superseded by this one.
            for w in list(program.WORKERS.values()):
                if w.generation == program.generation:
                    program.retire(w, "superseded by another reload")
            serving = self.serving
        else:
            serving = program.generation
            self.previous = (program.cfg, program.log, program.num_workers)
        if not self.reload_config():
            program.totals.failed_reloads += 1
            if self.serving is None:
                self.previous = None
            systemd.sd_notify("READY=1")
            return
        program.cfg.on_reload(program.host)  # gunicorn: after the new config is read
        program.num_workers = int(program.cfg.workers)
        self.serving = serving
        program.generations += 1
        program.generation = program.generations
        program.log.info("Reloading: starting %d new workers", program.num_workers)
        program.manage_workers()
        systemd.sd_notify("READY=1")

    def reload_config(self) -> bool:
        """Read the configuration again from the same sources (command line,
        environment, config file), as gunicorn's reload does.  False, with
        the reason logged, if it is invalid: the current one stays."""
        program = self.program
        old = program.cfg
        here = os.getcwd()
        try:
            cfg = program.read_config()
            cfg.require_app()
            cfg.worker_mode  # noqa: B018 - refuses ASGI worker classes
            context_for(cfg)  # a broken new certificate: the old workers keep serving
        except (ConfigError, OSError) as exc:
            os.chdir(here)
            program.log.error("Reload failed: %s; the current configuration stays",
                              getattr(exc, "message", exc))
            return False
        program.apply_process(old, cfg)
        try:
            log = program.make_log(cfg)
        except ConfigError as exc:
            # The new set-up had already replaced our handlers: the current
            # ones come back first, so that this line goes where the logs went.
            self._restore_env_and_logs(cfg)
            os.chdir(here)
            program.log.error("Reload failed: %s; the current configuration (and its logging) "
                              "stays", exc.message)
            return False
        program.cfg, program.log = cfg, log
        self.rebind(old)
        if program.on_config_applied is not None:
            program.on_config_applied(old)
        return True

    def rebind(self, old: Any) -> None:
        """gunicorn: a reload that changes `bind` replaces the listeners (the
        old workers keep their copies until they are drained)."""
        program = self.program
        cfg = program.cfg
        if list(cfg.bind) == list(old.bind) or any(b.startswith("fd://") for b in old.bind):
            return
        slots = program.slots
        try:
            if slots is not None:
                # reuse_port: an address kept keeps its slot sockets.
                new_slots = slots.rebound(cfg.bind, program.num_workers)
                listeners = new_slots.sockets()
            else:
                listeners = program.bind(cfg)
        except (OSError, ValueError) as exc:
            program.log.error("Reload: cannot listen at %s (%s); keeping the current listeners",
                              ", ".join(cfg.bind), exc)
            return
        if slots is not None:
            slots.close_except(new_slots)
            program.slots = new_slots
        else:
            for sock in program.listeners:
                sock.close()
        program.listeners = listeners
        program.log_listening()

    def finish_if_ready(self) -> None:
        """Once every new worker is READY, drain the old generation."""
        program = self.program
        new = [w for w in program.WORKERS.values()
               if w.generation == program.generation and w.stop_sent is None]
        if len(new) < program.num_workers:
            return
        if all(program.heartbeats.read(w.slot)[1] == hb.READY for w in new):
            for w in list(program.WORKERS.values()):
                if w.generation != program.generation:
                    program.retire(w, "replaced by a reload")
            self.serving = None
            program.totals.reloads += 1
            program.log.info("Reload complete: %d new workers serving", len(new))

    def abandon(self, why: str) -> None:
        """A new worker died before READY: drain the new generation and go back
        to the previous configuration; the old workers keep serving."""
        program = self.program
        program.log.error("Reload failed: %s; the previous workers keep serving", why)
        program.totals.failed_reloads += 1
        for w in list(program.WORKERS.values()):
            if w.generation == program.generation:
                program.retire(w, "reload abandoned")
        assert self.serving is not None
        program.generation = self.serving
        self.serving = None
        if self.previous is not None:
            failed = program.cfg
            program.cfg, program.log, program.num_workers = self.previous
            self.previous = None
            self._restore_process(failed)

    def _restore_process(self, failed: Any) -> None:
        """Undo what applying the abandoned configuration changed in this process."""
        program = self.program
        self._restore_env_and_logs(failed)
        if list(failed.bind) != list(program.cfg.bind):
            self.rebind(failed)

    def _restore_env_and_logs(self, failed: Any) -> None:
        """The environment, process settings and logging of program.cfg again."""
        program = self.program
        program.apply_process(failed, program.cfg)
        setup = getattr(program.log, "setup", None)  # logs.Logger rebuilds its handlers
        if setup is not None:
            try:
                setup(program.cfg)
            except Exception:
                program.log.exception("Could not restore the previous logging configuration")
