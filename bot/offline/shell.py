"""The offline shell: type slash commands as in Slack, read the replies as text.

Each line is turned into the request Slack would send (signed, form-encoded) and
dispatched to the same Bolt app, with the same listeners, that serves Slack. Replies
come back through Bolt's ack and through a :class:`LocalSlack` on 127.0.0.1 that stands
in for the Web API and response URLs, so nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from slack_bolt import App, BoltRequest

from bot.config import Settings
from bot.offline import slack_requests
from bot.offline.localslack import Call, LocalSlack
from bot.offline.render import Clickable, render_message
from bot.runtime import Heart, build_heart

SHELL_TOKEN = "xoxb-offline-shell"
SHELL_CHANNEL = "C0SHELL"
INTRO = (
    "heart-bot offline shell. Type a slash command as you would in Slack, e.g. "
    "/glossary trauma-informed care, /tipsheet barriers.\n"
    "Type a button's number to press it, 'home' to open your Home tab, 'help' for this text, "
    "Ctrl-D or 'quit' to leave."
)


@dataclass(frozen=True)
class Reply:
    """Something the bot showed: where it appeared, and what it said."""

    where: str  # "only you", "channel", "DM", "form", "Home tab"
    body: dict[str, Any]


class OfflineSlack:
    """Dispatches Slack-shaped requests to the bot in-process, as one member."""

    def __init__(self, heart: Heart, user_id: str, local_slack: LocalSlack):
        from bot.app import create_app

        self.user_id = user_id
        self.local = local_slack
        self.heart = heart
        self._secret = secrets.token_hex(16)
        self.app: App = create_app(heart, token=SHELL_TOKEN, signing_secret=self._secret)

    def command(self, line: str) -> list[Reply]:
        """Run a slash command line such as ``/glossary tic``."""
        name, _, text = line.strip().partition(" ")
        body = slack_requests.command_body(
            name, text.strip(), user_id=self.user_id, response_url=self.local.response_url(), channel_id=SHELL_CHANNEL
        )
        return self._dispatch(body)

    def home(self) -> list[Reply]:
        """Open the member's Home tab (the app_home_opened event Slack sends)."""
        event = {"type": "app_home_opened", "user": self.user_id, "tab": "home", "channel": SHELL_CHANNEL}
        return self._dispatch(slack_requests.event_body(event))

    def click(self, clickable: Clickable) -> list[Reply]:
        """Press a button the bot showed."""
        body = slack_requests.block_actions_body(
            clickable.action_id,
            clickable.value,
            user_id=self.user_id,
            response_url=self.local.response_url(),
            block_id=clickable.block_id,
            channel_id=SHELL_CHANNEL,
        )
        return self._dispatch(body)

    def _dispatch(self, body: str) -> list[Reply]:
        seen = len(self.local.calls)
        headers = slack_requests.signed_headers(self._secret, body)
        response = self.app.dispatch(BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()}))
        self.heart.background.wait()  # what the request goes on to do after its ack shows too
        replies: list[Reply] = []
        if response.body and response.body.lstrip().startswith("{"):
            acked = json.loads(response.body)
            if acked.get("blocks") or acked.get("text"):
                replies.append(Reply(_where(acked), acked))
        elif response.status >= 400:
            replies.append(Reply("only you", {"text": f"(the bot answered HTTP {response.status})"}))
        replies.extend(reply for call in self.local.calls[seen:] if (reply := _reply_from_call(call)))
        return replies


def _where(message: dict[str, Any]) -> str:
    return "channel" if message.get("response_type") == "in_channel" else "only you"


def _reply_from_call(call: Call) -> Reply | None:
    args = call.args
    if call.method == "response_url":
        return Reply(_where(args), args)
    if call.method in ("chat.postMessage", "chat.update"):
        return Reply("DM" if str(args.get("channel", "")).startswith(("D", "U")) else "channel", args)
    if call.method == "chat.postEphemeral":
        return Reply("only you", args)
    if call.method == "files.completeUploadExternal":
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else (files or [])
        names = ", ".join(str(f.get("title")) for f in files)
        return Reply("DM", {"text": f"{args.get('initial_comment') or 'Files'}\n(files: {names})"})
    if call.method in ("views.open", "views.push", "views.update"):
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        title = ((view or {}).get("title") or {}).get("text", "")
        return Reply(f"form: {title}", {"blocks": (view or {}).get("blocks", [])})
    if call.method == "views.publish":
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return Reply("Home tab", {"blocks": (view or {}).get("blocks", [])})
    return None


def render_replies(replies: Iterable[Reply], clickables: list[Clickable]) -> str:
    """The replies as text, each under a line saying where it appeared."""
    chunks = []
    for reply in replies:
        chunks.append(f"--- {reply.where} ---\n{render_message(reply.body, clickables)}")
    return "\n\n".join(chunks) if chunks else "(no reply)"


def run_shell(settings: Settings, user_id: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Read commands from ``stdin`` until its end; return the exit status (0)."""
    interactive = stdin.isatty() and stdout.isatty()
    read_line = _line_reader(stdin, interactive)
    with LocalSlack() as local:
        heart = build_heart(dataclasses.replace(settings, slack_api_url=local.api_url))
        try:
            return _loop(OfflineSlack(heart, user_id, local), read_line, interactive, stdout)
        finally:
            heart.close()


def _loop(offline: OfflineSlack, read_line: Callable[[], str | None], interactive: bool, stdout: TextIO) -> int:
    print(INTRO, file=stdout)
    clickables: list[Clickable] = []
    while (line := read_line()) is not None:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not interactive:
            print(f"\n> {line}", file=stdout)
        if line in ("quit", "exit"):
            break
        if line in ("help", "?"):
            print(INTRO, file=stdout)
            continue
        if line.isdigit():
            number = int(line)
            if not 1 <= number <= len(clickables):
                print(f"There is no button {number} on screen.", file=stdout)
                continue
            clickable = clickables[number - 1]
            if clickable.confirm and not _confirmed(clickable.confirm, read_line, stdout):
                print("Nothing was done.", file=stdout)
                continue
            replies = offline.click(clickable)
        elif line.startswith("/"):
            replies = offline.command(line)
        elif line == "home":
            replies = offline.home()
        else:
            print("Start with a slash command, e.g. /glossary burnout (or type help).", file=stdout)
            continue
        clickables = []
        print(render_replies(replies, clickables), file=stdout, flush=True)
    return 0


def _confirmed(question: str, read_line: Callable[[], str | None], stdout: TextIO) -> bool:
    """Ask what Slack's confirm dialog asks; only "y" or "yes" goes ahead."""
    print(f"{question} [y/N]", file=stdout, flush=True)
    answer = read_line()
    return (answer or "").strip().casefold() in ("y", "yes")


def _line_reader(stdin: TextIO, interactive: bool) -> Callable[[], str | None]:
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())

        def read() -> str | None:
            try:
                return input("heart> ")
            except EOFError:
                print()
                return None

        return read

    def read_piped() -> str | None:
        line = stdin.readline()
        return line if line else None

    return read_piped
