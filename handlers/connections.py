"""/connect and its buttons and form: joining monthly connections, the profile, pause, skip,
leave and past connections; the answers to "Did you two meet?"; and the coordinators' start,
pause and resume (the role is checked on every request). The Home tab gets the same panel."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import events, profiles
from bot.blocks import Message, context, notice, section
from bot.connections import blocks, rounds
from bot.connections import core as connections
from bot.connections.core import ACTIVE, LEFT, PAUSED, ConnectionsError, InvalidProfile, ProfileForm
from bot.runtime import Heart
from bot.text import escape
from handlers import ack_budget
from handlers.common import coordinator_click, heart_of, utc_now
from handlers.direct import dm
from handlers.home import HomeSection, HomeVisit, add_section, publish_home
from handlers.payloads import Click, Command, Submission

log = logging.getLogger(__name__)

COORDINATORS_ONLY = "Only coordinators can start, pause or resume monthly connections. Type `/connect` for your own."
HELP = (
    "`/connect`: monthly connections, your profile and your switches.\n"
    "`/connect join`: join, or edit your profile.\n"
    "`/connect pause`, `/connect resume`, `/connect skip`, `/connect leave`: what they say.\n"
    "`/connect history`: whom you've been introduced to."
)
SAVING = "Saving… the database is busy for a moment. This form will show the outcome as soon as it's saved."
VERBS = {"pause": blocks.PAUSE_ACTION, "resume": blocks.RESUME_ACTION, "skip": blocks.SKIP_ACTION, "leave": blocks.LEAVE_ACTION}
STATUS_EVENTS = {
    blocks.PAUSE_ACTION: "pause",
    blocks.RESUME_ACTION: "resume",
    blocks.SKIP_ACTION: "skip",
    blocks.UNSKIP_ACTION: "unskip",
    blocks.LEAVE_ACTION: "leave",
}


def register(app: App) -> None:
    """Listen for /connect, its buttons, its form and the follow-up answers; add the Home tab sections."""
    add_section(HomeSection("connections", 40, _home_section))
    add_section(HomeSection("connections-coordinators", 41, _home_coordinators_section, coordinators_only=True))
    app.command("/connect")(connect_command)
    app.action(blocks.JOIN_ACTION)(join_clicked)
    app.action(re.compile(rf"^({'|'.join(blocks.STATUS_ACTIONS)})$"))(status_clicked)
    app.action(blocks.HISTORY_ACTION)(history_clicked)
    app.action(re.compile(rf"^{blocks.ANSWER_PREFIX}"))(answer_clicked)
    app.action(re.compile(rf"^({blocks.RUN_ACTION}|{blocks.PAUSE_ALL_ACTION}|{blocks.RESUME_ALL_ACTION})$"))(coordinator_clicked)
    app.view(blocks.PROFILE_CALLBACK)(profile_submitted)


# ----------------------------------------------------------------------------- members


def connect_command(ack: Ack, command: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """/connect: the panel, the profile form, a switch, past connections, or help."""
    heart = heart_of(context)
    request = Command.from_payload(command)
    verb = request.verb
    if verb in ("", "status"):
        ack(panel(heart, request.user_id, blocks.PANEL).to_dict())
    elif verb in ("join", "edit", "profile"):
        ack()
        _open_profile(heart, client, request.trigger_id, request.user_id, blocks.PANEL)
    elif verb in VERBS:
        ack()  # the switch is a write, which may wait for the database: answered after the ack
        try:
            note = _switch(heart, request.user_id, VERBS[verb])
        except ConnectionsError as error:
            respond(notice(str(error)).to_response())
            return
        respond(panel(heart, request.user_id, blocks.PANEL, note=note).to_response())
    elif verb in ("history", "past", "mine"):
        past = connections.past_connections(heart.store, request.user_id)
        ack(blocks.history_message(heart.content.connections, past, heart.settings.timezone).to_dict())
    elif verb == "help":
        ack(notice(HELP).to_dict())
    else:
        ack(notice(f"I don't know *{escape(verb[:40])}*.\n{HELP}").to_dict())


def join_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """Join monthly connections / Edit my profile: the profile form."""
    ack()
    click = Click.from_payload(action, body)
    _open_profile(heart_of(context), client, click.trigger_id, click.user_id, _surface(click, body))


def status_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Pause, Resume, Skip the next round, Don't skip, Leave: change it and redraw where the member clicked."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    try:
        note = _switch(heart, click.user_id, click.action_id)
    except ConnectionsError as error:
        _tell(client, respond, click, str(error))
        return
    _redraw(heart, client, respond, click, body, note)


def history_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Past connections: privately beside the panel, or by DM from the Home tab."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    past = connections.past_connections(heart.store, click.user_id)
    message = blocks.history_message(heart.content.connections, past, heart.settings.timezone)
    if body.get("response_url"):
        respond(message.to_response())
    else:
        dm(client, click.user_id, message)


def answer_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Yes / Not yet / We won't, under "Did you two meet?": recorded, and thanked privately."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    answer = click.action_id.removeprefix(blocks.ANSWER_PREFIX)
    try:
        pair_id = int(click.value)
        connections.record_answer(heart.store, pair_id, click.user_id, answer, now=utc_now())
    except ValueError:
        _tell(client, respond, click, "That question is no longer open.")
        return
    except ConnectionsError as error:
        _tell(client, respond, click, str(error))
        return
    heart.record(events.Event(events.CONNECT, click.user_id, "answer", answer))
    _tell(client, respond, click, blocks.ANSWER_THANKS[answer])


def profile_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The profile form: check it, save it, and confirm in place of the form."""
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    user_id = submission.user_id
    content = heart.content.connections
    form = ProfileForm(
        sector=submission.choice("sector"),
        state=submission.choice("state"),
        topics=submission.choices("topics"),
        blocked=submission.users("blocked"),
    )
    try:
        checked = connections.check_profile(form, content, user_id)
    except InvalidProfile as invalid:
        ack(response_action="errors", errors=invalid.problems)
        return
    answer = ack_budget.FormAnswer(ack, client, submission.view_id, context, body)
    now = utc_now()
    saving = ack_budget.start(lambda: connections.save_profile(heart.store, user_id, checked, now=now))

    def saved() -> None:
        profile, joined = saving.result()
        confirmation = blocks.saved_message(content, profile, joined, _next_round(heart, now), heart.settings.timezone)
        answer.show(_done_view("You're in" if joined else "Profile saved", confirmation))
        heart.record(events.Event(events.CONNECT, user_id, "join" if joined else "update"))
        log.info("connections profile %s by %s", "joined" if joined else "updated", user_id)
        answer.later(lambda: _after_saving(heart, client, user_id, submission.private_metadata == blocks.HOME))

    answer.when_written(saving, _done_view("Saving", SAVING), saved)


def _after_saving(heart: Heart, client: WebClient, user_id: str, from_home: bool) -> None:
    """What a saved profile asks of Slack: the member's time zone, and their Home tab redrawn."""
    _remember_time_zone(heart, client, user_id)
    if from_home:
        publish_home(client, heart, user_id)


# ----------------------------------------------------------------------------- coordinators


def coordinator_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Start a round now, Pause connections, Resume connections (coordinators only)."""
    ack()
    heart = heart_of(context)
    click = coordinator_click(heart, action, body, lambda refused: _tell(client, respond, refused, COORDINATORS_ONLY))
    if click is None:
        return
    now = utc_now()
    if click.action_id == blocks.RUN_ACTION:
        schedule = connections.get_schedule(heart.store, heart.settings.timezone)
        try:
            started = rounds.start_now(heart.store, heart.content.connections, schedule, by=click.user_id, now=now)
        except ConnectionsError as error:
            _tell(client, respond, click, str(error))
            return
        count = len(rounds.groups_of(heart.store, started.id))
        made = blocks.groups_count(count, heart.settings.small_count_threshold)
        note = f"Round started: {made}. Introductions go out now, at Slack's pace."
        log.info("round %s started by %s: %d groups", started.id, click.user_id, count)
    else:
        paused = click.action_id == blocks.PAUSE_ALL_ACTION
        connections.set_paused(heart.store, paused)
        note = (
            "Connections are paused: no round starts and nothing is sent until you resume them."
            if paused
            else "Connections are resumed."
        )
        log.info("connections %s by %s", "paused" if paused else "resumed", click.user_id)
    if runner := heart.connections:
        runner.changed()
    _redraw(heart, client, respond, click, body, note)


# ----------------------------------------------------------------------------- what members see


def panel(heart: Heart, user_id: str, surface: str, *, note: str | None = None) -> Message:
    """The /connect panel as ``user_id`` sees it (with the coordinators' part for a coordinator)."""
    return blocks.panel_message(_panel_blocks(heart, user_id, surface, note=note, coordinator=heart.is_coordinator(user_id)))


def _panel_blocks(heart: Heart, user_id: str, surface: str, *, note: str | None, coordinator: bool) -> list[Block]:
    now = utc_now()
    found: list[Block] = [context(escape(note))] if note else []
    found += blocks.panel_blocks(
        heart.content.connections,
        connections.get_profile(heart.store, user_id),
        next_round=_next_round(heart, now),
        timezone=heart.settings.timezone,
        paused_for_all=connections.is_paused(heart.store),
        surface=surface,
    )
    if coordinator:
        found += _coordinator_blocks(heart, now, surface)
    return found


def _coordinator_blocks(heart: Heart, now: datetime, surface: str) -> list[Block]:
    schedule = connections.get_schedule(heart.store, heart.settings.timezone)
    return blocks.coordinator_blocks(
        connections.membership(heart.store),
        paused=connections.is_paused(heart.store),
        schedule=schedule.describe(),
        next_round=_next_round(heart, now),
        timezone=heart.settings.timezone,
        surface=surface,
        threshold=heart.settings.small_count_threshold,
    )


def _home_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return blocks.panel_blocks(
        heart.content.connections,
        connections.get_profile(heart.store, visit.user_id),
        next_round=_next_round(heart, visit.now),
        timezone=heart.settings.timezone,
        paused_for_all=connections.is_paused(heart.store),
        surface=blocks.HOME,
    )


def _home_coordinators_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return _coordinator_blocks(heart, visit.now, blocks.HOME)


def _next_round(heart: Heart, now: datetime) -> datetime | None:
    return rounds.next_start(heart.store, connections.get_schedule(heart.store, heart.settings.timezone), now)


# ----------------------------------------------------------------------------- helpers


def _switch(heart: Heart, user_id: str, action_id: str) -> str:
    """Apply a member's switch; what to tell them.

    :raises ConnectionsError: if they haven't joined.
    """
    now = utc_now()
    if action_id in (blocks.SKIP_ACTION, blocks.UNSKIP_ACTION):
        profile = connections.get_profile(heart.store, user_id)
        if profile is not None and profile.status != ACTIVE:
            raise ConnectionsError("Skipping a round is for members who are in. Resume (or join again) first.")
        connections.set_skip_next(heart.store, user_id, action_id == blocks.SKIP_ACTION, now=now)
    else:
        status = {blocks.PAUSE_ACTION: PAUSED, blocks.RESUME_ACTION: ACTIVE, blocks.LEAVE_ACTION: LEFT}[action_id]
        connections.set_status(heart.store, user_id, status, now=now)
    heart.record(events.Event(events.CONNECT, user_id, STATUS_EVENTS[action_id]))
    return blocks.STATUS_NOTES[action_id]


def _open_profile(heart: Heart, client: WebClient, trigger_id: str | None, user_id: str, surface: str) -> None:
    """Open the profile form at once, while the trigger is fresh."""
    profile, given = connections.get_profile(heart.store, user_id), profiles.get(heart.store, user_id)
    view = blocks.profile_view(heart.content.connections, profile, given, metadata=surface)
    client.views_open(trigger_id=trigger_id, view=view)


def _surface(click: Click, body: dict) -> str:
    """Where the click came from: the Home tab (or a modal), or the /connect panel."""
    if click.block_id.split("|", 1)[0] == blocks.HOME or not body.get("response_url"):
        return blocks.HOME
    return blocks.PANEL


def _redraw(heart: Heart, client: WebClient, respond: Respond, click: Click, body: dict, note: str) -> None:
    """Show the result where the member clicked: the Home tab republished, or the panel redrawn."""
    if _surface(click, body) == blocks.HOME:
        publish_home(client, heart, click.user_id)
    else:
        respond(panel(heart, click.user_id, blocks.PANEL, note=note).to_response(replace_original=True))


def _tell(client: WebClient, respond: Respond, click: Click, text: str) -> None:
    """A private note to the member who clicked: beside the message, or by DM from the Home tab."""
    if respond.response_url:
        respond(notice(text).to_response())
    else:
        dm(client, click.user_id, notice(text))


def _done_view(title: str, message: Message | str) -> View:
    shown = message.blocks if isinstance(message, Message) else [section(message)]
    return View(type="modal", title=title, close="Close", blocks=shown)


def _remember_time_zone(heart: Heart, client: WebClient, user_id: str) -> None:
    """Keep the member's Slack time zone, so introductions can suggest a time inside their working hours."""
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
    except (SlackClientError, OSError, KeyError, TypeError) as error:
        log.info("no time zone for %s: %s", user_id, type(error).__name__)
        return
    if isinstance(tz, str) and tz:
        connections.set_timezone(heart.store, user_id, tz)
