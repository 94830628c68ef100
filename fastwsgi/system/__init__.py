"""The operating system as the master sees it.

Modules here talk to the kernel on behalf of the master and of supervisor mode:

- ``listeners``: bind host:port, [::]:port, unix:/path, fd://N (and describe one);
- ``pidfile``: gunicorn's pidfile (refuse a live one, replace a stale one, rename);
- ``daemon``: --daemon's double fork;
- ``proctitle``: "fastwsgi: master [name]" titles (with setproctitle);
- ``systemd``: sd_notify and LISTEN_FDS;
- ``process``: environment, chdir, umask, user and group from the configuration;
- ``osapi``: the narrow seam through which process management forks, execs,
  signals, reaps and reads the clock (tests hand a fake one).

Packages above may import this one; it imports nothing of fastwsgi's but
``errors``.
"""
