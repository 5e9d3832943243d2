"""/peerhour and its buttons and forms: upcoming sessions, RSVPs, DM reminders, calendar files,
and the coordinators' add, edit, move and cancel (the role is checked on every request)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot import events
from bot.blocks import Message, notice
from bot.runtime import Heart
from bot.sessions import blocks, feeds, ics
from bot.sessions import core as sessions
from bot.sessions.core import GOING, NOT_GOING, SessionError
from bot.sessions.form import InvalidForm, SessionForm, check_edit, check_form, check_new_time, check_note
from bot.text import escape
from handlers import ack_budget
from handlers.common import after_ack, coordinator_click, heart_of, utc_now
from handlers.direct import dm, send_files
from handlers.home import publish_home
from handlers.payloads import Click, Command, Submission

log = logging.getLogger(__name__)

UPCOMING = 5
COORDINATORS_ONLY = "Only coordinators can add, edit, move or cancel sessions. Type `/peerhour` to see what's coming up."
UNKNOWN = "`/peerhour` shows the next sessions; `/peerhour help` says more."
SAVING = "Saving… the database is busy for a moment. This form will show the outcome as soon as it's saved."


def register(app: App) -> None:
    """Listen for /peerhour, its buttons and its forms."""
    app.command("/peerhour")(peerhour_command)
    app.action(re.compile(rf"^({blocks.GOING_ACTION}|{blocks.NOT_GOING_ACTION})$"))(rsvp_clicked)
    app.action(re.compile(rf"^({blocks.SUBSCRIBE_ACTION}|{blocks.UNSUBSCRIBE_ACTION})$"))(subscription_clicked)
    app.action(re.compile(rf"^({blocks.REMIND_SESSION_ACTION}|{blocks.UNREMIND_SESSION_ACTION})$"))(session_reminder_clicked)
    app.action(blocks.STOP_DM_ACTION)(stop_dm_clicked)
    app.action(blocks.PROMPT_DM_ACTION)(prompt_setting_clicked)
    app.action(blocks.FEED_NEW_ACTION)(feed_new_clicked)
    app.action(blocks.FEED_OFF_ACTION)(feed_off_clicked)
    app.action(blocks.CALENDAR_ACTION)(calendar_clicked)
    app.action(re.compile(rf"^{blocks.LINK_ACTION}"))(link_clicked)
    app.action(blocks.ADD_ACTION)(add_clicked)
    app.action(blocks.MANAGE_ACTION)(manage_chosen)
    app.view(blocks.ADD_CALLBACK)(add_submitted)
    app.view(blocks.MOVE_CALLBACK)(move_submitted)
    app.view(blocks.EDIT_CALLBACK)(edit_submitted)
    app.view(blocks.CANCEL_CALLBACK)(cancel_submitted)


def peerhour_command(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    """/peerhour: the next sessions, help, or (coordinators) the add form."""
    heart = heart_of(context)
    request = Command.from_payload(command)
    coordinator = heart.is_coordinator(request.user_id)
    if request.verb in ("", "next", "list", "upcoming"):
        heart.record(events.Event(events.PEERHOUR_VIEW, request.user_id))
        ack(upcoming_message(heart, request.user_id, coordinator).to_dict())
    elif request.verb == "help":
        ack(blocks.help_message(coordinator).to_dict())
    elif request.verb == "add":
        if not coordinator:
            ack(notice(COORDINATORS_ONLY).to_dict())
            return
        ack()
        after_ack(context, command, lambda: client.views_open(trigger_id=request.trigger_id, view=_add_view(heart)))
    else:
        ack(notice(f"I don't know *{escape(request.verb[:40])}*. {UNKNOWN}").to_dict())


def rsvp_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Going / Can't make it: record the answer and show it where the member clicked (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _answer_rsvp(heart, click, client, respond))


def subscription_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Remind me by DM / Stop DM reminders for a series (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _subscribe(heart, click, client, respond))


def calendar_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Add to calendar: the .ics file by DM and a Google Calendar link (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _send_calendar(heart, click, client, respond))


def link_clicked(ack: Ack) -> None:
    """The join link: the member's browser opens it; Slack still tells the app."""
    ack()  # the member's browser opens the link; Slack still tells the app


def add_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """A coordinator's Add session button: the add form (after the ack)."""
    ack()
    heart = heart_of(context)
    after_ack(context, body, lambda: _open_add_form(heart, action, body, client, respond))


def manage_chosen(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """A coordinator's edit, move or cancel menu on a session: its form (after the ack)."""
    ack()
    heart = heart_of(context)
    after_ack(context, body, lambda: _open_manage_form(heart, action, body, client, respond))


# ----------------------------------------------------------------------------- after the ack


def _answer_rsvp(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    response = GOING if click.action_id == blocks.GOING_ACTION else NOT_GOING
    try:
        occurrence = sessions.set_rsvp(heart.store, click.value, click.user_id, response, now=utc_now())
    except SessionError as error:
        _tell(client, respond, click, str(error))
        return
    heart.record(events.Event(events.RSVP, click.user_id, occurrence.id, response))
    if scheduler := heart.scheduler:
        scheduler.rsvps_changed(occurrence.id)
    _refresh(heart, client, respond, click, blocks.answered_message(occurrence, response))


def _subscribe(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    subscribed = click.action_id == blocks.SUBSCRIBE_ACTION
    try:
        series = sessions.set_subscription(heart.store, click.value, click.user_id, subscribed, now=utc_now())
    except SessionError as error:
        _tell(client, respond, click, str(error))
        return
    heart.record(events.Event(events.SUBSCRIBE if subscribed else events.UNSUBSCRIBE, click.user_id, series.id))
    _refresh(heart, client, respond, click, blocks.subscribed_message(series, subscribed))


def session_reminder_clicked(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """Remind me: this session / Stop reminders for this session."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    on = click.action_id == blocks.REMIND_SESSION_ACTION
    try:
        occurrence = sessions.set_session_reminder(heart.store, click.value, click.user_id, on, now=utc_now())
    except SessionError as error:
        _tell(client, respond, click, str(error))
        return
    heart.record(events.Event(events.SUBSCRIBE if on else events.UNSUBSCRIBE, click.user_id, occurrence.series_id, "session"))
    series = sessions.get_series(heart.store, occurrence.series_id)
    offsets = series.reminder_offsets if series else ()
    _refresh(heart, client, respond, click, blocks.session_reminder_message(occurrence, offsets, on))


def stop_dm_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """A reminder DM's Stop DM reminders: none for the series any more, whichever way they were asked for."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    try:
        series = sessions.stop_all_reminders(heart.store, click.value, click.user_id)
    except SessionError as error:
        _tell(client, respond, click, str(error))
        return
    heart.record(events.Event(events.UNSUBSCRIBE, click.user_id, series.id))
    _refresh(heart, client, respond, click, blocks.stopped_message(series))


def prompt_setting_clicked(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """The share-out prompt by DM, on or off (Home, or the prompt DM itself)."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    on = click.value == "on"
    sessions.set_prompts_by_dm(heart.store, click.user_id, on, now=utc_now())
    _refresh(heart, client, respond, click, blocks.prompt_setting_message(on))


def feed_new_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """A new private calendar feed: its address by DM (the only time it is shown), Home redrawn."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    public_url = heart.settings.public_url
    if not public_url:
        _tell(client, respond, click, "Calendar subscriptions aren't set up on this heart-bot yet: ask a coordinator.")
        return
    token = feeds.make_member_feed(heart.store, click.user_id, now=utc_now())
    dm(
        client,
        click.user_id,
        blocks.feed_made_message(
            feeds.webcal_url(public_url, token), feeds.feed_url(public_url, token), feeds.google_add_by_url(public_url, token)
        ),
    )
    publish_home(client, heart, click.user_id)


def feed_off_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Turn off the member's calendar feed: its address answers 404 from now on."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    feeds.revoke_member_feed(heart.store, click.user_id)
    _refresh(heart, client, respond, click, blocks.feed_off_message())


def _send_calendar(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    occurrence = sessions.get_occurrence(heart.store, click.value)
    if occurrence is None or not occurrence.live:
        _tell(client, respond, click, "That session is no longer on the calendar. Type `/peerhour` to see what's coming up.")
        return
    google = ics.google_calendar_url(occurrence)
    sent = _send_calendar_file(heart, client, click.user_id, occurrence, google)
    if respond.response_url:
        respond(blocks.calendar_message(occurrence, google, sent).to_response())


def _open_add_form(heart: Heart, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
    if click := coordinator_click(heart, action, body, lambda refused: _tell(client, respond, refused, COORDINATORS_ONLY)):
        client.views_open(trigger_id=click.trigger_id, view=_add_view(heart, metadata=_surface(click)))


def _open_manage_form(heart: Heart, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
    click = coordinator_click(heart, action, body, lambda refused: _tell(client, respond, refused, COORDINATORS_ONLY))
    if click is None:
        return
    verb, _, occurrence_id = click.value.partition("|")
    occurrence = sessions.get_occurrence(heart.store, occurrence_id)
    forms = {blocks.EDIT: blocks.edit_view, blocks.MOVE: blocks.move_view, blocks.CANCEL: blocks.cancel_view}
    if occurrence is None or not occurrence.live or verb not in forms:
        _tell(client, respond, click, "That session can no longer be changed. Type `/peerhour` to see what's coming up.")
        return
    metadata = f"{_surface(click)}|{occurrence.id}"
    client.views_open(trigger_id=click.trigger_id, view=forms[verb](occurrence, metadata=metadata))


def add_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The add form: check it, save the series, and confirm in place of the form."""
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    if not heart.is_coordinator(submission.user_id):
        ack(response_action="errors", errors={"title": COORDINATORS_ONLY})
        return
    now = utc_now()
    try:
        checked = check_form(_form(submission), now=now, default_timezone=heart.settings.timezone)
    except InvalidForm as invalid:
        ack(response_action="errors", errors=invalid.problems)
        return
    answer = ack_budget.FormAnswer(ack, client, submission.view_id, context, body)
    adding = ack_budget.start(
        lambda: sessions.add_series(heart.store, checked.series, now=now, created_by=submission.user_id, topic=checked.topic)
    )

    def added() -> None:
        try:
            series = adding.result()
        except SessionError as error:
            answer.errors({"date": str(error)}, lambda problem: blocks.done_view("Session not added", escape(problem)))
            return
        coming = sessions.upcoming(heart.store, now, limit=200, series_id=series.id)
        text = blocks.added_text(series, coming[0] if coming else None, len(coming), notes=checked.notes)
        answer.show(blocks.done_view("Session added", text))
        log.info("series %s added by %s", series.id, submission.user_id)
        answer.later(lambda: _after_change(heart, client, submission, None))

    answer.when_written(adding, blocks.done_view("Adding the session", SAVING), added)


def move_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The move form: the session moved, and everyone going told."""
    heart = heart_of(context)

    def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
        occurrence = sessions.get_occurrence(heart.store, occurrence_id)
        start = check_new_time(
            submission.picked("date", "selected_date"),
            submission.picked("time", "selected_time"),
            occurrence.timezone if occurrence else None,
        )
        note = check_note(submission.text("note"))
        return sessions.move_occurrence(heart.store, occurrence_id, start, by=submission.user_id, now=utc_now(), note=note)

    _change_submitted(
        context, ack, body, client, change, "Session moved", "moved to {when}. The channel and everyone going are told."
    )


def edit_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The edit form: the session's topic and join link."""
    heart = heart_of(context)

    def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
        topic, link = check_edit(submission.text("topic"), submission.text("link"))
        return sessions.edit_occurrence(
            heart.store, occurrence_id, topic=topic, join_url=link, by=submission.user_id, now=utc_now()
        )

    _change_submitted(context, ack, body, client, change, "Session updated", "on {when} is updated.")


def cancel_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The cancel form: the session cancelled, and everyone going told."""
    heart = heart_of(context)

    def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
        note = check_note(submission.text("note"))
        return sessions.cancel_occurrence(heart.store, occurrence_id, by=submission.user_id, now=utc_now(), reason=note)

    _change_submitted(
        context,
        ack,
        body,
        client,
        change,
        "Session cancelled",
        "on {when} is cancelled. The channel and everyone going are told.",
    )


# ----------------------------------------------------------------------------- helpers


def upcoming_message(heart: Heart, user_id: str, coordinator: bool) -> Message:
    """The next sessions as ``user_id`` sees them."""
    found = sessions.upcoming(heart.store, utc_now(), limit=UPCOMING)
    return blocks.upcoming_message(sessions.member_views(heart.store, found, user_id), coordinator=coordinator)


def _surface(click: Click) -> str:
    """Where the click came from: the /peerhour list, a post or DM, or the Home tab."""
    surface = click.block_id.split("|", 1)[0]
    return surface if surface in (blocks.LIST, blocks.POST, blocks.HOME) else blocks.POST


def _refresh(heart: Heart, client: WebClient, respond: Respond, click: Click, answer: Message) -> None:
    """Show the member the result where they clicked: the list redrawn, the Home tab republished,
    or a private answer beside a channel post or DM."""
    surface = _surface(click)
    if surface == blocks.HOME or not respond.response_url:
        publish_home(client, heart, click.user_id)
    elif surface == blocks.LIST:
        respond(upcoming_message(heart, click.user_id, heart.is_coordinator(click.user_id)).to_response(replace_original=True))
    else:
        respond(answer.to_response())


def _tell(client: WebClient, respond: Respond, click: Click, text: str) -> None:
    """A private note to the member who clicked: beside the message, or by DM from the Home tab."""
    if respond.response_url:
        respond(notice(text).to_response())
    else:
        dm(client, click.user_id, notice(text))


def _send_calendar_file(
    heart: Heart, client: WebClient, user_id: str, occurrence: sessions.Occurrence, google_url: str
) -> bool:
    """DM the member the session's .ics file; False if Slack refused."""
    try:
        calendar_file = {
            "content": ics.ics(occurrence, deployment=sessions.deployment_uid(heart.store)),
            "filename": ics.ics_filename(occurrence),
            "title": f"{occurrence.title} ({blocks.local_text(occurrence)})",
        }
        send_files(client, user_id, [calendar_file], blocks.calendar_file_comment(occurrence, google_url))
    except SlackApiError as error:
        log.warning("could not send the calendar file of %s to %s: %s", occurrence.id, user_id, error.response.get("error"))
        return False
    return True


def _add_view(heart: Heart, *, metadata: str = blocks.LIST) -> View:
    """The add form: a week from today at 3:30 pm in the home zone, reminders a day and 15 minutes before."""
    settings = heart.settings
    today = utc_now().astimezone(settings.tz).date()
    a_week_on = (today + timedelta(days=7)).isoformat()
    form = SessionForm(date=a_week_on, time="15:30", timezone=settings.timezone)
    return blocks.add_session_view(form, channel_id=settings.peerhour_channel, metadata=metadata)


def _form(submission: Submission) -> SessionForm:
    return SessionForm(
        title=submission.text("title"),
        date=submission.picked("date", "selected_date"),
        time=submission.picked("time", "selected_time"),
        timezone=submission.choice("timezone") or "",
        duration=submission.choice("duration") or "60",
        repeat=submission.choice("repeat") or "once",
        until=submission.picked("until", "selected_date"),
        count=submission.text("count"),
        channel=submission.picked("channel", "selected_conversation"),
        link=submission.text("link"),
        topic=submission.text("topic"),
        description=submission.text("description"),
        facilitator=submission.text("facilitator"),
        reminders=",".join(submission.choices("reminders")),
    )


Change = Callable[[Submission, str], sessions.Occurrence]


def _change_submitted(
    context: BoltContext, ack: Ack, body: dict, client: WebClient, change: Change, title: str, done: str
) -> None:
    """Check the role, apply ``change`` (edit, move or cancel), and confirm in place of the form."""
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    surface, _, occurrence_id = submission.private_metadata.partition("|")
    first_field = next(iter(submission.values), "note")
    if not heart.is_coordinator(submission.user_id):
        ack(response_action="errors", errors={first_field: COORDINATORS_ONLY})
        return
    answer = ack_budget.FormAnswer(ack, client, submission.view_id, context, body)
    changing = ack_budget.start(lambda: change(submission, occurrence_id))
    not_changed = f"{title.split()[0]} not {title.split()[-1]}"  # "Session not moved"

    def changed() -> None:
        try:
            occurrence = changing.result()
        except InvalidForm as invalid:
            answer.errors(invalid.problems, lambda problem: blocks.done_view(not_changed, escape(problem)))
            return
        except SessionError as error:
            answer.errors({first_field: str(error)}, lambda problem: blocks.done_view(not_changed, escape(problem)))
            return
        text = f"*{escape(occurrence.title)}* " + done.format(when=blocks.when(occurrence))
        answer.show(blocks.done_view(title, text))
        log.info("%s: %s by %s", title.lower(), occurrence.id, submission.user_id)
        if scheduler := heart.scheduler:
            scheduler.rsvps_changed(occurrence.id)
        answer.later(lambda: _after_change(heart, client, submission, surface))

    answer.when_written(changing, blocks.done_view("Saving", SAVING), changed)


def _after_change(heart: Heart, client: WebClient, submission: Submission, surface: str | None) -> None:
    if scheduler := heart.scheduler:
        scheduler.changed()  # notices and new reminders go out without waiting for the next round
    if (surface or submission.private_metadata.split("|", 1)[0]) == blocks.HOME:
        publish_home(client, heart, submission.user_id)
