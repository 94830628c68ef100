"""A bounded, deterministic fuzz of the sans-I/O engine.

Corpus requests (tests/requests/) are mutated (byte flips, insertions of
CR/LF/NUL/SP/TAB/':'/'-'/digits, deletions, truncations, duplicated header
lines and slices, case flips, tricky header lines) and fed to
``_core.Server(app).connection()`` whole and at random cuts, and h11's
invariant is checked on what comes back:

- ``feed`` never raises, and the process does not crash;
- the output is a sequence of well-formed HTTP/1.1 responses, Content-Length
  framed, with nothing left over;
- each is ``100 Continue``, the app's 200, or a refusal (400, 413, 414, 431,
  501, 505) with ``Connection: close``; a refusal is the last response, the
  connection is then ``closing`` and nothing fed afterwards is ever answered;
- a response with ``Connection: close`` is the last one, and ``closing`` is
  set exactly when the last response says close;
- the app is never called more often than the input holds request lines, and
  what it sees is sane: a token method, HTTP/1.0 or 1.1, Host in 1.1, never
  both Transfer-Encoding and Content-Length, CONTENT_LENGTH bytes of body,
  header keys and values free of CR/LF/NUL/CTLs and of surrounding OWS;
- how the bytes are cut does not change the answers (split invariance).

Three server set-ups are fuzzed: the defaults, tiny limits (to reach 413,
414, 431 and body spooling), and the PROXY protocol on (v1 and v2 headers in
front of the requests).  The seeds are fixed, so a failure reproduces; it is
reported shrunk to a minimal input.  Longer runs, for hunting:

    .venv/bin/python -m tests.test_fuzz --seeds 0-99 --iterations 5000

(The checks live in tests/fuzz/engine_props.py; tests/fuzz/ also has a
coverage-guided atheris harness for the same invariants.)
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import warnings

import pytest

from tests.fuzz.engine_props import (
    INVALID,
    SETUPS,
    VALID,
    Setup,
    Violation,
    check,
    fuzz,
    split_random,
)

# Per test (one set-up and one seed): about 30 000 inputs in all, 3-4 s of CPU.
ITERATIONS = 2500
SEEDS = range(4)


def test_corpus_is_there() -> None:
    assert len(VALID) > 50 and len(INVALID) > 50


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("setup_name", list(SETUPS))
def test_fuzz(setup_name: str, seed: int) -> None:
    try:
        fuzz(SETUPS[setup_name](), seed, ITERATIONS)
    except Violation as v:
        pytest.fail(str(v), pytrace=False)


SPOOLED = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
REFUSED_MID_BODY = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"8\r\n01234567\r\nzz\r\n")


@pytest.mark.parametrize("data", [SPOOLED, REFUSED_MID_BODY], ids=["answered", "refused"])
def test_spooled_body_is_closed(data: bytes) -> None:
    """A body spooled to a temporary file is closed by the engine, whether
    the request was answered or refused half-way through its body."""
    setup = Setup("spool", {"spool_threshold": 4})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        conn = setup.connection()
        conn.feed(data)
        conn.take_output()
        conn.close()
        del conn
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_unmutated_corpus_is_split_invariant() -> None:
    """The checker itself on the corpus as is: every case passes."""
    rnd = random.Random(0)
    for setup in (SETUPS["default"](), SETUPS["tiny"]()):
        for data in VALID + INVALID:
            try:
                check(setup, data, split_random(rnd, data))
            except Violation as v:
                pytest.fail(f"[{setup.name}] {data[:80]!r}: {v}", pytrace=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="a longer run of the engine fuzz")
    ap.add_argument("--seeds", default="0-9", help="a range, e.g. 0-99")
    ap.add_argument("--iterations", type=int, default=5000)
    ap.add_argument("--setup", action="append", choices=list(SETUPS))
    args = ap.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    failures = 0
    for name in args.setup or list(SETUPS):
        for seed in range(int(lo), int(hi or lo) + 1):
            t = time.monotonic()
            try:
                fuzz(SETUPS[name](), seed, args.iterations)
                print(f"{name} seed {seed}: ok ({time.monotonic() - t:.1f} s)", flush=True)
            except Violation as v:
                failures += 1
                print(f"{name} seed {seed}: FAIL\n{v}\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
