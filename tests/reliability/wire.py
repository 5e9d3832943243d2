"""A keep-alive HTTP connection to the running bot that signs each request as Slack does.

Thousands of generated requests go over one connection (the server keeps it open), so a
property test costs milliseconds per case rather than a TCP handshake each. A body over the
bot's size cap goes as a careful client sends one: headers first, and the bot's refusal (413),
which comes before any of the body, is read instead of uploading what it will not take.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
from typing import Any

from bot.offline.server import SIGNING_SECRET, Answer
from bot.offline.slack_requests import FORM
from bot.web import MAX_BODY_BYTES

SLACK_TIMEOUT = 3.0  # Slack gives up on an ack after 3 seconds (the member sees operation_timeout)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of ``body`` (bytes, so bodies that are not UTF-8 can be signed too)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class Wire:
    """One persistent connection to ``http://127.0.0.1:port``."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.port = port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        """Send one request, reconnecting once if the server closed an idle connection."""
        if body is not None and len(body) >= MAX_BODY_BYTES:
            return self._refused_upload(method, path, len(body), headers or {})
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self._connection.request(method, path, body=body, headers=headers or {})
                response = self._connection.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt == 2:
                    raise
                continue
            except Exception:
                self.close()  # a request that could not be sent leaves the connection unusable
                raise
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Answer(response.status, raw.decode("utf-8", "replace"), dict(response.getheaders()))
        raise AssertionError("unreachable")

    def _refused_upload(self, method: str, path: str, length: int, headers: dict[str, str]) -> Answer:
        """Send only the headers of a request whose body is over the cap, and read the answer the
        bot gives before the body (a bot that waited for the body would time out here)."""
        self.close()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.putrequest(method, path)
            for name, value in {**headers, "Content-Length": str(length)}.items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return Answer(response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders()))
        finally:
            connection.close()

    def post(
        self,
        body: str | bytes,
        content_type: str = FORM,
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> Answer:
        """POST ``body`` to /slack/events, signed with ``secret`` at ``timestamp`` (default: now)."""
        raw = body.encode() if isinstance(body, str) else body
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret, stamp, raw),
            **(extra or {}),
        }
        return self.request("POST", "/slack/events", raw, headers)

    def healthz(self) -> Answer:
        return self.request("GET", "/healthz")

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
