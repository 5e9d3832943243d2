"""/peerhour and its buttons and forms: upcoming sessions, RSVPs, DM reminders, calendar files,
and the coordinators' add, edit, move and cancel (the role is checked on every request)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot import events
from bot.blocks import Message, notice
from bot.runtime import Heart
from bot.sessions import blocks as views
from bot.sessions import core as sessions
from bot.sessions import ics as calendar
from bot.sessions.core import GOING, NOT_GOING, SessionError
from bot.sessions.form import InvalidForm, SessionForm, check_edit, check_form, check_new_time, check_note
from bot.sessions.scheduler import scheduler_of
from bot.text import escape
from handlers import ack_budget
from handlers.direct import dm, send_files
from handlers.home import publish_home
from handlers.payloads import Click, Command, Submission

log = logging.getLogger(__name__)

UPCOMING = 5
COORDINATORS_ONLY = "Only coordinators can add, edit, move or cancel sessions. Type `/peerhour` to see what's coming up."
UNKNOWN = "`/peerhour` shows the next sessions; `/peerhour help` says more."
SAVING = "Saving… the database is busy for a moment. This form will show the outcome as soon as it's saved."


def _now() -> datetime:
    return datetime.now(UTC)


def register(app: App, heart: Heart) -> None:
    """Listen for /peerhour, its buttons and its forms."""

    @app.command("/peerhour")
    def peerhour_command(ack: Ack, command: dict, client: WebClient) -> None:
        request = Command.from_payload(command)
        coordinator = heart.is_coordinator(request.user_id)
        if request.verb in ("", "next", "list", "upcoming"):
            heart.record(events.Event(events.PEERHOUR_VIEW, request.user_id))
            ack(upcoming_message(heart, request.user_id, coordinator).to_dict())
        elif request.verb == "help":
            ack(views.help_message(coordinator).to_dict())
        elif request.verb == "add":
            if not coordinator:
                ack(notice(COORDINATORS_ONLY).to_dict())
                return
            ack()
            client.views_open(trigger_id=request.trigger_id, view=_add_view(heart))
        else:
            ack(notice(f"I don't know *{escape(request.verb[:40])}*. {UNKNOWN}").to_dict())

    @app.action(re.compile(rf"^({views.GOING_ACTION}|{views.NOT_GOING_ACTION})$"))
    def rsvp_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        click = Click.from_payload(action, body)
        response = GOING if click.action_id == views.GOING_ACTION else NOT_GOING
        try:
            occurrence = sessions.set_rsvp(heart.store, click.value, click.user_id, response, now=_now())
        except SessionError as error:
            _tell(client, respond, click, str(error))
            return
        heart.record(events.Event(events.RSVP, click.user_id, occurrence.id, response))
        if scheduler := scheduler_of(heart):
            scheduler.rsvps_changed(occurrence.id)
        _refresh(heart, client, respond, click, views.answered_message(occurrence, response))

    @app.action(re.compile(rf"^({views.SUBSCRIBE_ACTION}|{views.UNSUBSCRIBE_ACTION})$"))
    def subscription_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        click = Click.from_payload(action, body)
        subscribed = click.action_id == views.SUBSCRIBE_ACTION
        try:
            series = sessions.set_subscription(heart.store, click.value, click.user_id, subscribed, now=_now())
        except SessionError as error:
            _tell(client, respond, click, str(error))
            return
        heart.record(events.Event(events.SUBSCRIBE if subscribed else events.UNSUBSCRIBE, click.user_id, series.id))
        _refresh(heart, client, respond, click, views.subscribed_message(series, subscribed))

    @app.action(views.CALENDAR_ACTION)
    def calendar_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        click = Click.from_payload(action, body)
        occurrence = sessions.get_occurrence(heart.store, click.value)
        if occurrence is None or not occurrence.live:
            _tell(client, respond, click, "That session is no longer on the calendar. Type `/peerhour` to see what's coming up.")
            return
        google = calendar.google_calendar_url(occurrence)
        sent = _send_calendar_file(client, click.user_id, occurrence, google)
        if respond.response_url:
            respond(views.calendar_message(occurrence, google, sent).to_response())

    @app.action(re.compile(rf"^{views.LINK_ACTION}"))
    def link_clicked(ack: Ack) -> None:
        ack()  # the member's browser opens the link; Slack still tells the app

    @app.action(views.ADD_ACTION)
    def add_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        if click := _coordinator_click(heart, client, respond, action, body):
            client.views_open(trigger_id=click.trigger_id, view=_add_view(heart, metadata=_surface(click)))

    @app.action(views.MANAGE_ACTION)
    def manage_chosen(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        click = _coordinator_click(heart, client, respond, action, body)
        if click is None:
            return
        verb, _, occurrence_id = click.value.partition("|")
        occurrence = sessions.get_occurrence(heart.store, occurrence_id)
        forms = {views.EDIT: views.edit_view, views.MOVE: views.move_view, views.CANCEL: views.cancel_view}
        if occurrence is None or not occurrence.live or verb not in forms:
            _tell(client, respond, click, "That session can no longer be changed. Type `/peerhour` to see what's coming up.")
            return
        metadata = f"{_surface(click)}|{occurrence.id}"
        client.views_open(trigger_id=click.trigger_id, view=forms[verb](occurrence, metadata=metadata))

    @app.view(views.ADD_CALLBACK)
    def add_submitted(ack: Ack, body: dict, client: WebClient) -> None:
        submission = Submission.from_payload(body)
        if not heart.is_coordinator(submission.user_id):
            ack(response_action="errors", errors={"title": COORDINATORS_ONLY})
            return
        now = _now()
        try:
            checked = check_form(_form(submission), now=now, default_timezone=heart.settings.timezone)
        except InvalidForm as invalid:
            ack(response_action="errors", errors=invalid.problems)
            return
        answer = ack_budget.FormAnswer(ack, client, submission.view_id)
        adding = ack_budget.start(
            lambda: sessions.add_series(heart.store, checked.series, now=now, created_by=submission.user_id, topic=checked.topic)
        )
        answer.wait(adding, views.done_view("Adding the session", SAVING))
        try:
            series = adding.result()
        except SessionError as error:
            answer.errors({"date": str(error)}, lambda problem: views.done_view("Session not added", escape(problem)))
            return
        coming = sessions.upcoming(heart.store, now, limit=200, series_id=series.id)
        text = views.added_text(series, coming[0] if coming else None, len(coming))
        answer.show(views.done_view("Session added", text))
        log.info("series %s added by %s", series.id, submission.user_id)
        _after_change(heart, client, submission, None)

    @app.view(views.MOVE_CALLBACK)
    def move_submitted(ack: Ack, body: dict, client: WebClient) -> None:
        def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
            start = check_new_time(submission.picked("date", "selected_date"), submission.picked("time", "selected_time"))
            note = check_note(submission.text("note"))
            return sessions.move_occurrence(heart.store, occurrence_id, start, by=submission.user_id, now=_now(), note=note)

        _change_submitted(
            heart, ack, body, client, change, "Session moved", "moved to {when}. The channel and everyone going are told."
        )

    @app.view(views.EDIT_CALLBACK)
    def edit_submitted(ack: Ack, body: dict, client: WebClient) -> None:
        def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
            topic, link = check_edit(submission.text("topic"), submission.text("link"))
            return sessions.edit_occurrence(
                heart.store, occurrence_id, topic=topic, join_url=link, by=submission.user_id, now=_now()
            )

        _change_submitted(heart, ack, body, client, change, "Session updated", "on {when} is updated.")

    @app.view(views.CANCEL_CALLBACK)
    def cancel_submitted(ack: Ack, body: dict, client: WebClient) -> None:
        def change(submission: Submission, occurrence_id: str) -> sessions.Occurrence:
            note = check_note(submission.text("note"))
            return sessions.cancel_occurrence(heart.store, occurrence_id, by=submission.user_id, now=_now(), reason=note)

        _change_submitted(
            heart,
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
    found = sessions.upcoming(heart.store, _now(), limit=UPCOMING)
    return views.upcoming_message(sessions.member_views(heart.store, found, user_id), coordinator=coordinator)


def _surface(click: Click) -> str:
    """Where the click came from: the /peerhour list, a post or DM, or the Home tab."""
    surface = click.block_id.split("|", 1)[0]
    return surface if surface in (views.LIST, views.POST, views.HOME) else views.POST


def _refresh(heart: Heart, client: WebClient, respond: Respond, click: Click, answer: Message) -> None:
    """Show the member the result where they clicked: the list redrawn, the Home tab republished,
    or a private answer beside a channel post or DM."""
    surface = _surface(click)
    if surface == views.HOME or not respond.response_url:
        publish_home(client, heart, click.user_id)
    elif surface == views.LIST:
        respond(upcoming_message(heart, click.user_id, heart.is_coordinator(click.user_id)).to_response(replace_original=True))
    else:
        respond(answer.to_response())


def _coordinator_click(heart: Heart, client: WebClient, respond: Respond, action: dict, body: dict) -> Click | None:
    """The click, if a coordinator made it; otherwise the member is told, and None."""
    click = Click.from_payload(action, body)
    if heart.is_coordinator(click.user_id):
        return click
    _tell(client, respond, click, COORDINATORS_ONLY)
    return None


def _tell(client: WebClient, respond: Respond, click: Click, text: str) -> None:
    """A private note to the member who clicked: beside the message, or by DM from the Home tab."""
    if respond.response_url:
        respond(notice(text).to_response())
    else:
        dm(client, click.user_id, notice(text))


def _send_calendar_file(client: WebClient, user_id: str, occurrence: sessions.Occurrence, google_url: str) -> bool:
    """DM the member the session's .ics file; False if Slack refused."""
    try:
        ics = {
            "content": calendar.ics(occurrence),
            "filename": calendar.ics_filename(occurrence),
            "title": f"{occurrence.title} ({views.local_text(occurrence)})",
        }
        send_files(client, user_id, [ics], views.calendar_file_comment(occurrence, google_url))
    except SlackApiError as error:
        log.warning("could not send the calendar file of %s to %s: %s", occurrence.id, user_id, error.response.get("error"))
        return False
    return True


def _add_view(heart: Heart, *, metadata: str = views.LIST) -> View:
    """The add form: a week from today at 3:30 pm in the home zone, reminders a day and 15 minutes before."""
    settings = heart.settings
    today = _now().astimezone(settings.tz).date()
    a_week_on = (today + timedelta(days=7)).isoformat()
    form = SessionForm(date=a_week_on, time="15:30", timezone=settings.timezone)
    return views.add_session_view(form, channel_id=settings.peerhour_channel, metadata=metadata)


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


def _change_submitted(heart: Heart, ack: Ack, body: dict, client: WebClient, change: Change, title: str, done: str) -> None:
    """Check the role, apply ``change`` (edit, move or cancel), and confirm in place of the form."""
    submission = Submission.from_payload(body)
    surface, _, occurrence_id = submission.private_metadata.partition("|")
    first_field = next(iter(submission.values), "note")
    if not heart.is_coordinator(submission.user_id):
        ack(response_action="errors", errors={first_field: COORDINATORS_ONLY})
        return
    answer = ack_budget.FormAnswer(ack, client, submission.view_id)
    changing = ack_budget.start(lambda: change(submission, occurrence_id))
    answer.wait(changing, views.done_view("Saving", SAVING))
    not_changed = f"{title.split()[0]} not {title.split()[-1]}"  # "Session not moved"
    try:
        occurrence = changing.result()
    except InvalidForm as invalid:
        answer.errors(invalid.problems, lambda problem: views.done_view(not_changed, escape(problem)))
        return
    except SessionError as error:
        answer.errors({first_field: str(error)}, lambda problem: views.done_view(not_changed, escape(problem)))
        return
    text = f"*{escape(occurrence.title)}* " + done.format(when=views.when(occurrence))
    answer.show(views.done_view(title, text))
    log.info("%s: %s by %s", title.lower(), occurrence.id, submission.user_id)
    if scheduler := scheduler_of(heart):
        scheduler.rsvps_changed(occurrence.id)
    _after_change(heart, client, submission, surface)


def _after_change(heart: Heart, client: WebClient, submission: Submission, surface: str | None) -> None:
    if scheduler := scheduler_of(heart):
        scheduler.changed()  # notices and new reminders go out without waiting for the next round
    if (surface or submission.private_metadata.split("|", 1)[0]) == views.HOME:
        publish_home(client, heart, submission.user_id)
