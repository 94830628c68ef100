"""--threads N: the app runs on a pool while the loop keeps serving."""

from __future__ import annotations

import socket
from collections.abc import Callable

from tests.support import ServerProcess, read_response, read_until_closed, request, split_responses

APP = "tests.apps.threaded:validated_app"


def get(sock: socket.socket, path: str) -> bytes:
    sock.sendall(request(path))
    return read_response(sock)


def chunked_bodies(raw: bytes) -> list[bytes]:
    """The bodies of consecutive 200 responses with chunked framing; nothing
    may follow the last."""
    responses, rest = split_responses(raw)
    assert rest == b"", rest[:200]
    assert all(r.status == 200 and r.headers.get("transfer-encoding") == "chunked"
               for r in responses), [r.raw[:200] for r in responses]
    return [r.body for r in responses]


def test_a_blocked_app_thread_does_not_stop_other_requests(
        serve: Callable[..., ServerProcess]) -> None:
    srv = serve(APP, "--threads", "4", "--worker-class", "gthread")
    with srv.connect() as blocked, srv.connect() as other:
        blocked.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        # /release is served by another pool thread while /block waits; with
        # the app on the loop thread this would deadlock until /block's 10 s.
        assert get(other, "/release").endswith(b"ok")
        assert read_response(blocked).endswith(b"released")


def test_environ_says_multithread_and_a_pool_thread_runs_the_app(
        serve: Callable[..., ServerProcess]) -> None:
    srv = serve(APP, "--threads", "2", "--worker-class", "gthread")
    with srv.connect() as s:
        body = get(s, "/who").partition(b"\r\n\r\n")[2]
    assert body.startswith(b"fastwsgi-app-") and body.endswith(b"True")


def test_streaming_and_pipelining_through_the_pool(
        serve: Callable[..., ServerProcess]) -> None:
    srv = serve(APP, "--threads", "3", "--worker-class", "gthread")
    request = b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
    with srv.connect() as s:
        s.sendall(request * 2 + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        raw = read_until_closed(s)
    assert chunked_bodies(raw) == [b"".join(b"%d\n" % i for i in range(1000))] * 3


def test_large_chunks_through_the_pool_stay_whole_and_in_order(
        serve: Callable[..., ServerProcess]) -> None:
    srv = serve(APP, "--threads", "2", "--worker-class", "gthread")
    request = b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
    with srv.connect() as s:
        s.sendall(request + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        raw = read_until_closed(s)
    assert chunked_bodies(raw) == [b"".join(bytes([65 + i]) * 300_000 for i in range(4))] * 2
