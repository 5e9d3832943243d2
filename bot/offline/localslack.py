"""A local stand-in for Slack's Web API and response URLs, on 127.0.0.1.

The offline shell points the bot's WebClient at it (``SLACK_API_URL``), and so do the
tests. It records every call, answers each method the way Slack does for a healthy
workspace, and can be scripted to misbehave: a rate limit per method (HTTP 429 with
``Retry-After``), queued failures (``ratelimited``, 500s, ``not_in_channel``...), delays
or dropped connections, before or after it takes the call (a post made whose answer is
lost). Its response URLs keep Slack's rule: 5 posts within 30 minutes, then HTTP 404
(``used_url``, ``expired_url``).

It keeps each conversation's messages as Slack does: what the bot posts (with its message
metadata), and what members say (:meth:`LocalSlack.say`). A DM posted to a member's id lands
in the bot's DM with them (a ``D…`` id, as ``conversations.open`` names it), and
``conversations.history`` reads them back, newest first, by ``oldest``, ``limit`` and
``cursor``, with their metadata only when ``include_all_metadata`` is set.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from bot import manifest
from bot.offline.slack_requests import TEAM_ID

BOT_USER_ID = "UHEARTBOT"
BOT_ID, APP_ID = "BHEART", "AHEART"
# Slack takes up to 5 posts to one response URL, within 30 minutes; beyond, it answers 404.
RESPONSE_URL_POSTS = 5
RESPONSE_URL_LIFETIME = 30 * 60


@dataclass
class Call:
    """One request the bot made: an API method or a post to a response URL."""

    method: str  # "chat.postMessage", or "response_url" for posts to a response URL
    args: dict[str, Any]
    at: float = field(default_factory=time.time)
    path: str = ""
    answer: dict[str, Any] = field(default_factory=dict)  # what was answered, for an API method that succeeded

    def blocks(self) -> list[dict[str, Any]]:
        """The call's blocks, decoded when they came form-encoded."""
        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks


@dataclass
class Failure:
    """A scripted answer: an HTTP status, a Slack error code, headers, or a delay."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    accepted: bool = False  # Slack takes the call (it is recorded and takes effect) before the failure


def conversation_of(channel: str) -> str:
    """The conversation a post to ``channel`` lands in: a member id means the bot's DM with them,
    several (for conversations.open) their group DM, one per set of members, as Slack keeps one."""
    if "," in channel:
        key = ",".join(sorted(channel.split(",")))
        return "G" + hashlib.sha1(key.encode()).hexdigest()[:10].upper()
    if channel[:1] in ("U", "W"):
        return "D" + channel[:12]
    return channel


def _method(path: str) -> str | None:
    """The Web API method, or the kind of call, a request path names; None for none."""
    if path.startswith("/api/"):
        return path[len("/api/") :]
    if path.startswith("/response/"):
        return "response_url"
    if path.startswith("/upload/"):
        return "file_upload"
    return None


class LocalSlack:
    """A threaded HTTP server that behaves like Slack's Web API for one workspace."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.socket_mode_url: str | None = None  # what apps.connections.open hands out (a ws:// endpoint)
        # The scopes granted to the token, sent as Slack does in every answer's x-oauth-scopes header.
        self.scopes: list[str] = sorted(manifest.scopes())  # what the workspace granted, unless a test says otherwise
        self.files: dict[str, dict[str, Any]] = {}  # file id: the name it was announced with and the bytes uploaded
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._limits: dict[str, tuple[float, deque[float]]] = {}
        self._response_urls: dict[str, tuple[float, int]] = {}  # path: (issued at, posts taken)
        self._refused_channels: dict[str, str] = {}  # channel: the error every call to it gets
        self.conversations: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel: messages, oldest first
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._condition = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` (ends with a slash, as WebClient needs)."""
        return self.url + "api/"

    def response_url(self, name: str = "") -> str:
        """A fresh response URL served here: like Slack's, it takes 5 posts within 30 minutes."""
        path = f"/response/{name or next(self._counter)}"
        with self._lock:
            self._response_urls.setdefault(path, (time.monotonic(), 0))
        return self.url.rstrip("/") + path

    def start(self) -> LocalSlack:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- scripting
    def fail_next(self, method: str, *failures: Failure) -> None:
        """Answer the next calls of ``method`` with these failures, in order."""
        with self._lock:
            self._failures[method].extend(failures)

    def rate_limit(self, method: str, per_second: float) -> None:
        """Allow ``method`` at most ``per_second`` calls a second; beyond, 429 + Retry-After."""
        with self._lock:
            self._limits[method] = (per_second, deque())

    def refuse_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """Answer every call about ``channel`` with ``error`` (the bot was removed from it, it was archived...)."""
        with self._lock:
            self._refused_channels[channel] = error

    def add_user(
        self, user_id: str, *, tz: str = "America/New_York", name: str | None = None, email: str | None = None
    ) -> None:
        """Make ``users.info`` and ``users.list`` know a member (``email``: as users:read.email shows it)."""
        profile = {"real_name": name or user_id, **({"email": email} if email else {})}
        self.users[user_id] = {"id": user_id, "name": name or user_id.lower(), "real_name": name or user_id, "tz": tz}
        self.users[user_id]["profile"] = profile

    def say(self, channel: str, text: str, *, user: str = "UMEMBER1") -> str:
        """A member posts ``text`` in ``channel`` (a channel id, or a member id for the bot's DM with
        them); its ts."""
        with self._lock:
            return self._keep(channel, {"type": "message", "user": user, "text": text})

    # ----------------------------------------------------------------- reading
    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """The messages in a conversation (a channel id, or a member id for the bot's DM), oldest first."""
        with self._lock:
            return list(self.conversations.get(conversation_of(channel), []))

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived; return them.

        :raises TimeoutError: if they do not arrive in time.
        """
        return self._wait(lambda call: call.method == method, count, timeout, f"{method} call{'' if count == 1 else 's'}")

    def responses(self, response_url: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait for ``count`` posts to ``response_url`` and return their bodies."""
        path = urlparse(response_url).path
        posts = f"post{'' if count == 1 else 's'} to {path}"
        found = self._wait(lambda call: call.method == "response_url" and call.path == path, count, timeout, posts)
        return [call.args for call in found]

    def _wait(self, matches: Callable[[Call], bool], count: int, timeout: float, what: str) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [call for call in self.calls if matches(call)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} {what}, got {len(found)}")
                self._condition.wait(remaining)

    def clear(self) -> None:
        """Forget recorded calls, conversations, scripted failures, limits and refused channels."""
        with self._lock:
            self.calls.clear()
            self.conversations.clear()
            self._failures.clear()
            self._limits.clear()
            self._refused_channels.clear()

    # ----------------------------------------------------------------- serving
    def _admit(self, method: str) -> Failure | None:
        """Record the call's arrival and decide whether it fails (called under the lock)."""
        queued = self._failures.get(method)
        if queued:
            return queued.popleft()
        limit = self._limits.get(method)
        if limit:
            per_second, recent = limit
            now = time.monotonic()
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= per_second:
                return Failure(status=429, error="ratelimited", retry_after=1)
            recent.append(now)
        return None

    def _spend_response_url(self, path: str) -> Failure | None:
        """Count a post to a response URL; past 5 posts or 30 minutes, Slack's 404 (called under the lock)."""
        issued, posts = self._response_urls.get(path, (time.monotonic(), 0))
        if time.monotonic() - issued > RESPONSE_URL_LIFETIME:
            return Failure(status=404, error="expired_url")
        if posts >= RESPONSE_URL_POSTS:
            return Failure(status=404, error="used_url")
        self._response_urls[path] = (issued, posts + 1)
        return None

    def _record(self, call: Call) -> None:
        with self._condition:
            self.calls.append(call)
            self._condition.notify_all()

    def _take(self, call: Call) -> Any:
        """Do what a call asks, record it, and return the answer's body (called under the lock)."""
        if call.method == "response_url":
            answer: Any = "ok"
        elif call.method == "file_upload":
            file_id = call.path.rsplit("/", 1)[-1]
            self.files.setdefault(file_id, {"filename": file_id})["bytes"] = call.args["bytes"]
            answer = "OK - file uploaded"
        else:
            answer = call.answer = self.answer(call.method, call.args)
        self.calls.append(call)
        self._condition.notify_all()
        return answer

    def _keep(self, channel: str, message: dict[str, Any]) -> str:
        """Add a message to its conversation (called under the lock); its ts, unique and rising."""
        messages = self.conversations[conversation_of(channel)]
        ts = f"{time.time():.6f}"
        if messages and float(ts) <= float(messages[-1]["ts"]):
            ts = f"{float(messages[-1]['ts']) + 0.000001:.6f}"
        messages.append({**message, "ts": ts})
        return ts

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """The successful answer Slack gives to ``method`` called with ``args`` (called under the lock:
        a call that changes a conversation changes it here)."""
        ts = f"{time.time():.6f}"
        channel = args.get("channel") or "C0HEART"
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID, "team": "HEART", "url": self.url}
        if method == "chat.postMessage":
            metadata = args.get("metadata")
            metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
            message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID, "text": args.get("text")}
            if metadata:
                message["metadata"] = metadata
            ts = self._keep(channel, message)
            return {"ok": True, "channel": conversation_of(channel), "ts": ts, "message": message}
        if method in ("chat.update", "chat.postEphemeral", "chat.meMessage"):
            return {"ok": True, "channel": channel, "ts": args.get("ts") or ts, "message_ts": ts}
        if method == "chat.delete":
            messages = self.conversations.get(conversation_of(channel), [])
            messages[:] = [m for m in messages if m["ts"] != args.get("ts")]
            return {"ok": True, "channel": channel, "ts": args.get("ts")}
        if method == "conversations.history":
            return self._history(args)
        if method == "chat.getPermalink":
            return {"ok": True, "channel": channel, "permalink": f"{self.url}archives/{channel}/p{args.get('message_ts', ts)}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": conversation_of(str(args.get("users") or ""))}}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            view_id = args.get("view_id") if method == "views.update" and args.get("view_id") else f"V{next(self._counter):08d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": ts}}
        if method == "users.info":
            user_id = str(args.get("user") or "")
            default = {"id": user_id, "name": user_id.lower(), "real_name": user_id, "tz": "America/New_York"}
            user = self.users.get(user_id) or default
            return {"ok": True, "user": user}
        if method == "users.list":
            return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}
        if method == "apps.connections.open" and self.socket_mode_url:
            return {"ok": True, "url": self.socket_mode_url}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(str(args.get("usergroup")), [])}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._counter):08d}"
            self.files[file_id] = {"filename": str(args.get("filename") or file_id), "bytes": b""}
            return {"ok": True, "upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}
        if method == "chat.scheduleMessage":
            return {"ok": True, "channel": channel, "scheduled_message_id": f"Q{next(self._counter):08d}", "post_at": args.get("post_at")}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            files = json.loads(files) if isinstance(files, str) else (files or [])
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {"ok": True}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, after ``oldest``, ``limit`` a page (at most 15 here,
        as Slack allows apps outside its Marketplace), metadata only with ``include_all_metadata``."""
        channel = str(args.get("channel") or "")
        if channel not in self.conversations:
            return {"ok": True, "messages": [], "has_more": False}
        oldest = float(args.get("oldest") or 0)
        limit = min(int(args.get("limit") or 15), 15)
        start = int(args.get("cursor") or 0)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("true", "1")
        found = [m for m in reversed(self.conversations[channel]) if float(m["ts"]) > oldest]
        page = found[start : start + limit]
        messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        local = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if not url.path.startswith("/api/"):
                    self._send(200, {"ok": True})
                    return
                self._serve(url.path, dict(parse_qsl(url.query, keep_blank_values=True)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = urlparse(self.path).path
                self._serve(path, self._parse(raw, _method(path)))

            def _serve(self, path: str, args: dict[str, Any]) -> None:
                method = _method(path)
                if method is None:
                    self._send(404, {"ok": False, "error": "unknown_path"})
                    return
                if "Authorization" in self.headers:
                    args.setdefault("_token", self.headers["Authorization"].removeprefix("Bearer "))
                with local._lock:
                    failure = local._admit(method)
                    if failure is None and method == "response_url":
                        failure = local._spend_response_url(path)
                    if failure is None and str(args.get("channel")) in local._refused_channels:
                        failure = Failure(error=local._refused_channels[str(args.get("channel"))])
                    taken_first = failure is None or failure.accepted
                    if taken_first:  # Slack does the work, whatever becomes of its answer
                        answer = local._take(Call(method, args, path=path))
                if failure and failure.delay:
                    time.sleep(failure.delay)
                if failure and failure.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if failure and (failure.status != 200 or failure.error):
                    if not taken_first:
                        local._record(Call(method, {**args, "_failed": failure.error or failure.status}, path=path))
                    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                    self._send(failure.status, {"ok": False, "error": failure.error or "internal_error"}, headers)
                    return
                if not taken_first:  # a slow answer: the work is done when it comes
                    with local._lock:
                        answer = local._take(Call(method, args, path=path))
                # Slack names the token's scopes in every Web API answer.
                scopes = {"x-oauth-scopes": ",".join(local.scopes)} if isinstance(answer, dict) else None
                self._send(200, answer, scopes)

            def _parse(self, raw: bytes, method: str) -> dict[str, Any]:
                if method == "file_upload":
                    return {"bytes": raw}
                content_type = self.headers.get("Content-Type", "")
                text = raw.decode("utf-8", "replace")
                if "json" in content_type:
                    try:
                        data = json.loads(text or "{}")
                    except json.JSONDecodeError:
                        return {"_raw": text}
                    return data if isinstance(data, dict) else {"_json": data}
                return dict(parse_qsl(text, keep_blank_values=True))

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the caller went away; as on Slack, the call stands
                    self.close_connection = True

        return Handler
