"""The chatty child of the log-capture bench: MB megabytes of 100-byte lines to stdout,
as fast as it can (64 KiB writes, or with `lines` one write per line), then its own
elapsed time and CPU to a file.  With `--exit` (no master) it exits then instead of
staying up."""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    megabytes, report = int(sys.argv[1]), sys.argv[2]
    per_line = len(sys.argv) > 3 and sys.argv[3] == "lines"
    line = b"x" * 99 + b"\n"
    # 65,500 bytes of whole lines per write, or one write per line (an unbuffered child)
    block = line if per_line else line * 655
    total = megabytes * 1_000_000
    with open(report + ".started", "w"):
        pass
    if "--exit" not in sys.argv:
        time.sleep(0.5)  # the bench reads the master's CPU before the first byte
    start, cpu = time.monotonic(), time.process_time()
    written = 0
    while written < total:
        chunk = block if total - written >= len(block) else line * ((total - written) // 100)
        view = memoryview(chunk)
        while view:
            view = view[os.write(1, view):]
        written += len(chunk)
    elapsed = time.monotonic() - start
    with open(report + ".tmp", "w") as f:
        f.write(f"{elapsed} {time.process_time() - cpu}\n")
    os.rename(report + ".tmp", report)
    if "--exit" not in sys.argv:
        time.sleep(3600)  # stay RUNNING until the bench stops the master


if __name__ == "__main__":
    main()
