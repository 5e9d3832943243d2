"""How the web server writes an answer: headers and a whole body in one write, anything else as
waitress writes it; either way the client reads the same answer."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest

from bot import web
from bot.offline.server import free_port

BODY = '{"text": "Tip sheet: “Staff wellness” — for you"}'.encode()


class RecordingChannel(web.OneWriteChannel):
    """The server's channel, recording what each request wrote to the socket."""

    writes: list[bytes] = []

    def write_soon(self, data):  # type: ignore[no-untyped-def]
        RecordingChannel.writes.append(bytes(data))
        return super().write_soon(data)


def app(environ, start_response):  # type: ignore[no-untyped-def]
    """One body whole, one in pieces with no length, and an empty answer."""
    path = environ["PATH_INFO"]
    if path == "/whole":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [BODY]
    if path == "/pieces":
        start_response("200 OK", [("Content-Type", "application/json")])
        return iter([BODY[:10], BODY[10:]])
    start_response("200 OK", [])
    return [b""]


@pytest.fixture
def server() -> Iterator[int]:
    port = free_port()
    server = web.create_server(app, port)
    assert server.channel_class is web.OneWriteChannel
    server.channel_class = RecordingChannel
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield port
    server.close()


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes, list[bytes]]:
    RecordingChannel.writes = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", path, b"x")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.headers), body, RecordingChannel.writes


def test_a_whole_body_goes_with_its_headers_in_one_write(server):
    status, headers, body, writes = get(server, "/whole")
    assert (status, body, headers["Content-Length"]) == (200, BODY, str(len(BODY)))
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\n" + BODY)


def test_a_body_in_pieces_and_an_empty_answer_are_written_as_waitress_writes_them(server):
    status, headers, body, writes = get(server, "/pieces")
    assert (status, body) == (200, BODY)
    assert len(writes) > 2  # headers, then each piece chunked, then the last chunk
    assert headers.get("Transfer-Encoding") == "chunked"
    status, headers, body, writes = get(server, "/empty")
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")
    assert len(writes) == 1 and writes[0].endswith(b"\r\n\r\n")
