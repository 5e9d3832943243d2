"""A local Socket Mode endpoint: the websocket Slack hands a Socket Mode app, on 127.0.0.1.

Slack's side of the protocol, as far as the bot meets it: on connect it sends ``hello``;
then it sends envelopes (slash commands, interactions, events) and waits for the app to
acknowledge each by ``envelope_id`` (on any of its connections), with an optional response
payload. An Events API envelope not acknowledged within 3 seconds is sent again, on the newest
connection, with ``retry_attempt`` counted up, up to 3 times, as Slack retries events (commands
and interactions are not retried: the member sees an error).

Connections end the ways Slack's do: a ``disconnect`` message asking the app to reconnect
(:meth:`SocketModeEndpoint.refresh`), a close frame without warning (:meth:`close`), or the
network: the app talks to the websocket server through a :class:`Line`, a TCP relay that
can be cut with a FIN or an RST, or go silent (a half-open connection) (:meth:`drop`).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

Drop = Literal["fin", "rst", "silence"]
ACK_SECONDS = 3.0  # Slack retries an event not acknowledged within this time
RETRIES = 3


@dataclass
class Connection:
    """One websocket the app opened: when it was greeted, and how it ended."""

    websocket: ServerConnection
    greeted_at: float  # time.monotonic() when hello was sent
    ended_at: float | None = None
    close_code: int | None = None  # what the app sent in its close frame; 1006 if it sent none


@dataclass
class Envelope:
    """An envelope sent to the app, and every acknowledgement it got back."""

    id: str
    kind: str
    payload: dict[str, Any]
    deliveries: int = 0
    sent_at: float = 0.0  # time.monotonic() of the last delivery
    acks: list[dict[str, Any]] = field(default_factory=list)

    def message(self) -> str:
        envelope: dict[str, Any] = {
            "envelope_id": self.id,
            "type": self.kind,
            "payload": self.payload,
            "accepts_response_payload": self.kind != "events_api",
        }
        if self.kind == "events_api" and self.deliveries > 1:
            envelope |= {"retry_attempt": self.deliveries - 1, "retry_reason": "timeout"}
        return json.dumps(envelope)


class SocketModeEndpoint:
    """Serve the app's websockets, one at a time as Slack would hand them out; send envelopes
    and read the app's acknowledgements; end connections on demand."""

    def __init__(self) -> None:
        self._server: Server = serve(self._connected, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.line = Line(self._server.socket.getsockname()[:2])
        self.connections: list[Connection] = []
        self.envelopes: dict[str, Envelope] = {}
        self._changed = threading.Condition()
        self._stopped = threading.Event()
        self._retrier = threading.Thread(target=self._retry_events, daemon=True)

    @property
    def url(self) -> str:
        """What ``apps.connections.open`` hands the app: the line in front of the websocket server."""
        host, port = self.line.address
        return f"ws://{host}:{port}/link/?ticket=local"

    def __enter__(self) -> SocketModeEndpoint:
        self._thread.start()
        self._retrier.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.line.close()
        self._server.shutdown()

    # ----------------------------------------------------------------- connections
    def wait_connected(self, count: int = 1, timeout: float = 20) -> Connection:
        """Wait until the app has opened its ``count``-th connection and been greeted; return it."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.connections) >= count, timeout):
                raise TimeoutError(f"the app opened {len(self.connections)} connection(s), not {count}")
            return self.connections[count - 1]

    def wait_ended(self, connection: Connection, timeout: float = 20) -> Connection:
        """Wait until ``connection`` has ended (its close code is then known)."""
        with self._changed:
            if not self._changed.wait_for(lambda: connection.ended_at is not None, timeout):
                raise TimeoutError("the connection is still open")
        return connection

    @property
    def current(self) -> Connection:
        """The app's newest connection."""
        assert self.connections, "nobody is connected"
        return self.connections[-1]

    def refresh(self) -> None:
        """Ask the app to reconnect, as Slack does every few hours (the old connection stays
        open until the app closes it)."""
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "local"}}
        self.current.websocket.send(json.dumps(message))

    def close(self, code: int = 1001) -> None:
        """Close the current connection with a close frame and no ``disconnect`` warning (without
        waiting for the app to finish the closing handshake)."""
        threading.Thread(target=self.current.websocket.close, args=(code,), daemon=True).start()

    def drop(self, how: Drop) -> None:
        """End the current connection in the network: a FIN, an RST, or a peer gone silent."""
        self.line.drop(how)

    # ----------------------------------------------------------------- envelopes
    def post(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope of ``kind`` (slash_commands, interactive, events_api) without
        waiting; return its id."""
        envelope = Envelope(str(uuid.uuid4()), kind, payload)
        with self._changed:
            self.envelopes[envelope.id] = envelope
            envelope.deliveries, envelope.sent_at = 1, time.monotonic()
            websocket = self.current.websocket
        with contextlib.suppress(ConnectionClosed):  # an event is sent again
            websocket.send(envelope.message())
        return envelope.id

    def wait_acked(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """Wait for the app's first acknowledgement of an envelope: ``{"envelope_id", "payload"}``."""
        envelope = self.envelopes[envelope_id]
        with self._changed:
            if not self._changed.wait_for(lambda: envelope.acks, timeout):
                raise TimeoutError(f"{envelope.kind} envelope {envelope_id} was not acknowledged")
            return envelope.acks[0]

    def send(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send an envelope and return the app's acknowledgement."""
        return self.wait_acked(self.post(kind, payload), timeout)

    def ack_counts(self) -> dict[str, int]:
        """How many times each envelope sent so far was acknowledged."""
        with self._changed:
            return {envelope_id: len(envelope.acks) for envelope_id, envelope in self.envelopes.items()}

    # ----------------------------------------------------------------- serving
    def _connected(self, websocket: ServerConnection) -> None:
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AHEART"}}
        websocket.send(json.dumps(hello))
        connection = Connection(websocket, time.monotonic())
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            for message in websocket:
                ack = json.loads(message)
                with self._changed:
                    if envelope := self.envelopes.get(ack.get("envelope_id")):
                        envelope.acks.append(ack)
                        self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                connection.ended_at = time.monotonic()
                connection.close_code = websocket.close_code
                self._changed.notify_all()

    def _retry_events(self) -> None:
        while not self._stopped.wait(0.1):
            now = time.monotonic()
            with self._changed:
                if not self.connections or self.current.ended_at is not None:
                    continue  # retried once the app is connected again
                websocket = self.current.websocket
                due = [
                    envelope
                    for envelope in self.envelopes.values()
                    if envelope.kind == "events_api"
                    and not envelope.acks
                    and envelope.deliveries <= RETRIES
                    and now - envelope.sent_at >= ACK_SECONDS
                ]
                for envelope in due:
                    envelope.deliveries, envelope.sent_at = envelope.deliveries + 1, now
            for envelope in due:
                with contextlib.suppress(ConnectionClosed):
                    websocket.send(envelope.message())


class Line:
    """A TCP relay between the app and the websocket server: the network the app's connections
    cross, which :meth:`drop` can break."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._links: list[_Link] = []
        self.opening_delay = 0.0  # seconds a new connection takes to open, as over a real network
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        return self._listener.getsockname()[:2]

    def drop(self, how: Drop) -> None:
        """Break the newest connection: close it with a FIN or an RST, or stop passing anything
        either way while keeping it open (the peer silent)."""
        link = self._links[-1]
        if how == "silence":
            link.silent = True
        elif how == "fin":
            link.closed = True
            link.app_side.shutdown(socket.SHUT_RDWR)  # the app reads the end of the stream
            link.server_side.close()
        else:
            # SO_LINGER with a zero timeout makes close() send an RST instead of a FIN.
            link.app_side.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            link.close()

    def close(self) -> None:
        self._listener.close()
        for link in self._links:
            link.close()

    def _accept(self) -> None:
        while True:
            try:
                app_side, _ = self._listener.accept()
            except OSError:
                return
            time.sleep(self.opening_delay)
            link = _Link(app_side, socket.create_connection(self._target))
            self._links.append(link)
            for source, sink in ((link.app_side, link.server_side), (link.server_side, link.app_side)):
                threading.Thread(target=link.pump, args=(source, sink), daemon=True).start()


@dataclass
class _Link:
    """One connection through the line: the app's socket and the relay's to the server."""

    app_side: socket.socket
    server_side: socket.socket
    silent: bool = False
    closed: bool = False

    def pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Pass bytes from ``source`` to ``sink`` until either end closes or the link breaks."""
        try:
            while not self.closed:
                if self.silent:
                    time.sleep(0.05)
                    continue
                if not select.select([source], [], [], 0.05)[0]:
                    continue
                data = source.recv(65536)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
        except (OSError, ValueError):  # a side was closed under the pump
            return

    def close(self) -> None:
        self.closed = True
        for side in (self.app_side, self.server_side):
            with contextlib.suppress(OSError):
                side.close()
