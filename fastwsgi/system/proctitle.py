"""Process titles, as gunicorn's ("fastwsgi: master [proc_name]", "fastwsgi:
worker [proc_name]"), set by the master, a new USR2 master and the workers.

setproctitle is a dependency, so ps, top and /proc/PID/cmdline show them out
of the box (gunicorn shows them only when the user installed it).  Imported
when a title is first set, not before: a run that never sets one (--help,
--print-config) does not load it."""

from __future__ import annotations

PREFIX = "fastwsgi: "


def set_title(title: str) -> None:
    """Title this process "fastwsgi: <title>"; one warning line, once, if the
    setproctitle module cannot be imported (a broken install)."""
    try:
        from setproctitle import setproctitle
    except ImportError as exc:
        import logging
        global _warned
        if not _warned:
            _warned = True
            logging.getLogger("fastwsgi.error").warning(
                "Process titles are not set (setproctitle: %s): ps shows the command line", exc)
        return
    setproctitle(PREFIX + title)


_warned = False
