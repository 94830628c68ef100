"""A Flask hello app (plaintext), to see the server's share next to a framework's."""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)


@app.route("/")
def hello() -> Response:
    return Response("Hello, World!", mimetype="text/plain")
