"""Attacks on the HTTP front itself: bodies over the size cap, bodies that are not signed, and
clients that send slowly or not at all. The real bot, as the Procfile starts it."""

from __future__ import annotations

import socket
from contextlib import ExitStack

from bot.offline import slack_requests
from bot.offline.server import http
from bot.web import MAX_BODY_BYTES, THREADS
from tests.reliability.ledger import proves
from tests.reliability.wire import Wire

# A JSON body nested deeper than any parser recurses: reading it at all fails.
UNPARSABLE = "[" * 100_000 + "]" * 100_000
MALFORMED = "refused a malformed request"


def head(content_length: int) -> bytes:
    """The request line and headers of a POST to /slack/events whose body is ``content_length`` bytes."""
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: {slack_requests.FORM}\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()


def first_answer(sock: socket.socket) -> bytes:
    """What the server has said on ``sock`` up to the end of its first answer's headers."""
    answer = b""
    while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
        answer += chunk
    return answer


@proves(
    "Attack",
    "Bodies over the 1 MiB cap: a Content-Length of exactly 1 MiB and of 10 MB, unsigned; and a signed body one byte under it",
    3,
    "413 as soon as the headers are read, before any of the body is sent; the body under the cap read and answered; "
    "/healthz 200",
    fixed=(
        "An unsigned 10 MB form body cost 3.9 s of CPU and about 400 MB of memory before its 401: nothing capped a "
        "body's size, and it was parsed before its signature was checked."
    ),
)
def test_a_body_over_the_cap_is_refused_before_any_of_it_is_sent(bot):
    for size in (MAX_BODY_BYTES, 10_000_000):
        with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as sock:
            sock.sendall(head(size))  # the headers only: not one byte of the body goes out
            assert first_answer(sock).startswith(b"HTTP/1.1 413 ")
    with Wire(bot.port) as wire:
        under = wire.post(b"x" * (MAX_BODY_BYTES - 1))
    assert under.status == 404  # read, signed, and no listener's: not a body Slack sends
    assert http("GET", bot.url + "/healthz").status == 200


@proves(
    "Attack",
    "Unsigned bodies that cannot be parsed at all (JSON nested 100,000 deep) or are malformed; the unparsable one signed",
    3,
    "401 for each unsigned body without its being parsed (nothing of its shape logged); the signed one read and "
    "refused with 400",
)
def test_the_signature_is_checked_before_the_body_is_parsed(bot):
    logged = bot.log().count(MALFORMED)
    with Wire(bot.port) as wire:
        unsigned = wire.post(UNPARSABLE, "application/json", secret="not-the-secret")
        unsigned_malformed = wire.post("payload=%7B%22actions%22%3A5%7D", secret="not-the-secret")
        signed = wire.post(UNPARSABLE, "application/json")
    # Unsigned, each is refused for its signature without being read (reading the first would
    # fail); signed, the same body is read, found not to be Slack's, and refused for its shape.
    assert (unsigned.status, unsigned_malformed.status, signed.status) == (401, 401, 400)
    assert unsigned.json == unsigned_malformed.json == {"error": "invalid request"}
    assert bot.log().count(MALFORMED) == logged + 1  # only the signed body was parsed


@proves(
    "Attack",
    f"Slow and idle clients, {THREADS + 4} of each kind (more than the server's {THREADS} threads): connections "
    "trickling a body, connections that never send a byte, connections stopped halfway through their headers",
    3 * (THREADS + 4),
    "/healthz and a signed /glossary answered while they hold their connections; the slow ones still open after",
    fixed=(
        "Eight clients sending a body a byte at a time (sometimes eight idle connections) held all of gunicorn's 8 "
        "threads: /healthz and every Slack request timed out until they closed."
    ),
)
def test_requests_are_answered_while_slow_and_idle_clients_hold_connections(bot):
    """More connections than the server has threads: some trickle a body, some never send a
    byte, some stop halfway through their headers. Slack's requests and the health check
    are still answered, and the slow clients' connections stay open."""
    holders = THREADS + 4
    with ExitStack() as stack:
        connect = lambda: stack.enter_context(socket.create_connection(("127.0.0.1", bot.port), timeout=10))  # noqa: E731
        slow, idle, half = ([connect() for _ in range(holders)] for _ in range(3))
        for sock in slow:
            sock.sendall(head(100_000) + b"text=")  # and then nothing more for now
        for sock in half:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Le")
        assert http("GET", bot.url + "/healthz").status == 200
        answer = bot.command("/glossary", "TIC")
        assert answer.status == 200 and "Trauma-informed" in answer.body
        for sock in slow:
            sock.sendall(b"x")  # still open: a slow client is waited for, not dropped or served early
    assert http("GET", bot.url + "/healthz").status == 200
