"""Block Kit for sessions: the upcoming list, reminders and notices, and the coordinators' forms.

Every time is Slack's ``<!date^...>`` token, which each reader's Slack shows in their own
time zone; the fallback (old clients, notifications) is written in the series' zone. Text a
coordinator typed (titles, topics, notes) is escaped before it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    NumberInputElement,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.blocks import Message, actions, button, context, header, section
from bot.sessions.core import GOING, NOT_GOING, Counts, Occurrence, Series, SessionView
from bot.sessions.form import (
    MAX_DESCRIPTION,
    MAX_FACILITATOR,
    MAX_LINK,
    MAX_TITLE,
    MAX_TOPIC,
    REPEATS,
    SessionForm,
    describe_offset,
    parse_offsets,
)
from bot.sessions.recurrence import clock
from bot.text import escape, truncate

GOING_ACTION = "peerhour_going"  # value: occurrence id
NOT_GOING_ACTION = "peerhour_not_going"  # value: occurrence id
SUBSCRIBE_ACTION = "peerhour_subscribe"  # value: series id
UNSUBSCRIBE_ACTION = "peerhour_unsubscribe"  # value: series id
REMIND_SESSION_ACTION = "peerhour_remind_session"  # value: occurrence id; DM reminders for this session only
UNREMIND_SESSION_ACTION = "peerhour_unremind_session"  # value: occurrence id
STOP_DM_ACTION = "peerhour_stop_dm"  # value: series id; a reminder DM's footer: every reminder of the series off
CALENDAR_ACTION = "peerhour_calendar"  # value: occurrence id
LINK_ACTION = "peerhour_link"  # prefix of link buttons (Slack still sends a click: it is only acknowledged)
MANAGE_ACTION = "peerhour_manage"  # overflow; option values "<verb>|<occurrence id>"
ADD_ACTION = "peerhour_add"
FEED_NEW_ACTION = "peerhour_feed_new"  # a new private calendar feed address, by DM
FEED_OFF_ACTION = "peerhour_feed_off"  # the member's feed turned off
PROMPT_DM_ACTION = "peerhour_prompt_dm"  # value: on | off; the share-out prompt by DM after a session
SHAREOUT_OPEN_ACTION = "shareout_open"  # value: occurrence id; the share-outs feature opens its form
ADD_CALLBACK = "peerhour_add"
MOVE_CALLBACK = "peerhour_move"
EDIT_CALLBACK = "peerhour_edit"
CANCEL_CALLBACK = "peerhour_cancel"
DONE_CALLBACK = "peerhour_done"
EDIT, MOVE, CANCEL = "edit", "move", "cancel"
# Where a session card is shown: the block id starts with it, so a click knows what to refresh.
LIST, POST, HOME = "ph_list", "ph_post", "ph_home"
TIMEZONES = {
    "America/New_York": "Eastern (New York)",
    "America/Chicago": "Central (Chicago)",
    "America/Denver": "Mountain (Denver)",
    "America/Phoenix": "Arizona (Phoenix)",
    "America/Los_Angeles": "Pacific (Los Angeles)",
    "America/Anchorage": "Alaska (Anchorage)",
    "Pacific/Honolulu": "Hawaii (Honolulu)",
    "America/Puerto_Rico": "Atlantic (Puerto Rico)",
    "UTC": "UTC",
}
DURATIONS = (30, 45, 60, 90, 120)
REMINDER_CHOICES = (10080, 1440, 60, 15)
REMINDER_HINT = (
    "Times are shown in your own time zone. *Remind me* sends you a session's reminders by DM: "
    "for that session only, or for every session of its series."
)
PAST_TENSE = {GOING: "going", NOT_GOING: "not able to make it"}
MAX_CARD_DESCRIPTION = 300  # a session card shows the start of its description; the calendar entry has it all


# ----------------------------------------------------------------------------- pieces


def _date_token(at: datetime, template: str, fallback: str) -> str:
    return f"<!date^{int(at.timestamp())}^{template}|{fallback}>"


def moment(at: datetime, timezone_name: str) -> str:
    """One moment as a date token: "today at 3:30 PM" in the reader's zone (fallback in ``timezone_name``)."""
    local = at.astimezone(ZoneInfo(timezone_name))
    return _date_token(at, "{date_short_pretty} at {time}", f"{local:%a, %b} {local.day} at {clock(local)} {local.tzname()}")


def when(occurrence: Occurrence) -> str:
    """Start and end as Slack date tokens: each reader sees their own zone. The fallback names the
    series' zone once, after the end (``Tue, Dec 8 at 3:30 PM–4:30 PM EST``), or twice only when
    the clocks change during the session."""
    start = occurrence.starts_at.astimezone(occurrence.tz)
    end = occurrence.ends_at.astimezone(occurrence.tz)
    start_zone = f" {start.tzname()}" if start.tzname() != end.tzname() else ""
    start_text = f"{start:%a, %b} {start.day} at {clock(start)}{start_zone}"
    start_token = _date_token(occurrence.starts_at, "{date_short_pretty} at {time}", start_text)
    return f"{start_token}–{_date_token(end, '{time}', f'{clock(end)} {end.tzname()}')}"


def running(occurrence: Occurrence, now: datetime) -> bool:
    """True while the session is on: started and not yet over."""
    return occurrence.live and occurrence.starts_at <= now < occurrence.ends_at


def local_text(occurrence: Occurrence) -> str:
    """The start as plain text in the series' zone: ``Tue, Dec 8, 3:30 PM EST`` (menus, titles, the CLI)."""
    start = occurrence.starts_at.astimezone(occurrence.tz)
    return f"{start:%a, %b} {start.day}, {clock(start)} {start.tzname()}"


def details(occurrence: Occurrence, *, lead: str = "") -> str:
    """Title, time, topic and facilitator, as mrkdwn (the join link is the Join button beside it,
    shown once)."""
    title = escape(occurrence.title)
    lines = [f"{lead}*{title}*" if occurrence.live else f"{lead}~{title}~ *Cancelled*", f":calendar: {when(occurrence)}"]
    if occurrence.topic:
        lines.append(f"*Topic:* {escape(occurrence.topic)}")
    if occurrence.facilitator:
        lines.append(f"*Facilitator:* {escape(occurrence.facilitator)}")
    if occurrence.status == "moved" and occurrence.previous_starts_at:
        lines.append(f"_Moved from {moment(occurrence.previous_starts_at, occurrence.timezone)}._")
    return "\n".join(lines)


def counts_text(counts: Counts) -> str:
    """``3 going · 1 can't make it``."""
    text = f":busts_in_silhouette: {counts.going} going"
    return text + (f" · {counts.not_going} can't make it" if counts.not_going else "")


def _rsvp_buttons(occurrence: Occurrence, response: str | None) -> list[ButtonElement]:
    return [
        button(
            "✓ Going" if response == GOING else "Going",
            GOING_ACTION,
            occurrence.id,
            style="primary" if response == GOING else None,
        ),
        button("✓ Can't make it" if response == NOT_GOING else "Can't make it", NOT_GOING_ACTION, occurrence.id),
    ]


def _join_button(occurrence: Occurrence, *, now_on: bool = False) -> list[ButtonElement]:
    if not occurrence.join_url or not occurrence.live:
        return []
    if now_on:
        return [button("Join now", f"{LINK_ACTION}:join", url=occurrence.join_url, style="primary")]
    return [button("Join", f"{LINK_ACTION}:join", url=occurrence.join_url)]


def _manage_menu(occurrence: Occurrence) -> OverflowMenuElement:
    choices = ((EDIT, "Edit topic or link"), (MOVE, "Move"), (CANCEL, "Cancel session"))
    return OverflowMenuElement(
        action_id=MANAGE_ACTION,
        options=[Option(value=f"{verb}|{occurrence.id}", text=PlainTextObject(text=label)) for verb, label in choices],
    )


def _reminder_state(view: SessionView) -> str:
    if view.subscribed:
        return "DM reminders: every session of this series" if view.repeats else "DM reminders: on"
    if view.reminded:
        return "DM reminders: this session only" if view.repeats else "DM reminders: on"
    return "No DM reminders"


def _reminder_buttons(view: SessionView) -> list[ButtonElement]:
    """The DM reminder choice the member means: this session, or every session of a series."""
    occurrence = view.occurrence
    every = button("Remind me: every session", SUBSCRIBE_ACTION, occurrence.series_id)
    if view.subscribed:
        return [button("Stop DM reminders", UNSUBSCRIBE_ACTION, occurrence.series_id)]
    if view.reminded:
        label = "Stop reminders for this session" if view.repeats else "Stop DM reminders"
        return [button(label, UNREMIND_SESSION_ACTION, occurrence.id), *([every] if view.repeats else [])]
    if not view.repeats:
        return [button("Remind me by DM", REMIND_SESSION_ACTION, occurrence.id)]
    return [button("Remind me: this session", REMIND_SESSION_ACTION, occurrence.id), every]


def session_blocks(
    view: SessionView, *, surface: str, coordinator: bool = False, now: datetime | None = None, describe: bool = True
) -> list[Block]:
    """One session for a member: details, counts and their answer, and its buttons. A session
    running at ``now`` is marked so, with its Join button first. ``describe``: with the start of
    its series' description (a list shows it once a series)."""
    occurrence = view.occurrence
    now_on = running(occurrence, now or datetime.now(UTC))
    state = [counts_text(view.counts)]
    if view.response:
        state.append(f"You're {PAST_TENSE[view.response]}")
    state.append(_reminder_state(view))
    if now_on:  # a member looking now wants in, not to RSVP
        elements: list = [*_join_button(occurrence, now_on=True), *_rsvp_buttons(occurrence, view.response)]
    else:
        elements = [*_rsvp_buttons(occurrence, view.response), *_reminder_buttons(view)]
    elements.append(button("Add to calendar", CALENDAR_ACTION, occurrence.id))
    if not now_on:
        elements += _join_button(occurrence)
    blocks: list[Block] = [section(details(occurrence, lead=":large_green_circle: *Happening now* · " if now_on else ""))]
    if describe and occurrence.description:
        blocks.append(context(escape(truncate(occurrence.description.strip(), MAX_CARD_DESCRIPTION))))
    blocks.append(context(" · ".join(state)))
    if coordinator:
        elements.append(_manage_menu(occurrence))
        if occurrence.channel_problem:
            blocks.append(
                context(
                    f":warning: heart-bot can't post in <#{occurrence.channel_id}> (`{occurrence.channel_problem}`): invite it."
                )
            )
    return [*blocks, actions(elements, block_id=f"{surface}|{occurrence.id}")]


def upcoming_blocks(
    views: Sequence[SessionView], *, surface: str, coordinator: bool, now: datetime | None = None
) -> list[Block]:
    """The upcoming sessions (one running at ``now`` marked so), divided, with an Add button for coordinators."""
    blocks: list[Block] = []
    described: set[str] = set()
    for index, view in enumerate(views):
        if index:
            blocks.append(DividerBlock())
        first = view.occurrence.series_id not in described
        described.add(view.occurrence.series_id)
        blocks += session_blocks(view, surface=surface, coordinator=coordinator, now=now, describe=first)
    if not views:
        blocks.append(section("No sessions are scheduled right now. Coordinators announce new ones in the channel."))
    if coordinator:
        blocks.append(actions([button("Add session", ADD_ACTION, style="primary")], block_id=f"{surface}|add"))
    return blocks


def upcoming_message(views: Sequence[SessionView], *, coordinator: bool) -> Message:
    """``/peerhour``: the next sessions, only for the one who asked."""
    text = "Upcoming peer support hours" if views else "No peer support hours are scheduled right now."
    blocks: list[Block] = [
        header("Upcoming peer support hours"),
        context(REMINDER_HINT),
        *upcoming_blocks(views, surface=LIST, coordinator=coordinator),
    ]
    if coordinator:
        blocks.append(context("Coordinators: use a session's ⋯ menu to edit, move or cancel it."))
    return Message(text=text, blocks=blocks)


def help_message(coordinator: bool) -> Message:
    """``/peerhour help``."""
    lines = [
        "*Peer support hours*",
        "`/peerhour` shows the next sessions in your time zone, with buttons to RSVP, get reminders by DM, and add a "
        "session to your calendar. The bot's *Home* tab shows them too.",
    ]
    if coordinator:
        lines.append(
            "*For coordinators:* `/peerhour add` schedules a session or a series; each session's ⋯ menu edits, moves or "
            "cancels it (the channel and everyone going are told). At a terminal: `python -m bot sessions --help`."
        )
    return Message(text=lines[1], blocks=[section("\n".join(lines))])


def answered_message(occurrence: Occurrence, response: str) -> Message:
    """The private reply to an RSVP in a channel post or DM."""
    if response == GOING:
        text = f"You're going to *{escape(occurrence.title)}*, {when(occurrence)}. See you there!"
    else:
        text = f"Thanks for letting us know you can't make *{escape(occurrence.title)}*. You can change your answer any time."
    buttons = [button("Add to calendar", CALENDAR_ACTION, occurrence.id)] if response == GOING else []
    return Message(text=text, blocks=[section(text), *([actions(buttons)] if buttons else [])])


def _offsets_text(series_offsets: Sequence[int]) -> str:
    return ", ".join(describe_offset(m) for m in series_offsets) or "the start"


def subscribed_message(series: Series, subscribed: bool) -> Message:
    """The private reply to Remind me: every session / Stop DM reminders (a whole series)."""
    title = escape(series.title)
    if subscribed:
        text = (
            f"DM reminders are on for *every session* of *{title}* ({_offsets_text(series.reminder_offsets)} before "
            "each). Turn them off any time from `/peerhour` or your Home tab."
        )
    else:
        text = f"DM reminders are off for every session of *{title}*: you won't get DM reminders for it any more."
    return Message(text=text, blocks=[section(text)])


def session_reminder_message(occurrence: Occurrence, offsets: Sequence[int], on: bool) -> Message:
    """The private reply to Remind me: this session / Stop reminders for this session."""
    title = escape(occurrence.title)
    if on:
        text = (
            f"DM reminders are on for *{title}* on {moment(occurrence.starts_at, occurrence.timezone)} only "
            f"({_offsets_text(offsets)} before). Other sessions of the series don't remind you unless you ask."
        )
    else:
        text = f"DM reminders are off for *{title}* on {moment(occurrence.starts_at, occurrence.timezone)}."
    return Message(text=text, blocks=[section(text)])


def stopped_message(series: Series) -> Message:
    """The private reply to a reminder DM's Stop DM reminders: none for the series any more."""
    text = f"You won't get DM reminders for *{escape(series.title)}* any more, for this session or any other."
    return Message(text=text, blocks=[section(text)])


def calendar_message(occurrence: Occurrence, google_url: str, sent_file: bool) -> Message:
    """The private reply to Add to calendar: where the file went, and a Google Calendar link."""
    lead = (
        "I sent you a calendar file (.ics) by DM: open it to add the session to Outlook, Apple Calendar or others."
        if sent_file
        else ("I couldn't send the calendar file just now.")
    )
    text = f"{lead} For Google Calendar, use the button."
    link = button("Google Calendar", f"{LINK_ACTION}:google", url=google_url)
    return Message(text=text, blocks=[section(f"*{escape(occurrence.title)}*, {when(occurrence)}\n{text}"), actions([link])])


def calendar_file_comment(occurrence: Occurrence, google_url: str) -> str:
    """The words beside the .ics file in the member's DM."""
    return f"Open the file to add *{escape(occurrence.title)}* to your calendar, or <{google_url}|add it to Google Calendar>."


def setup_blocks(needing: Sequence[tuple[Series, Sequence[str]]]) -> list[Block]:
    """For coordinators: each series that will remind people but lacks a join link or a channel."""
    if not needing:
        return []
    lines = [f":warning: *{escape(series.title)}* (`{series.id}`) {escape(gap)}" for series, gaps in needing for gap in gaps]
    return [header("Sessions that need a link or a channel"), section("\n".join(lines))]


def feed_home_blocks(
    *, member_since: datetime | None, series_links: Sequence[tuple[Series, str, str]]
) -> list[Block]:
    """Home: calendar subscriptions. The member's own feed (on since when, a new address, off)
    and each series' public one (``series_links``: the series, its webcal and Google links)."""
    if member_since:
        mine = (
            f"Your own calendar feed is *on* (made {member_since:%b} {member_since.day}, {member_since.year}): your calendar "
            "app shows the sessions you said Going to or asked reminders for, and follows moves and cancellations. "
            "Its address is private: anyone who has it can see which sessions you go to."
        )
        buttons = [
            button("New address (the old one stops)", FEED_NEW_ACTION, "new"),
            button("Turn off my feed", FEED_OFF_ACTION, "off"),
        ]
    else:
        mine = (
            "*Subscribe in your calendar app:* one private address with the sessions you said Going to or asked "
            "reminders for. Your calendar keeps it up to date when a session moves or is cancelled, "
            "which a downloaded file can't."
        )
        buttons = [button("Get my calendar address by DM", FEED_NEW_ACTION, "new")]
    blocks: list[Block] = [
        header("Peer support hours in your calendar"),
        section(mine),
        actions(buttons, block_id=f"{HOME}|feed"),
    ]
    if series_links:
        lines = [
            f"• <{webcal}|{escape(series.title)}> (<{google}|Google Calendar>)" for series, webcal, google in series_links
        ]
        blocks.append(
            section("*Every session of a series* (public addresses, nothing about you in them):\n" + "\n".join(lines))
        )
    return blocks


def feed_made_message(webcal: str, https: str, google: str) -> Message:
    """The member's new private feed address, by DM (shown this once: heart-bot keeps only a hash)."""
    text = "Your private calendar address is ready."
    body = (
        f":calendar: *Your private calendar address*\n<{webcal}|Subscribe in your calendar app> · "
        f"<{google}|Add to Google Calendar>\nOr paste this address into your calendar's *Add calendar from URL*:\n"
        f"`{https}`\nIt is shown only here: heart-bot keeps no copy it could show again. Anyone who has it can see "
        "which sessions you go to, so keep it to yourself. Get a new one (the old one stops) or turn it off on "
        "heart-bot's Home tab."
    )
    return Message(text=text, blocks=[section(body)])


def feed_off_message() -> Message:
    """The private reply once the member's feed is off."""
    text = "Your calendar feed is off: its address no longer works, and calendars subscribed to it stop updating."
    return Message(text=text, blocks=[section(text)])


# ----------------------------------------------------------------------------- posts


def reminder_message(occurrence: Occurrence, counts: Counts, *, dm: bool) -> Message:
    """A reminder before a session, in the channel (counts kept live) or by DM."""
    if not occurrence.live:
        return _cancelled_post(occurrence)
    text = f"Reminder: {escape(occurrence.title)} starts {local_text(occurrence)}"
    elements = [
        *_rsvp_buttons(occurrence, None),
        button("Add to calendar", CALENDAR_ACTION, occurrence.id),
        *_join_button(occurrence),
    ]
    blocks: list[Block] = [
        section(details(occurrence, lead=":bell: Reminder: ")),
        context(counts_text(counts)),
        actions(elements, block_id=f"{POST}|{occurrence.id}"),
    ]
    if dm:
        blocks.append(_dm_footer(occurrence))
    return Message(text=text, blocks=blocks)


def _dm_footer(occurrence: Occurrence) -> Block:
    return actions([button("Stop DM reminders", STOP_DM_ACTION, occurrence.series_id)], block_id=f"{POST}|dm|{occurrence.id}")


def starting_message(occurrence: Occurrence, counts: Counts) -> Message:
    """The "starting now" post: the join link up front."""
    if not occurrence.live:
        return _cancelled_post(occurrence)
    title = escape(occurrence.title)
    text = f"{escape(occurrence.title)} is starting now."
    blocks: list[Block] = [section(f":large_green_circle: *{title}* is starting now."), context(counts_text(counts))]
    if occurrence.join_url:  # the link once, as the button
        blocks.append(actions(_join_button(occurrence, now_on=True)))
    return Message(text=text, blocks=blocks)


def shareout_prompt_message(occurrence: Occurrence, *, dm: bool = False) -> Message:
    """After a session: invite a share-out (the share-outs feature opens its form). By DM (to the
    members who said Going) it says why it came and offers to stop such DMs."""
    title = escape(occurrence.title)
    text = f"Thank you for joining {escape(occurrence.title)}. Share a reflection: a win, a barrier, a resource or an ask."
    body = (
        f":seedling: Thank you for joining *{title}*.\nShare a reflection: a win, a barrier, a resource or an ask. "
        "It goes to the coordinators only unless you choose otherwise, and you can share anonymously."
    )
    elements = [button("Share a reflection", SHAREOUT_OPEN_ACTION, occurrence.id, style="primary")]
    blocks: list[Block] = [section(body)]
    if dm:
        elements.append(button("No more of these DMs", PROMPT_DM_ACTION, "off"))
        blocks.append(
            context(
                "You get this because you said you were going. Turn these DMs on or off on heart-bot's Home tab; "
                "the prompt in the channel stays."
            )
        )
    blocks.insert(1, actions(elements, block_id=f"{POST}|shareout|{occurrence.id}"))
    return Message(text=text, blocks=blocks)


def prompt_setting_blocks(on: bool) -> list[Block]:
    """Home: whether the share-out prompt comes by DM after a session the member said Going to."""
    if on:
        words = (
            "After a session you said *Going* to, heart-bot sends you its share-out prompt by DM "
            "(and posts it in the channel)."
        )
        toggle = button("Stop share-out prompts by DM", PROMPT_DM_ACTION, "off")
    else:
        words = "Share-out prompts by DM are *off*: after a session you'll find the prompt in its channel only."
        toggle = button("Send me share-out prompts by DM", PROMPT_DM_ACTION, "on")
    return [context(words), actions([toggle], block_id=f"{HOME}|prompts")]


def prompt_setting_message(on: bool) -> Message:
    """The private reply to the share-out prompt toggle."""
    text = (
        "After each session you said Going to, you'll get the share-out prompt by DM."
        if on
        else "You won't get share-out prompts by DM any more; the prompt is still posted in the session's channel. "
        "Turn them back on from heart-bot's Home tab."
    )
    return Message(text=text, blocks=[section(text)])


def _cancelled_post(occurrence: Occurrence) -> Message:
    text = f"{escape(occurrence.title)} ({local_text(occurrence)}) is cancelled."
    return Message(
        text=text,
        blocks=[section(details(occurrence)), context("This session is cancelled. Type `/peerhour` to see what's next.")],
    )


def cancelled_message(occurrence: Occurrence) -> Message:
    """Tells the channel and everyone going that a session is cancelled."""
    title = escape(occurrence.title)
    text = f"{escape(occurrence.title)} on {local_text(occurrence)} is cancelled."
    lines = [f":x: *{title}* on {moment(occurrence.starts_at, occurrence.timezone)} is cancelled."]
    if occurrence.change_note:
        lines.append(f"Note from the coordinators: {escape(occurrence.change_note)}")
    lines.append("Type `/peerhour` to see the next sessions.")
    return Message(text=text, blocks=[section("\n".join(lines))])


def moved_message(occurrence: Occurrence, counts: Counts) -> Message:
    """Tells the channel and everyone going that a session moved, with its buttons."""
    title = escape(occurrence.title)
    text = f"{escape(occurrence.title)} has moved to {local_text(occurrence)}."
    previous = moment(occurrence.previous_starts_at or occurrence.starts_at, occurrence.timezone)
    lines = [f":arrows_counterclockwise: *{title}* has moved from {previous} to *{when(occurrence)}*."]
    if occurrence.change_note:
        lines.append(f"Note from the coordinators: {escape(occurrence.change_note)}")
    elements = [
        *_rsvp_buttons(occurrence, None),
        button("Add to calendar", CALENDAR_ACTION, occurrence.id),
        *_join_button(occurrence),
    ]
    blocks = [section("\n".join(lines)), context(counts_text(counts)), actions(elements, block_id=f"{POST}|{occurrence.id}")]
    return Message(text=text, blocks=blocks)


def channel_problem_message(series: Series, occurrence: Occurrence, error: str) -> Message:
    """Tells a coordinator, once, that the bot cannot post in a series' channel."""
    channel = f"<#{series.channel_id}>" if series.channel_id else "its channel"
    text = f"heart-bot could not post the reminder for {escape(series.title)} in its channel ({escape(error)})."
    body = (
        f":warning: I couldn't post the reminder for *{escape(series.title)}* ({local_text(occurrence)}) in {channel}: "
        f"Slack said `{escape(error)}`.\nInvite me with `/invite @heart-bot` in that channel (or give the series another "
        "channel). Members who asked for DM reminders still get theirs. "
        "I'll tell you again only if it happens after a post works."
    )
    return Message(text=text, blocks=[section(body)])


# ----------------------------------------------------------------------------- forms


def _form(callback_id: str, title: str, submit: str, close: str, metadata: str, blocks: list[Block]) -> View:
    return View(
        type="modal", callback_id=callback_id, title=title, submit=submit, close=close, private_metadata=metadata, blocks=blocks
    )


def _input(block_id: str, label: str, element, *, optional: bool = False, hint: str | None = None) -> InputBlock:
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=truncate(label, 75)))


def _select(action_id: str, choices: dict[str, str], initial: str | None) -> StaticSelectElement:
    options = [_option(value, label) for value, label in choices.items()]
    chosen = next((o for o in options if o.value == initial), None)
    return StaticSelectElement(action_id=action_id, options=options, initial_option=chosen)


def add_session_view(form: SessionForm, *, channel_id: str | None, metadata: str = "") -> View:
    """The coordinators' form for a new session or series (block ids are the form's field names)."""
    zones = dict(TIMEZONES)
    zones.setdefault(form.timezone, form.timezone)
    chosen_offsets = {str(minutes) for minutes in parse_offsets(form.reminders, lambda *_: None)}
    offsets = [_option(str(m), f"{describe_offset(m)} before") for m in REMINDER_CHOICES]
    channel = ConversationSelectElement(
        action_id="channel",
        initial_conversation=channel_id or None,
        default_to_current_conversation=channel_id is None,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    blocks: list[Block] = [
        _input(
            "title", "Title", PlainTextInputElement(action_id="title", initial_value=form.title or None, max_length=MAX_TITLE)
        ),
        _input("date", "Date of the first session", DatePickerElement(action_id="date", initial_date=form.date or None)),
        _input("time", "Start time", TimePickerElement(action_id="time", initial_time=form.time or None)),
        _input("timezone", "Time zone", _select("timezone", zones, form.timezone)),
        _input("duration", "Length", _select("duration", {str(m): f"{m} minutes" for m in DURATIONS}, form.duration)),
        _input("repeat", "Repeats", _select("repeat", REPEATS, form.repeat)),
        _input(
            "until",
            "Last date",
            DatePickerElement(action_id="until"),
            optional=True,
            hint="For a series: no session after this date.",
        ),
        _input(
            "count",
            "Number of sessions",
            NumberInputElement(action_id="count", is_decimal_allowed=False, min_value="1", max_value="200"),
            optional=True,
            hint="For a series: stop after this many sessions.",
        ),
        _input("channel", "Channel for reminders", channel, optional=True, hint="Invite heart-bot to it first."),
        _input("link", "Join link", UrlInputElement(action_id="link", max_length=MAX_LINK), optional=True),
        _input(
            "topic", "Topic of the first session", PlainTextInputElement(action_id="topic", max_length=MAX_TOPIC), optional=True
        ),
        _input(
            "description",
            "Description",
            PlainTextInputElement(action_id="description", multiline=True, max_length=MAX_DESCRIPTION),
            optional=True,
        ),
        _input(
            "facilitator",
            "Facilitator",
            PlainTextInputElement(action_id="facilitator", max_length=MAX_FACILITATOR),
            optional=True,
        ),
        _input(
            "reminders",
            "Reminders",
            CheckboxesElement(
                action_id="reminders", options=offsets, initial_options=[o for o in offsets if o.value in chosen_offsets] or None
            ),
            optional=True,
            hint="Posted in the channel, and sent by DM to members who ask. A 'starting now' post always goes out.",
        ),
    ]
    return _form(ADD_CALLBACK, "Add a session", "Add", "Cancel", metadata, blocks)


def move_view(occurrence: Occurrence, *, metadata: str) -> View:
    """Move one session: a new date and time, in its series' zone."""
    start = occurrence.starts_at.astimezone(occurrence.tz)
    blocks: list[Block] = [
        section(f"{details(occurrence)}\nNow: {local_text(occurrence)}"),
        _input("date", "New date", DatePickerElement(action_id="date", initial_date=start.date().isoformat())),
        _input(
            "time", f"New start time ({occurrence.timezone})", TimePickerElement(action_id="time", initial_time=f"{start:%H:%M}")
        ),
        _input("note", "Note for members", PlainTextInputElement(action_id="note", max_length=MAX_TOPIC), optional=True),
        context("The channel and everyone going are told. RSVPs stay; reminders follow the new time."),
    ]
    return _form(MOVE_CALLBACK, "Move session", "Move", "Back", metadata, blocks)


def edit_view(occurrence: Occurrence, *, metadata: str) -> View:
    """Edit one session's topic and its join link."""
    blocks: list[Block] = [
        section(details(occurrence)),
        _input(
            "topic",
            "Topic",
            PlainTextInputElement(action_id="topic", initial_value=occurrence.topic or None, max_length=MAX_TOPIC),
            optional=True,
        ),
        _input(
            "link",
            "Join link for this session",
            UrlInputElement(action_id="link", initial_value=occurrence.join_url or None, max_length=MAX_LINK),
            optional=True,
        ),
    ]
    return _form(EDIT_CALLBACK, "Edit session", "Save", "Back", metadata, blocks)


def cancel_view(occurrence: Occurrence, *, metadata: str) -> View:
    """Confirm cancelling one session, with an optional note."""
    blocks: list[Block] = [
        section(details(occurrence)),
        _input("note", "Note for members", PlainTextInputElement(action_id="note", max_length=MAX_TOPIC), optional=True),
        context("The channel and everyone going are told. Other sessions of the series stay as they are."),
    ]
    return _form(CANCEL_CALLBACK, "Cancel session", "Cancel session", "Keep it", metadata, blocks)


def done_view(title: str, text: str) -> View:
    """A confirmation shown in place of a form."""
    return View(type="modal", callback_id=DONE_CALLBACK, title=truncate(title, 24), close="Done", blocks=[section(text)])


def added_text(series: Series, first: Occurrence | None, count: int, *, notes: Sequence[str] = ()) -> str:
    """What a coordinator reads once a session or series is added (``notes``: which of two 1:30 AMs
    is meant on a night the clocks go back)."""
    lines = [f":white_check_mark: *{escape(series.title)}* is scheduled: {escape(series.recurrence.describe())}."]
    lines += [f":information_source: {escape(note)}" for note in notes]
    if first:
        lines.append(f"First session: {when(first)}.")
    if count > 1:
        lines.append(f"{count} sessions are on the calendar for the next four months.")
    if series.channel_id:
        lines.append(f"Reminders go to <#{series.channel_id}>; members can also get them by DM.")
    else:
        lines.append("No channel was chosen: only members who ask for DM reminders get them.")
    return "\n".join(lines)
