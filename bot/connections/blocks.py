"""Block Kit for monthly connections: the /connect panel (and its Home tab section), the profile
form, the introduction and the follow-up in a pair's group DM, and past connections.

Every text says who sees what: the member introduced to you sees your name, sector, state and
the topics you share; coordinators see counts only; heart-bot can't read the group DM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ConfirmObject,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import Message, actions, button, context, header, notice, section
from bot.connections.content import ConnectionsContent
from bot.connections.core import (
    LEFT,
    MAX_BLOCKED,
    MAX_TOPICS,
    NO,
    NOT_YET,
    PAUSED,
    STATES,
    YES,
    Membership,
    PastConnection,
    Profile,
)
from bot.connections.rounds import Group
from bot.small_counts import Suppressor
from bot.profiles import Profile as MemberProfile
from bot.profiles import questions
from bot.text import escape, truncate

JOIN_ACTION = "connect_join"  # opens the profile form (to join, or to edit)
PAUSE_ACTION, RESUME_ACTION = "connect_pause", "connect_resume"
SKIP_ACTION, UNSKIP_ACTION = "connect_skip", "connect_unskip"
LEAVE_ACTION = "connect_leave"
HISTORY_ACTION = "connect_history"
STATUS_ACTIONS = (PAUSE_ACTION, RESUME_ACTION, SKIP_ACTION, UNSKIP_ACTION, LEAVE_ACTION)
ANSWER_PREFIX = "connect_answer_"  # + yes | not_yet | no; the value is the pair's id
RUN_ACTION = "connect_run"  # coordinators: start a round now
PAUSE_ALL_ACTION, RESUME_ALL_ACTION = "connect_pause_all", "connect_resume_all"
PROFILE_CALLBACK = "connect_profile"
HOME, PANEL = "home", "panel"  # where a button was pressed (the first part of its block id)

WHO_SEES_WHAT = (
    "Who sees what: the member you're introduced to sees your name, sector, state and the topics you share. "
    'Your "never pair me with" list is never shown to anyone. Coordinators see only counts, never who met whom.'
)
GROUP_DM_PRIVACY = (
    "This conversation is just you and heart-bot, which can post here but can't read it. "
    "Type `/connect` to pause, skip a round or leave."
)
ANSWER_LABELS = {YES: "Yes, we met", NOT_YET: "Not yet", NO: "We won't"}
ANSWER_THANKS = {
    YES: "Thanks! Noted that you met. Coordinators see only how many pairs met, never who.",
    NOT_YET: "Thanks! There's still time: the round runs until the next one starts. You can change your answer here later.",
    NO: "Thanks for saying so. You'll be introduced to someone new next round. "
    "If you'd rather never be paired with this member again, add them under *Never pair me with* in `/connect`.",
}


# ----------------------------------------------------------------------------- pieces


def date_token(at: datetime, timezone: str, template: str = "{date_long_pretty} at {time}") -> str:
    """A moment each reader's Slack shows in their own zone (the fallback in ``timezone``)."""
    local = at.astimezone(ZoneInfo(timezone))
    fallback = f"{local:%A, %B} {local.day} at {local:%H:%M} {local.tzname()}"
    return f"<!date^{int(at.timestamp())}^{template}|{fallback}>"


def round_label(due: datetime, timezone: str) -> str:
    """A round as members name it: "the round of December 7, 2026"."""
    local = due.astimezone(ZoneInfo(timezone))
    return f"{local:%B} {local.day}, {local.year}"


def _names(user_ids: Sequence[str]) -> str:
    mentions = [f"<@{user_id}>" for user_id in user_ids]
    return mentions[0] if len(mentions) == 1 else ", ".join(mentions[:-1]) + " and " + mentions[-1]


def _topics(content: ConnectionsContent, topics: Sequence[str]) -> str:
    return ", ".join(escape(content.topic_label(topic)) for topic in topics) or "_none chosen_"


# ----------------------------------------------------------------------------- the panel


def panel_blocks(
    content: ConnectionsContent,
    profile: Profile | None,
    *,
    next_round: datetime | None,
    timezone: str,
    paused_for_all: bool,
    surface: str,
) -> list[Block]:
    """A member's view of connections: what it is and how to join, or their profile and switches."""
    upcoming = f"The next round starts {date_token(next_round, timezone)}." if next_round else ""
    if paused_for_all:
        upcoming = "Coordinators have paused connections for now: no round starts until they resume them."
    blocks: list[Block] = [header("Monthly connections")]
    if profile is None or profile.status == LEFT:
        again = "You left monthly connections; join again whenever you like. " if profile else ""
        offers = [button("Join monthly connections" if profile is None else "Join again", JOIN_ACTION, style="primary")]
        if profile is not None:
            offers.append(button("Past connections", HISTORY_ACTION))
        return [
            *blocks,
            section(
                f"{again}Once a month, heart-bot introduces you to another member of the HEART Collective in a group "
                "DM with just the two of you: from a different sector when it can (a school counselor and a clinician "
                f"at a community health center, say), and someone who shares your topics. {upcoming}"
            ),
            context(WHO_SEES_WHAT + " You can pause, skip a round or leave at any time."),
            actions(offers, block_id=f"{surface}|connect"),
        ]
    if profile.status == PAUSED:
        status = "*You've paused connections.* You won't be introduced to anyone until you resume."
    elif profile.skip_next:
        status = f"*You're in, and skipping the next round.* {upcoming}"
    else:
        status = f"*You're in.* {upcoming}"
    state = STATES.get(profile.state or "", "Not given")
    profile_fields = [
        MarkdownTextObject(text=f"*Sector*\n{escape(content.sector_label(profile.sector))}"),
        MarkdownTextObject(text=f"*State*\n{escape(state)}"),
    ]
    fields = [
        # On the Home tab the member's profile (sector and state) is shown once, in *About you*.
        *(profile_fields if surface != HOME else []),
        MarkdownTextObject(text=f"*Topics*\n{_topics(content, profile.topics)}"),
        MarkdownTextObject(text=f"*Never pair me with*\n{len(profile.blocked)} member{'s' if len(profile.blocked) != 1 else ''}"),
    ]
    switches = [button("Edit my profile", JOIN_ACTION)]
    if profile.status == PAUSED:
        switches.append(button("Resume", RESUME_ACTION, style="primary"))
    else:
        skip = button("Don't skip", UNSKIP_ACTION) if profile.skip_next else button("Skip the next round", SKIP_ACTION)
        switches += [skip, button("Pause", PAUSE_ACTION)]
    leave = ConfirmObject(
        title="Leave monthly connections?",
        text="You won't be introduced to anyone. Your profile is kept so you can rejoin in one click; "
        "Delete my data on the Home tab removes it.",
        confirm="Leave",
        deny="Stay",
        style="danger",
    )
    switches += [button("Past connections", HISTORY_ACTION), button("Leave", LEAVE_ACTION, style="danger", confirm=leave)]
    return [
        *blocks,
        section(status),
        SectionBlock(fields=fields),
        actions(switches, block_id=f"{surface}|connect"),
        context(WHO_SEES_WHAT + (" Your sector and state are your profile, under *About you*." if surface == HOME else "")),
    ]


def panel_message(blocks: list[Block]) -> Message:
    """The panel as an ephemeral answer to /connect."""
    return Message(text="Monthly connections", blocks=blocks)


def membership_counts(membership: Membership, threshold: int) -> str:
    """How many members are in, paused, skipping the next round and gone, as coordinators see
    them: counts from 1 to ``threshold - 1`` read ``<threshold``, as in every report."""
    hide = Suppressor(threshold)
    active, paused, skipping, left = (
        hide.tally(name, name, getattr(membership, name)).shown for name in ("active", "paused", "skipping", "left")
    )
    return (
        f"{active} member{'' if active == '1' else 's'} in "
        f"({paused} paused, {skipping} skipping the next round, {left} left)"
    )


def groups_count(count: int, threshold: int) -> str:
    """A round's groups as coordinators see them: ``"4 groups"``, or ``"<3 groups"`` for a small count."""
    shown = Suppressor(threshold).tally("groups", "groups", count).shown
    return f"{shown} group{'' if shown == '1' else 's'}"


def coordinator_blocks(
    membership: Membership,
    *,
    paused: bool,
    schedule: str,
    next_round: datetime | None,
    timezone: str,
    surface: str,
    threshold: int,
) -> list[Block]:
    """The coordinators' part: how many take part (small counts hidden), when rounds start, and the switches."""
    counts = escape(membership_counts(membership, threshold)) + "."
    when = (
        "*Connections are paused:* no round starts and no introduction or follow-up is sent until you resume them."
        if paused
        else f"Rounds start on {escape(schedule)}."
        + (f" The next one starts {date_token(next_round, timezone)}." if next_round else "")
    )
    start = ConfirmObject(
        title="Start a round now?",
        text="heart-bot pairs every member who is in and not skipping, and introduces each pair in a group DM "
        "right away. A scheduled round less than two weeks later is skipped. This can't be undone.",
        confirm="Start the round",
        deny="Not now",
    )
    switch = button("Resume connections", RESUME_ALL_ACTION) if paused else button("Pause connections", PAUSE_ALL_ACTION)
    return [
        section(f"*For coordinators.* {counts}\n{when}"),
        actions(
            [button("Start a round now", RUN_ACTION, style="primary", confirm=start), switch],
            block_id=f"{surface}|connect-coordinators",
        ),
        context("Preview the next round's counts at a terminal: `python -m bot connections preview`."),
    ]


# ----------------------------------------------------------------------------- the profile form


def profile_view(content: ConnectionsContent, profile: Profile | None, given: MemberProfile, *, metadata: str) -> View:
    """The form to join (or edit one's profile); block ids are the form's fields.

    :param given: the member's profile (sector and state), which this form asks as every form does.
    """
    topics = [Option(value=c.id, text=PlainTextObject(text=truncate(c.label, 75))) for c in content.topics]
    chosen_topics = [o for o in topics if profile and o.value in profile.topics]
    sectors = [(c.id, c.label) for c in content.sectors]
    blocks: list[Block] = [
        section(
            "Once a month heart-bot introduces you to another member in a group DM, preferring someone from a "
            "different sector who shares your topics and whom you haven't met here before. Your sector and state "
            "are your one profile: the same answers as *About you* on the Home tab."
        ),
        *questions(sectors, given, sector_required=True),
        InputBlock(
            block_id="topics",
            label="Topics you'd like to talk about",
            optional=True,
            hint=f"Up to {MAX_TOPICS}. Your match sees the ones you share.",
            element=StaticMultiSelectElement(
                action_id="topics", options=topics, initial_options=chosen_topics or None, max_selected_items=MAX_TOPICS
            ),
        ),
        InputBlock(
            block_id="blocked",
            label="Never pair me with",
            optional=True,
            hint="Nobody is told, including them. heart-bot won't pair you, either way round.",
            element=UserMultiSelectElement(
                action_id="blocked",
                initial_users=list(profile.blocked) if profile and profile.blocked else None,
                max_selected_items=MAX_BLOCKED,
            ),
        ),
        context(WHO_SEES_WHAT + " You can pause, skip a round, leave or delete your data at any time."),
    ]
    joining = profile is None or profile.status == LEFT
    return View(
        type="modal",
        callback_id=PROFILE_CALLBACK,
        title="Monthly connections",
        submit="Join" if joining else "Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


def saved_message(
    content: ConnectionsContent, profile: Profile, joined: bool, next_round: datetime | None, timezone: str
) -> Message:
    """What shows in place of the form once a member joined or updated their profile."""
    when = f" The next round starts {date_token(next_round, timezone)}." if next_round else ""
    first = "*You've joined monthly connections.*" if joined else "*Your connections profile is saved.*"
    state = STATES.get(profile.state or "", "Not given")
    text = (
        f"{first}{when} You'll get a group DM introducing you and another member.\n"
        f"Sector: {escape(content.sector_label(profile.sector))} · State: {escape(state)} · "
        f"Topics: {_topics(content, profile.topics)}"
    )
    return Message(text=first.strip("*"), blocks=[section(text), context(WHO_SEES_WHAT)])


STATUS_NOTES = {
    PAUSE_ACTION: "Paused. You won't be introduced to anyone until you resume.",
    RESUME_ACTION: "Welcome back: you're in the next round.",
    SKIP_ACTION: "You'll skip the next round, and be back in the one after.",
    UNSKIP_ACTION: "You're back in the next round.",
    LEAVE_ACTION: (
        "You've left monthly connections. Your profile is kept so you can rejoin; Delete my data on the Home tab removes it."
    ),
}


# ----------------------------------------------------------------------------- the group DM


def introduction_message(
    content: ConnectionsContent,
    group: Group,
    profiles: dict[str, tuple[str, str | None]],
    suggested: datetime | None,
    *,
    timezone: str,
    follow_up: datetime | None,
) -> Message:
    """The introduction posted in a group's DM.

    :param profiles: each member's (sector, state), as they are now.
    :param suggested: a half hour inside everyone's working hours, or None when there is none.
    """
    people = group.user_ids
    lines = []
    for user_id in people:
        sector, state = profiles.get(user_id, ("", None))
        where = f" · {escape(STATES[state])}" if state in STATES else ""
        lines.append(f"• <@{user_id}> · {escape(content.sector_label(sector))}{where}")
    both = "both" if len(people) == 2 else "all"
    blocks: list[Block] = [
        header("Meet your monthly connection"),
        section(
            f"{_names(people)}: heart-bot is introducing you because you {both} joined monthly connections.\n" + "\n".join(lines)
        ),
    ]
    if group.shared_topics:
        blocks.append(section(f"*Topics you share:* {_topics(content, group.shared_topics)}"))
    if group.starter.tip:
        blocks.append(
            section(
                f"*A conversation starter.* _{escape(group.starter.sheet)}_ suggests: {group.starter.tip}\n"
                "How does that look where each of you works?"
            )
        )
    if suggested is not None:
        blocks.append(
            section(
                f"*A time inside everyone's working hours:* {date_token(suggested, timezone)}, for half an hour "
                "(each of you sees it in your own time zone). Reply here if another time suits you better."
            )
        )
    else:
        blocks.append(section("*Finding a time:* your working hours barely overlap, so suggest a time here that suits you."))
    asked = (
        f" Around {date_token(follow_up, timezone, '{date_short_pretty}')}, heart-bot will ask here once whether you met."
        if follow_up
        else ""
    )
    blocks.append(context(GROUP_DM_PRIVACY + asked))
    return Message(text=f"Meet your monthly connection: {_names(people)}", blocks=blocks)


def follow_up_message(group: Group) -> Message:
    """ "Did you two meet?", with the three answers (their value is the pair's id)."""
    question = "Did you two meet?" if len(group.members) == 2 else "Did you three meet?"
    buttons = [button(label, f"{ANSWER_PREFIX}{answer}", str(group.id)) for answer, label in ANSWER_LABELS.items()]
    buttons[0].style = "primary"
    return Message(
        text=question,
        blocks=[
            section(f"*{question}* Halfway through this round, a quick check-in from heart-bot."),
            actions(buttons, block_id="followup"),
            context("Any of you can answer, and change it later. Coordinators see only how many pairs met, never who."),
        ],
    )


def answered_message(answer: str) -> Message:
    """The private thanks to the member who answered."""
    return notice(ANSWER_THANKS[answer])


# ----------------------------------------------------------------------------- past connections


def history_message(content: ConnectionsContent, past: Sequence[PastConnection], timezone: str, *, limit: int = 20) -> Message:
    """A member's past connections, newest first."""
    if not past:
        text = "You haven't been introduced to anyone yet. Your first introduction comes with the next round you're in."
        return Message(text=text, blocks=[header("Your past connections"), section(text)])
    answered = {YES: "you met", NOT_YET: "not yet, you said", NO: "you said you won't meet"}
    lines = []
    for item in past[:limit]:
        names = ", ".join(
            f"<@{member}> ({escape(content.sector_label(sector))})" if member else "a member who has since deleted their data"
            for member, sector in item.partners
        )
        said = f" · {answered[item.answer]}" if item.answer in answered else ""
        lines.append(f"• *{round_label(item.due_at, timezone)}*: {names}{said}")
    more = (
        [context(f"…and {len(past) - limit} earlier. Download all of them from *Your data* on the Home tab.")]
        if len(past) > limit
        else []
    )
    return Message(
        text="Your past connections",
        blocks=[header("Your past connections"), section("\n".join(lines)), *more, context("Only you can see this list.")],
    )
