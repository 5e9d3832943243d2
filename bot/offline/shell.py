"""The offline shell: type slash commands as in Slack, read the replies as text.

Each line is turned into the request Slack would send (signed, form-encoded) and
dispatched to the same Bolt app, with the same listeners, that serves Slack. Replies
come back through Bolt's ack and through a :class:`LocalSlack` on 127.0.0.1 that stands
in for the Web API and response URLs, so nothing leaves the machine.

Forms are filled in field by field and submitted as Slack submits them (a signed
``view_submission``), with the bot's errors shown beside their fields; menus are picked from by
number; files the bot uploads are saved in a folder and their paths printed; ``advance 1d``
moves the shell's clock and sends what the reminder scheduler would have sent meanwhile.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from slack_bolt import App

from bot import manifest
from bot.app import create_app, dispatch_signed
from bot.claims import Claims
from bot.config import Settings
from bot.offline import slack_requests
from bot.offline.forms import FormField, form_fields, read_answer, state_values
from bot.offline.localslack import Call, LocalSlack
from bot.offline.render import Clickable, render_message
from bot.pacing import Pacer
from bot.runtime import Heart, build_heart
from bot.sender import Sender
from bot.sessions import core as sessions
from bot.sessions.delivery import Deliverer
from bot.sessions.slots import pending_slots
from bot.slack_client import delivery_client

SHELL_TOKEN = "xoxb-offline-shell"
SHELL_CHANNEL = "C0SHELL"
INTRO = (
    "heart-bot offline shell. Type a slash command as you would in Slack, e.g. "
    "/glossary trauma-informed care, /tipsheet barriers.\n"
    "Type a button's or menu's number to press it, 'home' to open your Home tab, 'advance 1d' (or 2h, 30m) "
    "to see the reminders and prompts sent meanwhile (commands and buttons still act now), 'help' for this "
    "text, Ctrl-D or 'quit' to leave."
)


def commands_help() -> str:
    """The slash commands the app declares (``manifest.yml``), one a line, for the shell's help."""
    declared = manifest.commands()
    width = max(map(len, declared))
    lines = [f"  {command:<{width}}  {description}" for command, description in declared.items()]
    return "\n".join(
        ["Slash commands, as in Slack:", *lines, "(/heart answers coordinators: start the shell with --coordinator to act as one.)"]
    )


FORM_HELP = "Fill in the form: answer each field and press Enter (Enter alone keeps what it holds); 'cancel' closes it unsent."
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Reply:
    """Something the bot showed: where it appeared, and what it said."""

    where: str  # "only you", "channel", "DM", "form: <title>", "Home tab"
    body: dict[str, Any]
    view: dict[str, Any] | None = None  # for a modal or the Home tab: the view, with its id
    # Which message or view this is: a reply that redraws one (chat.update, a response that
    # replaces the message pressed in, views.update) has the same surface, and keeps its numbers.
    surface: tuple[str, ...] = ()


class OfflineSlack:
    """Dispatches Slack-shaped requests to the bot in-process, as one member."""

    def __init__(self, heart: Heart, user_id: str, local_slack: LocalSlack, files_dir: Path | None = None):
        self.heart = heart
        self.user_id = user_id
        self.local = local_slack
        self.files_dir = files_dir
        self.offset = timedelta(0)  # how far `advance` has moved the shell's clock
        self._secret = secrets.token_hex(16)
        self.app: App = create_app(heart, token=SHELL_TOKEN, signing_secret=self._secret)

    # ----------------------------------------------------------------- what the member does
    def command(self, line: str) -> list[Reply]:
        """Run a slash command line such as ``/glossary tic``."""
        name, _, text = line.strip().partition(" ")
        body = slack_requests.command_body(
            name, text.strip(), user_id=self.user_id, response_url=self.local.response_url(), channel_id=SHELL_CHANNEL
        )
        return self._dispatch(body)[1]

    def home(self) -> list[Reply]:
        """Open the member's Home tab (the app_home_opened event Slack sends)."""
        event = {"type": "app_home_opened", "user": self.user_id, "tab": "home", "channel": SHELL_CHANNEL}
        return self._dispatch(slack_requests.event_body(event))[1]

    def click(
        self,
        clickable: Clickable,
        option: tuple[str, str] | None = None,
        view: dict[str, Any] | None = None,
        surface: tuple[str, ...] = (),
    ) -> list[Reply]:
        """Press a button the bot showed, or pick ``option`` (label, value) from one of its menus.

        :param view: the modal or Home tab the button sits in, as Slack sends it with the press.
        :param surface: the message pressed in (a response that replaces it redraws it).
        """
        choice = {}
        if option is not None:
            choice = {
                "selected": True,
                "menu": clickable.menu or "static_select",
                "option": {"text": {"type": "plain_text", "text": option[0]}, "value": option[1]},
            }
        body = slack_requests.block_actions_body(
            clickable.action_id,
            option[1] if option else clickable.value,
            user_id=self.user_id,
            response_url=self.local.response_url(),
            block_id=clickable.block_id,
            channel_id=SHELL_CHANNEL,
            view=view,
            **choice,
        )
        return self._dispatch(body, pressed=surface)[1]

    def submit(self, view: dict[str, Any], fields: list[FormField]) -> tuple[dict[str, Any], list[Reply]]:
        """Submit a modal with what its fields hold: the bot's ack (errors, a new view) and the replies."""
        body = slack_requests.view_submission_body(
            str(view.get("callback_id", "")),
            state_values(fields),
            user_id=self.user_id,
            view_id=str(view.get("id", "V0")),
            private_metadata=str(view.get("private_metadata", "")),
        )
        acked, replies = self._dispatch(body)
        action = acked.get("response_action")
        if action in ("update", "push") and isinstance(acked.get("view"), dict):
            new_id = view.get("id") if action == "update" else f"VPUSH{secrets.token_hex(4).upper()}"
            replies.insert(0, _view_reply({**acked["view"], "id": new_id}))
        return acked, replies

    def advance(self, delta: timedelta) -> list[Reply]:
        """Move the shell's clock by ``delta`` and deliver, in order, every reminder, starting-now
        post and share-out prompt that falls due meanwhile (as the scheduler would, each at its time)."""
        seen = len(self.local.calls)
        target = self.now() + delta
        clock = {"now": self.now()}
        store, stopping = self.heart.store, threading.Event()
        client = delivery_client(SHELL_TOKEN, self.local.api_url)
        claims = Claims(store, f"offline-shell:{os.getpid()}", clock=lambda: clock["now"].timestamp())
        sender = Sender(
            client,
            claims,
            pace=Pacer(store, "offline-shell chat.postMessage", 100.0, stopping),
            lookups=Pacer(store, "offline-shell conversations.history", 100.0, stopping),
            stopping=stopping,
            clock=lambda: clock["now"].timestamp(),
        )
        deliverer = Deliverer(
            store,
            client,
            claims=claims,
            sender=sender,
            coordinators=self.heart.coordinators.all,
            stopping=stopping,
            clock=lambda: clock["now"].timestamp(),
        )
        tried: set[tuple[str, str]] = set()
        while True:
            sessions.expand_all(self.heart.store, clock["now"])
            due = [
                slot
                for slot in pending_slots(self.heart.store, clock["now"], target - clock["now"])
                if slot.due_at <= target and (slot.occurrence_id, slot.kind) not in tried
            ]
            if not due:
                break
            slot = min(due, key=lambda s: s.due_at)
            tried.add((slot.occurrence_id, slot.kind))
            clock["now"] = max(clock["now"], slot.due_at)
            deliverer.deliver(slot.occurrence_id, slot.kind)
        self.offset = target - datetime.now(UTC)
        return [reply for call in self.local.calls[seen:] if (reply := self._reply_from_call(call))]

    def now(self) -> datetime:
        """The shell's clock: the real time, moved on by every ``advance``."""
        return datetime.now(UTC) + self.offset

    # ----------------------------------------------------------------- plumbing
    def _dispatch(self, body: str, *, pressed: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[Reply]]:
        seen = len(self.local.calls)
        headers = slack_requests.signed_headers(self._secret, body)
        response = dispatch_signed(self.app, body, {k.lower(): v for k, v in headers.items()}, self._secret)
        self.heart.background.wait()  # what the request goes on to do after its ack shows too
        replies: list[Reply] = []
        acked: dict[str, Any] = {}
        if response.body and response.body.lstrip().startswith("{"):
            acked = json.loads(response.body)
            if acked.get("blocks") or acked.get("text"):
                replaces = acked.get("replace_original") in (True, "true") and pressed
                replies.append(Reply(_where(acked), acked, surface=pressed if replaces else _fresh()))
        elif response.status >= 400:
            replies.append(Reply("only you", {"text": f"(the bot answered HTTP {response.status})"}))
        replies.extend(reply for call in self.local.calls[seen:] if (reply := self._reply_from_call(call, pressed)))
        return acked, replies

    def _reply_from_call(self, call: Call, pressed: tuple[str, ...] = ()) -> Reply | None:
        args = call.args
        if call.method == "response_url":
            replaces = args.get("replace_original") in (True, "true") and pressed
            return Reply(_where(args), args, surface=pressed if replaces else _fresh())
        if call.method in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel", ""))
            where = "DM" if channel.startswith(("D", "U")) else "group DM" if channel.startswith("G") else "channel"
            return Reply(where, args, surface=("message", str(args.get("channel")), str(call.answer.get("ts"))))
        if call.method == "chat.postEphemeral":
            return Reply("only you", args, surface=_fresh())
        if call.method == "files.completeUploadExternal":
            return Reply("DM", {"text": self._save_files(args)}, surface=_fresh())
        if call.method in ("views.open", "views.push", "views.update", "views.publish"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            return _view_reply({**view, "id": (call.answer.get("view") or {}).get("id") or args.get("view_id")})
        return None

    def _save_files(self, args: dict[str, Any]) -> str:
        """Save the files of an upload where the member can open them; the message, with their paths."""
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else (files or [])
        lines = [str(args.get("initial_comment") or "Files")]
        for announced in files:
            uploaded = self.local.files.get(str(announced.get("id")), {})
            name = Path(str(uploaded.get("filename") or announced.get("title") or announced.get("id"))).name
            if self.files_dir is None:
                lines.append(f"(file: {announced.get('title')})")
                continue
            self.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.files_dir / name
            stem, n = path.stem, 1
            while path.exists():
                n += 1
                path = path.with_name(f"{stem}-{n}{path.suffix}")
            # Exports hold share-outs: readable by this user only, as the database is.
            with open(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as file:
                file.write(uploaded.get("bytes") or b"")
            lines.append(f"(file: {announced.get('title')}, saved as {path})")
        return "\n".join(lines)


_surfaces = iter(range(1, 10**9))


def _fresh() -> tuple[str, ...]:
    """A surface of its own: a new message nothing redraws."""
    return ("new", str(next(_surfaces)))


def _view_reply(view: dict[str, Any]) -> Reply:
    surface = ("view", str(view.get("id")))
    if view.get("type") == "home":
        return Reply("Home tab", {"blocks": view.get("blocks", [])}, view, surface)
    title = (view.get("title") or {}).get("text", "")
    return Reply(f"form: {title}", {"blocks": view.get("blocks", [])}, view, surface)


def _where(message: dict[str, Any]) -> str:
    return "channel" if message.get("response_type") == "in_channel" else "only you"


def render_replies(
    replies: Iterable[Reply], clickables: list[Clickable], surfaces: dict[tuple[str, ...], list[int]] | None = None
) -> str:
    """The replies as text, each under a line saying where it appeared.

    :param surfaces: the numbers each message or view on screen shows; a reply that redraws one
        gives its buttons the same numbers, in order (updated here).
    """
    surfaces = {} if surfaces is None else surfaces
    chunks = []
    for reply in replies:
        view_id = str(reply.view.get("id")) if reply.view else None
        used: list[int] = []
        text = render_message(reply.body, clickables, view_id, reuse=surfaces.get(reply.surface), used=used)
        if reply.surface:
            surfaces[reply.surface] = used
        chunks.append(f"--- {reply.where} ---\n{text}")
    return "\n\n".join(chunks) if chunks else "(no reply)"


def run_shell(
    settings: Settings,
    user_id: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    banner: str = "",
    files_dir: Path | None = None,
) -> int:
    """Read commands from ``stdin`` until its end; return the exit status (0).

    :param banner: printed first (which database the shell uses).
    :param files_dir: where files the bot uploads are saved.
    """
    interactive = stdin.isatty() and stdout.isatty()
    read_line = _line_reader(stdin, interactive)
    if banner:
        print(banner, file=stdout)
    # The first start on a machine compiles the safety net's patterns, and says nothing until then.
    print("Starting… (the first time on this machine takes about ten seconds)", file=stdout, flush=True)
    with LocalSlack() as local:
        heart = build_heart(dataclasses.replace(settings, slack_api_url=local.api_url))
        try:
            return Session(OfflineSlack(heart, user_id, local, files_dir), read_line, interactive, stdout).run()
        finally:
            heart.close()


class Session:
    """One shell session: what is on screen (numbered buttons, open forms) and the loop reading lines."""

    def __init__(self, offline: OfflineSlack, read_line: Callable[[str], str | None], interactive: bool, stdout: TextIO):
        self.offline = offline
        self.read_line = read_line
        self.interactive = interactive
        self.stdout = stdout
        self.clickables: list[Clickable] = []
        self.views: dict[str, dict[str, Any]] = {}  # the modals and Home tab on screen, by view id
        self.surfaces: dict[tuple[str, ...], list[int]] = {}  # the numbers each message or view shows

    def say(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def ask(self, prompt: str = "heart> ") -> str | None:
        """The next line; in a transcript (piped input), echoed after ``> ``."""
        line = self.read_line(prompt)
        if line is not None and not self.interactive:
            self.say(f"> {line.strip()}")
        return line

    def run(self) -> int:
        self.say(INTRO)
        while (line := self.read_line("heart> ")) is not None:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not self.interactive:
                self.say(f"\n> {line}")
            if line in ("quit", "exit"):
                break
            if line in ("help", "?"):
                self.say(f"{INTRO}\n{commands_help()}")
                continue
            if line.isdigit():
                replies = self.press(int(line))
                if replies is None:
                    continue
            elif line.startswith("/"):
                self.clickables, self.views, self.surfaces = [], {}, {}  # a new screen: numbering starts again
                replies = self.offline.command(line)
            elif line == "home":
                self.clickables, self.views, self.surfaces = [], {}, {}
                replies = self.offline.home()
            elif line.startswith("advance"):
                delta = _duration(line.removeprefix("advance").strip())
                if delta is None:
                    self.say("Say how far to move the clock, e.g. advance 1d, advance 2h or advance 30m.")
                    continue
                replies = self.offline.advance(delta)
                self.say(f"The clock is now {self.offline.now():%Y-%m-%d %H:%M} UTC.")
            else:
                self.say("Start with a slash command, e.g. /glossary burnout (or type help).")
                continue
            self.show(replies)
        return 0

    def show(self, replies: list[Reply]) -> None:
        """Print replies; while one of them is a form to fill in, fill it in and show what follows."""
        while True:
            for reply in replies:
                if reply.view and reply.view.get("id"):
                    self.views[str(reply.view["id"])] = reply.view
            self.say(render_replies(replies, self.clickables, self.surfaces))
            form = next((r.view for r in reversed(replies) if r.view and form_fields(r.view) and r.view.get("submit")), None)
            if form is None:
                return
            replies = self.fill(form)
            if not replies:
                return

    def press(self, number: int) -> list[Reply] | None:
        """Press button or menu ``number``; None when nothing was sent."""
        if not 1 <= number <= len(self.clickables):
            self.say(f"There is no button {number} on screen.")
            return None
        clickable = self.clickables[number - 1]
        if clickable.confirm and not self.confirmed(clickable.confirm):
            self.say("Nothing was done.")
            return None
        option = None
        if clickable.menu:
            self.say(f"{clickable.label}: " + "  ".join(f"{i}) {text}" for i, (text, _) in enumerate(clickable.options, 1)))
            answer = (self.ask("pick> ") or "").strip()
            if not answer.isdigit() or not 1 <= int(answer) <= len(clickable.options):
                self.say("Nothing was picked.")
                return None
            option = clickable.options[int(answer) - 1]
        view = self.views.get(clickable.view_id or "")
        if view is not None:
            view = {**view, "state": {"values": state_values(form_fields(view))}}
        pressed = next((surface for surface, numbers in self.surfaces.items() if number in numbers), ())
        return self.offline.click(clickable, option, view, pressed)

    def confirmed(self, question: str) -> bool:
        """Ask what Slack's confirm dialog asks; only "y" or "yes" goes ahead."""
        self.say(f"{question} [y/N]")
        answer = self.read_line("")
        return (answer or "").strip().casefold() in ("y", "yes")

    def fill(self, view: dict[str, Any]) -> list[Reply]:
        """Ask for each field of ``view``, submit it, and ask again for the fields the bot refused.

        :returns: what the bot showed after the submission; empty if the member cancelled.
        """
        fields = form_fields(view)
        self.say(FORM_HELP)
        asking = fields
        errors: dict[str, str] = {}
        while True:
            for form_field in asking:
                if not self.ask_field(form_field, errors.get(form_field.block_id)):
                    self.say("The form is closed; nothing was sent.")
                    return []
            acked, replies = self.offline.submit(view, fields)
            if acked.get("response_action") != "errors":
                return replies
            errors = {str(k): str(v) for k, v in (acked.get("errors") or {}).items()}
            asked_again = {f.block_id for f in fields}
            for block_id, problem in errors.items():  # a field's own error is shown as it is asked again
                if block_id not in asked_again:
                    self.say(f"  ! {block_id}: {problem}")
            asking = [f for f in fields if f.block_id in errors] or fields

    def ask_field(self, form_field: FormField, problem: str | None) -> bool:
        """Ask for one field until its answer is taken, after the bot's ``problem`` with its last
        answer, if any; False if the member cancelled."""
        if problem:
            self.say(f"  ! {form_field.label}: {problem}")
        self.say(form_field.prompt())
        while True:
            answer = self.ask(f"{form_field.label}> ")
            if answer is None or answer.strip().casefold() == "cancel":
                return False
            refused = read_answer(form_field, answer)
            if refused is None and not form_field.optional and not form_field.shown():
                refused = "this field is required"
            if refused is None:
                return True
            self.say(f"  ! {refused}")


def _duration(text: str) -> timedelta | None:
    found = _DURATION.match(text.strip().casefold())
    if not found:
        return None
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _line_reader(stdin: TextIO, interactive: bool) -> Callable[[str], str | None]:
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())

        def read(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                print()
                return None

        return read

    def read_piped(prompt: str) -> str | None:
        line = stdin.readline()
        return line if line else None

    return read_piped
