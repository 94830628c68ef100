"""Coverage-guided fuzzing of the sans-I/O engine with atheris (libFuzzer).

Not part of the test suite; see README.md in this directory for how to run
it.  Each input is the bytes a client sends on one connection.  A hash of
them picks the server set-up (defaults, tiny limits, PROXY protocol on) and
where the bytes are cut into feed() calls, so that a crash file replays
exactly.  The invariants are tests/test_fuzz.py's (h11's: well-formed
responses, a refusal closes and is the last answer, nothing answered after
closing, a sane environ, the same answers however the bytes are cut); a
broken one raises, and libFuzzer saves the input as crash-<sha1>.
"""

from __future__ import annotations

import random
import sys
import zlib
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    from tests.fuzz import engine_props as props

SETUPS = [make() for make in props.SETUPS.values()]


def TestOneInput(data: bytes) -> None:
    h = zlib.crc32(data)
    setup = SETUPS[h % len(SETUPS)]
    pieces = props.split_random(random.Random(h), data)
    props.check(setup, data, pieces)


def write_seed_corpus(directory: Path) -> None:
    """The raw-request corpus as libFuzzer seeds, PROXY headers in front of a few."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind, requests in (("valid", props.VALID), ("invalid", props.INVALID)):
        for i, raw in enumerate(requests):
            (directory / f"{kind}-{i:03d}").write_bytes(raw)
    for i, header in enumerate(props.PROXY_HEADERS):
        (directory / f"proxy-{i}").write_bytes(header + props.VALID[0])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seed-corpus":
        write_seed_corpus(Path(sys.argv[2]))
        return
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
