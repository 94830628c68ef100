"""The operating system as the master sees it.

Modules here talk to the kernel on behalf of the master and of supervisor mode:
listeners, pidfiles, daemonising, process titles, systemd, process set-up, and
``osapi``, the narrow seam through which process management forks, execs,
signals, reaps and reads the clock. Packages above may import this one; it
imports nothing of fastwsgi's but ``errors`` and ``logs``.
"""
