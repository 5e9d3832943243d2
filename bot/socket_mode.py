"""Socket Mode serving: heart-bot connects out to Slack's websocket, so it runs where Slack
can't reach it (on one's own computer), and stops cleanly on SIGTERM or SIGINT.

The connection goes through Bolt's websocket-client adapter. Against a local endpoint that
ends connections the ways Slack and networks do (tests/test_socket_mode.py), it was the one
that recovers from every kind within seconds without spinning: slack_sdk's built-in client
reads a connection closed without a close frame in a tight loop for a minute, and the aiohttp
and websockets adapters notice a dropped connection only at their next check, a ping interval
later, and run Bolt's listeners on their event loop one at a time.

What slack_sdk's websocket-client client leaves out is added in :class:`HeartSocketModeClient`:
a deadline for pongs (without one a peer gone silent, a half-open connection, is never
noticed); a new connection opened at once rather than at its runner's next turn, once and not
twice; and acknowledgements that wait for the new connection instead of being lost while it
opens. :class:`SocketModeHandler` counts the envelopes in flight, so that it can stop without
losing one.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.websocket_client import SocketModeClient
from websocket import WebSocketApp, WebSocketConnectionClosedException, WebSocketException

from bot.app import create_app
from bot.config import Settings
from bot.errors import ConfigError
from bot.runtime import Content, build_heart

log = logging.getLogger(__name__)

# Slack waits this long for an envelope's acknowledgement (Bolt waits as long for a listener's ack).
ACK_SECONDS = 3.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class HeartSocketModeClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client, with a pong deadline, acknowledgements
    that survive a refresh, and a way to stop reconnecting before closing."""

    def __init__(self, *, ping_interval: float, **kwargs: object) -> None:
        # websocket-client checks the deadline at most this often too, so half the interval lets
        # a check fall between each ping's deadline and the next ping: a silent peer is found
        # within two intervals.
        self.ping_timeout = ping_interval / 2
        self._reconnecting = True
        self._reader: tuple[WebSocketApp, threading.Thread] | None = None  # the newest connection's
        self._reader_lock = threading.Lock()
        # Held while an acknowledgement is written, and while a connection is retired: nothing
        # may be written on a connection after its close frame, or the peer drops it unread.
        self._send_lock = threading.Lock()
        self._retired: WebSocketApp | None = None
        super().__init__(ping_interval=ping_interval, **kwargs)  # type: ignore[arg-type]

    def _run_current_session(self) -> None:
        # slack_sdk's runner thread calls this every half second and, in the parent, reads the
        # current connection itself until it ends. Here each connection gets a reader thread of
        # its own, so a replacement opens at the next turn even while the connection it replaces
        # is still winding down (after a refresh its reader may wait out a whole ping_timeout).
        with self._reader_lock:
            session, reader = self.current_session, self._reader
            if session is None or (reader is not None and reader[0] is session and reader[1].is_alive()):
                return
            thread = threading.Thread(target=self._read, args=(session,), name="socket-mode-reader", daemon=True)
            self._reader = (session, thread)
            thread.start()

    def connect(self) -> None:
        """Put a new connection in place of the current one, and open it."""
        with self._send_lock:  # an acknowledgement being written on it goes out before it closes
            self._retired = self.current_session
        super().connect()
        self._run_current_session()  # now, not at the runner's next turn

    def _read(self, session: WebSocketApp) -> None:
        try:
            self.logger.info("Starting to receive messages from a new connection")
            # With a ping_timeout, which slack_sdk does not pass: without one a peer that stops
            # answering leaves the connection open, and deaf, for good.
            session.run_forever(
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                http_proxy_host=self.http_proxy_host,
                http_proxy_port=self.http_proxy_port,
                http_proxy_auth=self.http_proxy_auth,
                proxy_type=self.proxy_type,
            )
            self.logger.info("Stopped receiving messages from a connection")
        except Exception as error:
            self.logger.exception(f"Failed to start or stop the current session: {error}")
            session.close()  # the monitor then sees it closed and reconnects

    def is_connected(self) -> bool:
        """True when a connection is open, or put in place and about to be opened."""
        # slack_sdk puts a new connection in place before its reader opens it; counting it as
        # closed meanwhile made the monitor, whose first check comes right at the start, ask
        # Slack for yet another connection.
        session, reader = self.current_session, self._reader
        return session is not None and (session.sock is not None or reader is None or reader[0] is not session)

    def _monitor_current_session(self) -> None:
        if not self.is_connected():  # the parent logs "seems to be already closed" first
            super()._monitor_current_session()

    def send_message(self, message: str) -> None:
        """Send ``message`` (an acknowledgement) on the open connection; while it is being
        replaced, wait for the new one to open rather than drop it, up to Slack's deadline."""
        # On a refresh slack_sdk puts the new connection in place and closes the old one before
        # the new one is open (the parent then fails at once). Nothing goes out before the
        # opening handshake is done: a websocket client may not send before it.
        deadline = time.monotonic() + ACK_SECONDS
        while True:
            with self._send_lock:
                session = self.current_session
                sock = session.sock if session is not None else None
                if session is not None and session is not self._retired and sock is not None and sock.connected:
                    try:
                        session.send(message)
                        return
                    except WebSocketException:
                        pass  # closed under us: try the one that replaces it
            if self.closed or time.monotonic() >= deadline:
                raise WebSocketConnectionClosedException("no open Socket Mode connection to send on")
            time.sleep(0.02)

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        """Open a new connection (after a drop or a refresh), unless the client is stopping."""
        if self._reconnecting:
            super().connect_to_new_endpoint(force)

    def stop_reconnecting(self) -> None:
        """Open no new connection from now on, whatever ends the current one."""
        self._reconnecting = False
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled = False


class SocketModeHandler(BaseSocketModeHandler):
    """Bolt's websocket-client Socket Mode adapter on :class:`HeartSocketModeClient`, which
    knows which envelopes are in flight so that it can stop without losing one."""

    def __init__(self, app: App, app_token: str, ping_interval: float) -> None:
        self.app = app
        self.client = HeartSocketModeClient(
            app_token=app_token, logger=app.logger, web_client=app.client, ping_interval=ping_interval
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
        self._in_flight = 0
        self._stopping = False
        self._changed = threading.Condition()

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Run one envelope through Bolt and send its acknowledgement."""
        with self._changed:
            if self._stopping:
                return  # left unacknowledged: Slack sends an event again, to the next process
            self._in_flight += 1
        try:
            started = time.time()
            send_response(client, req, run_bolt_app(self.app, req), started)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def stop(self, grace: float = ACK_SECONDS + 0.5) -> None:
        """Take no more envelopes, give those in flight up to ``grace`` seconds to send their
        acknowledgement, then close the connection with a close frame."""
        self.client.stop_reconnecting()
        with self._changed:
            self._stopping = True
            if not self._changed.wait_for(lambda: self._in_flight == 0, grace):
                log.warning("stopping with %d envelope(s) still unacknowledged", self._in_flight)
        self.client.close()


class StopRequested(Exception):
    """SIGTERM or SIGINT asked the process to stop."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def serve(settings: Settings, content: Content | None = None) -> None:
    """Serve Slack over Socket Mode until SIGTERM or SIGINT; then take no more envelopes, let
    those in flight be acknowledged, close the connection, stop the scheduler and return.

    :param content: the content of ``settings.content_dir``, if it was read and checked already.
    """
    heart = build_heart(settings, content)
    handler = SocketModeHandler(create_app(heart), str(settings.app_token), settings.socket_ping_seconds)
    # The signal handlers raise in the main thread, which only waits below; a second signal
    # while stopping gets the default handling again (SIGINT: KeyboardInterrupt, SIGTERM: exit).
    defaults = {number: signal.signal(number, _stop_requested) for number in STOP_SIGNALS}
    try:
        heart.start_services()
        try:
            handler.connect()
        except SlackApiError as error:
            raise ConfigError(
                f"Slack refused SLACK_APP_TOKEN ({error.response.get('error')}): create an app-level token with the "
                "connections:write scope under Basic Information, and turn on Socket Mode in the app's settings"
            ) from None
        log.info("connected to Slack over Socket Mode")
        threading.Event().wait()
    except StopRequested as stop:
        log.info("%s: stopping once the envelopes in flight are acknowledged", stop)
    finally:
        for number, default in defaults.items():
            signal.signal(number, default)
        handler.stop()
        heart.close()
        heart.store.close()
        log.info("stopped: connection closed, scheduler stopped, database closed")
