"""The load scenarios: which app, how wrk drives it, what every response must be."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from apps import bigfile, filewrap, hello

POST_SIZE = 64 * 1024


@dataclass(frozen=True)
class Expected:
    """What a correct response carries: status 200 and exactly this body."""

    length: int
    sha256: str
    text: str  # short human description for the report

    @classmethod
    def of(cls, body: bytes, text: str | None = None) -> Expected:
        shown = (
            text
            if text is not None
            else (body.decode() if len(body) <= 40 else f"{len(body)} bytes")
        )
        return cls(len(body), hashlib.sha256(body).hexdigest(), shown)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    app: str  # module under bench/apps/
    expected: Expected
    connections: int = 100
    workers: int = 1
    pinned: bool = True  # server on CPU 1, wrk on CPU 0
    pipeline: int = 1
    post_size: int = 0
    close: bool = False
    throughput: bool = False  # report MB/s
    what: str = ""
    # Added to the server's environment (FASTWSGI_CMD_ARGS: a fastwsgi
    # setting only fastwsgi reads), as (name, value) pairs: the dataclass is frozen.
    server_env: tuple[tuple[str, str], ...] = ()

    def wrk_args(self, url: str, duration: int, script: Path) -> list[str]:
        args = [
            "wrk",
            "-t1",
            f"-c{self.connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
        ]
        if self.close:
            args += ["-H", "Connection: close"]
        return args + [url]

    def env(self) -> dict[str, str]:
        env = {"BENCH_EXPECT_LEN": str(self.expected.length)}
        if self.pipeline > 1:
            env["BENCH_PIPELINE"] = str(self.pipeline)
        if self.post_size:
            env["BENCH_POST_SIZE"] = str(self.post_size)
        if self.throughput:
            env["BENCH_CHECK"] = "light"
        return env

    def request(self) -> tuple[str, bytes | None, dict[str, str]]:
        """The verification request (method, body, headers) made before the run."""
        headers = {"Connection": "close"} if self.close else {}
        if self.post_size:
            headers["Content-Type"] = "application/octet-stream"
            return "POST", b"x" * self.post_size, headers
        return "GET", None, headers


HELLO = Expected.of(hello.BODY)
JSON = Expected.of(json.dumps({"message": "Hello, World!"}).encode())


def build_scenarios() -> dict[str, Scenario]:
    big = Expected.of(bigfile.BODY, "1 MiB")
    wrapped = Expected.of(filewrap.PATH.read_bytes(), "10 MiB")
    items = [
        Scenario(
            "plaintext",
            "plaintext keep-alive",
            "hello",
            HELLO,
            what="13-byte text/plain, 100 keep-alive connections: the per-request floor.",
        ),
        Scenario(
            "json",
            "JSON",
            "json_app",
            JSON,
            what="json.dumps of a small dict on every request, 100 keep-alive connections.",
        ),
        Scenario(
            "pipelined",
            "pipelined x16",
            "hello",
            HELLO,
            pipeline=16,
            what="plaintext, 16 requests written back-to-back per connection (100 connections).",
        ),
        Scenario(
            "close",
            "Connection: close",
            "hello",
            HELLO,
            connections=50,
            close=True,
            what="plaintext, a new TCP connection per request (50 connections): accept/close cost.",
        ),
        Scenario(
            "bigfile",
            "1 MiB response",
            "bigfile",
            big,
            connections=50,
            throughput=True,
            what="a 1 MiB body from memory, 50 connections: copying/sending cost, MB/s.",
        ),
        Scenario(
            "post",
            "64 KiB POST",
            "post",
            Expected.of(str(POST_SIZE).encode()),
            post_size=POST_SIZE,
            what="POST of 64 KiB read fully from wsgi.input, 100 connections: request-body path.",
        ),
        Scenario(
            "flask",
            "Flask hello",
            "flask_app",
            HELLO,
            what="a Flask app returning plaintext, 100 connections: the server's share "
            "under a framework.",
        ),
        Scenario(
            "filewrap",
            "file_wrapper 10 MiB",
            "filewrap",
            wrapped,
            connections=10,
            throughput=True,
            what="wsgi.file_wrapper over a 10 MiB file, 10 connections: sendfile path, MB/s.",
        ),
        Scenario(
            "conn1000",
            "1000 connections",
            "hello",
            HELLO,
            connections=1000,
            what="plaintext over 1,000 keep-alive connections: event-loop scaling.",
        ),
        Scenario(
            "workers2",
            "2 workers, unpinned",
            "hello",
            HELLO,
            workers=2,
            pinned=False,
            what="plaintext, 2 worker processes, nothing pinned (server and wrk share both cores).",
        ),
        Scenario(
            "workers2-reuseport",
            "2 workers, reuse_port, unpinned",
            "hello",
            HELLO,
            workers=2,
            pinned=False,
            server_env=(("FASTWSGI_CMD_ARGS", "--reuse-port"),),
            what="workers2 with fastwsgi's reuse_port: a SO_REUSEPORT socket per worker, the "
            "kernel spreading the connections (other peers run it as workers2).",
        ),
    ]
    return {s.name: s for s in items}


QUICK_SCENARIOS = ["plaintext", "pipelined"]
