"""A small Flask app (tests/apps/basic.py: flask_app) end to end through a
live server, behind wsgiref's validator: JSON routes, form and multipart
POSTs, a streamed response, 404s; all on one keep-alive connection."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support import Client, Response, request, run_server

APP = "tests.apps.basic:validated_flask_app"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One connection for the whole module: every exchange also checks that
    the previous response was framed exactly."""
    with run_server(APP, tmp_path=tmp_path_factory.mktemp("flask")) as srv, Client(srv) as c:
        yield c


def exchange(c: Client, raw: bytes) -> Response:
    c.send(raw)
    r = c.response()
    assert "connection" not in r.headers, "the connection must stay open"
    return r


def post(target: str, content_type: str, body: bytes) -> bytes:
    return request(target, method="POST", headers=(
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n")) + body


def test_json_route(client: Client) -> None:
    r = exchange(client, request("/items/7?tag=a&tag=b%20c"))
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.body) == {"id": 7, "name": "item 7", "tags": ["a", "b c"]}


def test_form_post(client: Client) -> None:
    r = exchange(client, post("/form", "application/x-www-form-urlencoded",
                              b"a=1&b=two&b=%C3%A9t%C3%A9&empty="))
    assert r.status == 200
    assert json.loads(r.body) == {"fields": {"a": ["1"], "b": ["two", "\u00e9t\u00e9"],
                                             "empty": [""]}, "files": {}}


def test_multipart_post_with_a_file(client: Client) -> None:
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nfile body\nline 2\r\n--XyZ--\r\n")
    r = exchange(client, post("/form", "multipart/form-data; boundary=XyZ", body))
    assert r.status == 200
    assert json.loads(r.body) == {"fields": {"title": ["hello"]},
                                  "files": {"doc": "file body\nline 2"}}


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_json_post(client: Client, framing: str) -> None:
    doc = {"x": [1, 2, 3], "y": "\u2603"}
    body = json.dumps(doc).encode()
    if framing == "length":
        raw = post("/json", "application/json", body)
    else:
        raw = request("/json", method="POST", headers=(
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"))
        raw += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    r = exchange(client, raw)
    assert r.status == 200
    length = len(body) if framing == "length" else None
    assert json.loads(r.body) == {"received": doc, "length": length}


def test_streamed_response(client: Client) -> None:
    r = exchange(client, request("/stream?n=3"))
    assert r.status == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.body == b"line 0\nline 1\nline 2\n"


@pytest.mark.parametrize("target", ["/nope", "/items/101", "/items/abc"])
def test_not_found(client: Client, target: str) -> None:
    r = exchange(client, request(target))
    assert r.status == 404
    assert r.headers["content-type"].startswith("text/html")
    assert b"Not Found" in r.body


def test_method_not_allowed(client: Client) -> None:
    r = exchange(client, request("/form"))
    assert r.status == 405
    assert "POST" in r.headers["allow"]


def test_head(client: Client) -> None:
    get = exchange(client, request("/items/3"))
    client.send(request("/items/3", method="HEAD"))
    head = client.response(head=True)
    assert head.status == 200
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.body == b""
