"""Process set-up from the configuration: environment, working directory,
umask (in the master, before anything is bound or loaded) and the user and
group a worker runs as (in the worker, after the post_fork hook)."""

from __future__ import annotations

import os
from typing import Any


def prepare_process(cfg: Any) -> None:
    """What gunicorn does before anything is bound or loaded (and again on HUP)."""
    for key, value in cfg.env.items():
        os.environ[key] = value
    if cfg.chdir:
        os.chdir(cfg.chdir)
    os.umask(int(cfg.umask))


def forget_env(cfg: Any) -> None:
    """Remove the raw_env variables a configuration set (before another's apply)."""
    for key in cfg.env:
        os.environ.pop(key, None)


def drop_privileges(cfg: Any) -> None:
    """Become ``user``/``group`` (with ``initgroups``) when started as root."""
    if os.getuid() != 0:
        return
    uid, gid = cfg.uid, cfg.gid
    if gid != os.getgid():
        if cfg.initgroups:
            import pwd
            os.initgroups(pwd.getpwuid(uid).pw_name, gid)
        os.setgid(gid)
    if uid != os.getuid():
        os.setuid(uid)
