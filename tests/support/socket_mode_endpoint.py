"""A local Socket Mode endpoint: the websocket Slack hands a Socket Mode app, on 127.0.0.1.

Slack's side of the protocol, as far as the bot meets it: on connect it sends ``hello``;
then it sends envelopes (slash commands, interactions, events) and waits for the app to
acknowledge each by ``envelope_id``, with an optional response payload.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class SocketModeEndpoint:
    """Serve one websocket at a time; :meth:`send` an envelope and read the app's acknowledgement."""

    def __init__(self) -> None:
        self._server: Server = serve(self._connected, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._connection: ServerConnection | None = None
        self._ready = threading.Event()
        self._acks: dict[str, queue.Queue[dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=local"

    def __enter__(self) -> SocketModeEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    def wait_connected(self, timeout: float = 20) -> None:
        """Wait until the app has connected and been greeted."""
        if not self._ready.wait(timeout):
            raise TimeoutError("the app never connected to the Socket Mode endpoint")

    def send(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send an envelope of ``kind`` (slash_commands, interactive, events_api) and return the
        app's acknowledgement: ``{"envelope_id": ..., "payload": ...}``."""
        envelope_id = str(uuid.uuid4())
        acks = self._acks[envelope_id] = queue.Queue()
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        assert self._connection is not None, "nobody is connected"
        self._connection.send(json.dumps(envelope))
        try:
            return acks.get(timeout=timeout)
        finally:
            del self._acks[envelope_id]

    def _connected(self, connection: ServerConnection) -> None:
        self._connection = connection
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AHEART"}}))
        self._ready.set()
        try:
            for message in connection:
                ack = json.loads(message)
                if ack.get("envelope_id") in self._acks:
                    self._acks[ack["envelope_id"]].put(ack)
        except ConnectionClosed:
            pass
