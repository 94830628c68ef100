"""Worker processes: what runs in a forked child of the master.

- ``base``: the worker process (signals, post_fork, privileges, app loading,
  READY, the engine's settings) and ``Worker``, as the master and hooks see it;
- ``heartbeat``: the shared-memory slots a worker beats into and the master reads;
- ``hookobjects``: the request/response objects pre_request/post_request receive;
- ``native``: the worker that hands listeners and app to the engine.

May import ``engine`` and the base packages (``config``, ``system``, ``logs``,
``errors``, ``loader``); never ``arbiter``, ``supervisor``, ``control`` or ``cli``.
"""
