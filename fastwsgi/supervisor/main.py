"""Supervisor mode's entry: `fastwsgi -c site.conf` and `fastwsgi supervise`.

The order of supervisord's startup: read the file (any error: one line,
exit 2, nothing started), drop privileges ([supervisord] user), raise the
rlimits to minfds/minprocs or refuse, open the log, clear old AUTO logs,
daemonize unless nodaemon (then chdir to `directory` and set `umask`, as
supervisord does only there), write the pidfile, run until shut down.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Callable
from typing import Any

from fastwsgi.supervisor.configs import ServerOptions
from fastwsgi.supervisor.datatypes import gid_for_uid, name_to_uid
from fastwsgi.supervisor.ini import ConfigFileError, read_config

EXIT_USAGE = 2  # supervisord's usage() status


def search_paths(cwd: str, executable: str) -> list[str]:
    """DESIGN §4: the working directory first, then supervisor 4's places."""
    bindir = os.path.dirname(os.path.abspath(executable))
    return [os.path.join(cwd, "supervisord.conf"), os.path.join(cwd, "etc", "supervisord.conf"),
            "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf",
            os.path.normpath(os.path.join(bindir, "..", "etc", "supervisord.conf")),
            os.path.normpath(os.path.join(bindir, "..", "supervisord.conf"))]


def find_config(cwd: str | None = None, executable: str | None = None) -> str | None:
    for path in search_paths(cwd or os.getcwd(), executable or sys.argv[0]):
        if os.path.isfile(path):
            return path
    return None


def _usage(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return EXIT_USAGE


def drop_privileges(user: str) -> str | None:
    """The master becomes `user`; None, or why it cannot (supervisor's words)."""
    try:
        uid = name_to_uid(user)
    except ValueError:
        return f"Can't find username {user!r}"
    if os.getuid() == uid:
        return None
    if os.getuid() != 0:
        return "Can't drop privilege as nonroot user"
    import pwd
    name = pwd.getpwuid(uid).pw_name
    gid = gid_for_uid(uid)
    try:
        os.initgroups(name, gid)
        os.setgid(gid)
    except OSError:
        return "Could not set group id of effective user"
    os.setuid(uid)
    return None


_RLIMIT_MESSAGES = {
    "minfds": ("RLIMIT_NOFILE", (
               'The minimum number of file descriptors required to run this process is '
               '{min} as per the "minfds" command-line argument or config file setting. '
               'The current environment will only allow you to open {hard} file '
               'descriptors.  Either raise the number of usable file descriptors in your '
               'environment (see README.rst) or lower the minfds setting in the config '
               'file to allow the process to start.')),
    "minprocs": ("RLIMIT_NPROC", (
                 'The minimum number of available processes required to run this program '
                 'is {min} as per the "minprocs" command-line argument or config file '
                 'setting. The current environment will only allow you to open {hard} '
                 'processes.  Either raise the number of usable processes in your '
                 'environment (see README.rst) or lower the minprocs setting in the config '
                 'file to allow the program to start.')),
}


def set_rlimits(options: ServerOptions) -> str | None:
    """Raise the soft limits to minfds/minprocs as supervisord does; the refusal, or None."""
    for option, (name, message) in _RLIMIT_MESSAGES.items():
        minimum = getattr(options, option)
        res = getattr(resource, name)
        soft, hard = resource.getrlimit(res)
        if soft == resource.RLIM_INFINITY or soft >= minimum:
            continue
        new_hard = hard if hard == resource.RLIM_INFINITY or hard >= minimum else minimum
        try:
            resource.setrlimit(res, (minimum, new_hard))
            options.parse_infos.append(f"Increased {name} limit to {minimum}")
        except (OSError, ValueError):
            return message.format(min=minimum, hard=hard)
    return None


def write_pidfile(options: ServerOptions) -> bool:
    if not options.pidfile:
        return False
    try:
        with open(options.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    except OSError:
        options.logger.critical("could not write pidfile %s", options.pidfile)
        return False
    options.logger.info("supervisord started with pid %s", os.getpid())
    return True


def daemonize(options: ServerOptions) -> None:
    from fastwsgi.system.daemon import daemonize as detach
    detach()
    if options.directory:
        try:
            os.chdir(options.directory)
        except OSError as exc:
            options.logger.critical("can't chdir into %r: %s", options.directory, exc)
    os.umask(options.umask)


def run_supervisor(path: str, control_factory: Callable[[Any], Any] | None = None,
                   nodaemon: bool | None = None) -> int:
    """Run the file at `path` until shut down; the master's exit status."""
    try:
        options = read_config(path)
    except ConfigFileError as exc:
        return _usage(str(exc))
    if nodaemon is not None:
        options.nodaemon = nodaemon
    if options.user is not None:
        why = drop_privileges(options.user)
        if why is not None:
            return _usage(why)
    elif os.getuid() == 0:
        options.parse_warnings.append(
            "Supervisor is running as root.  Privileges were not dropped because no user is "
            "specified in the config file.  If you intend to run as root, you can set "
            "user=root in the config file to avoid this message.")
    refusal = set_rlimits(options)
    if refusal is not None:
        return _usage(refusal)
    from fastwsgi.supervisor import mainlog
    try:
        logger = mainlog.make_logger(options, foreground=options.nodaemon)
    except OSError as exc:
        return _usage(f"cannot open the log {options.logfile}: {exc.strerror}")
    for line in options.parse_warnings:
        logger.warning(line)
    for line in options.parse_infos:
        logger.info(line)
    from fastwsgi.supervisor.supervisord import Supervisor
    supervisor = Supervisor(options)
    if options.server_configs and control_factory is None:
        logger.warning("[%s] is configured but this fastwsgi has no control server: "
                       "supervisorctl cannot reach it", options.server_configs[0]["section"])
    control = None
    if control_factory is not None:
        # Its sockets are bound before anything else happens, as supervisord
        # opens its HTTP servers first: a socket in use is said on the terminal
        # (not after daemonizing, not after the programs were started).
        control = control_factory(supervisor)
        try:
            control.bind()
        except OSError as exc:
            mainlog.close_logger(logger)
            return _usage(exc.strerror or str(exc))
    if not options.nocleanup:
        options.clear_autochildlogdir()
    if not options.nodaemon:
        daemonize(options)
    from fastwsgi.system.osapi import REAL_OS
    REAL_OS.set_child_subreaper()
    pidfile_written = write_pidfile(options)
    import uvloop
    try:
        return uvloop.run(supervisor.run(None if control is None else lambda _: control))
    finally:
        if pidfile_written and options.pidfile:
            try:
                os.unlink(options.pidfile)
            except OSError:
                pass
        mainlog.close_logger(logger)


def supervise(argv: list[str], control_factory: Callable[[Any], Any] | None = None) -> int:
    """`fastwsgi supervise [-c FILE] [-n]`: supervisord's command line, the part that matters."""
    import argparse
    parser = argparse.ArgumentParser(prog="fastwsgi supervise",
                                     description="Run a supervisord.conf (supervisor mode).")
    parser.add_argument("-c", "--configuration", metavar="FILE",
                        help="the supervisord.conf (searched for if not given)")
    parser.add_argument("-n", "--nodaemon", action="store_true", default=None,
                        help="stay in the foreground (as nodaemon=true)")
    args = parser.parse_args(argv)
    path = args.configuration or find_config()
    if path is None:
        places = ", ".join(search_paths(os.getcwd(), sys.argv[0]))
        return _usage(f"No config file found at default paths ({places}); use the -c option "
                      "to specify a config file at a different path")
    return run_supervisor(path, control_factory, nodaemon=args.nodaemon)
