"""The master's pidfile (gunicorn's semantics: refuse a live master's file,
replace a stale one; a USR2 master writes ``<pidfile>.2`` and renames it to
``<pidfile>`` once the old master has exited)."""

from __future__ import annotations

import os


class Pidfile:
    def __init__(self, path: str) -> None:
        self.path = path
        self.pid: int | None = None

    def create(self, pid: int) -> None:
        old = self.validate()
        if old and old != pid:
            raise RuntimeError(f"Already running on PID {old} (or pid file '{self.path}' is stale)")
        self._write(pid)

    def _write(self, pid: int) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        # Written beside, then renamed: readers never see a partial file.  The
        # name is random and O_EXCL, as tempfile.mkstemp() would make it, but
        # without tempfile (shutil, bz2, lzma, random): what the master
        # imports is in every worker's memory.
        tmp = os.path.join(directory, f".fastwsgi-pid-{os.urandom(8).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{pid}\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.path)
        self.pid = pid

    def rename(self, path: str) -> None:
        """Move our file to ``path``, replacing what is there: the promoted USR2
        master takes the name over from an old master that has exited (even
        one killed before it could remove its file, or not yet reaped)."""
        self.unlink()
        self.path = path
        if self.pid is not None:
            self._write(self.pid)

    def unlink(self) -> None:
        """Remove the file if it is still ours."""
        try:
            with open(self.path) as f:
                if int(f.read().strip() or 0) == self.pid:
                    os.unlink(self.path)
        except (OSError, ValueError):
            pass

    def validate(self) -> int | None:
        """The PID in an existing file if that process is alive, else None."""
        try:
            with open(self.path) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid
