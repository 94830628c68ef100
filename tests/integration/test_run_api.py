"""fastwsgi.run(): serving from Python in one process, no master."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from tests.support import ROOT, listening_socket, read_response

SCRIPT = """
import sys, threading
import fastwsgi

def app(environ, start_response):
    body = ("%s %s %s" % (environ["PATH_INFO"], environ["wsgi.multithread"],
                          threading.current_thread().name)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]

fastwsgi.run(app, bind="fd://" + sys.argv[1], threads=int(sys.argv[2]))
print("stopped", flush=True)
"""


@pytest.mark.parametrize(("threads", "sig"), [(1, signal.SIGTERM), (2, signal.SIGINT)])
def test_run_serves_until_signalled(threads: int, sig: int) -> None:
    sock = listening_socket()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(sock.fileno()), str(threads)],
                            pass_fds=(sock.fileno(),), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        with socket.create_connection(sock.getsockname(), timeout=10) as client:
            for path in ("/a", "/b"):  # two requests on one keep-alive connection
                client.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                head, _, body = read_response(client).partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 OK")
                multithread = b"True" if threads > 1 else b"False"
                assert body.startswith(path.encode() + b" " + multithread)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err.decode()
        assert out == b"stopped\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        sock.close()

