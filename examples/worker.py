"""A background worker for examples/site.conf: does a unit of "work" every few seconds,
logs a line for each, and stops cleanly on SIGTERM (what supervisor sends first)."""

import os
import signal
import sys
import time

running = True


def stop(signum, frame):
    global running
    running = False


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "worker"
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    signal.signal(signal.SIGTERM, stop)
    print(f"{name}: started (pid {os.getpid()}, every {interval:g} s)")
    done = 0
    while running:
        time.sleep(interval)
        done += 1
        print(f"{name}: job {done} done")
    print(f"{name}: stopping after {done} jobs")


if __name__ == "__main__":
    main()
