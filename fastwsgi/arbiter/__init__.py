"""The arbiter: a WSGI program's workers kept alive, and the process around it.

- ``program``: ``WSGIProgram``, one WSGI program (listeners, workers, respawn,
  timeouts, HUP reload, TTIN/TTOU, graceful drain) inside an asyncio loop it
  does not own, its signals delivered as method calls;
- ``reload``: HUP's ``Reload`` (new generation, drain the old one, or roll back);
- ``reexec``: USR2's ``Reexec`` (a new master sharing the listeners, promotion);
- ``exits``: a worker's exit in words, and the cgroup's OOM counter;
- ``master``: ``Master``, the standalone `fastwsgi APP` process: loop, signals,
  pidfile, systemd, exit code.

May import ``workers`` (and, below it, ``engine``), ``config``, ``system``,
``logs``, ``errors``, ``loader``; never ``cli``, ``supervisor`` or ``control``.
"""
