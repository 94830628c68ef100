"""Process titles, as gunicorn's ("fastwsgi: master [proc_name]", "fastwsgi:
worker [proc_name]"), set by the master, a new USR2 master and the workers."""

from __future__ import annotations


def set_title(title: str) -> None:
    """gunicorn's process titles ("fastwsgi: master [proc_name]"), when the
    optional setproctitle package is installed, as in gunicorn."""
    try:
        from setproctitle import setproctitle
    except ImportError:
        return
    setproctitle(f"fastwsgi: {title}")
