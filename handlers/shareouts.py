"""/shareout: share a reflection, see, edit, export and delete your own, and the safety net's check-in.

Every reply about a share-out goes to its author alone (ephemeral, a DM, or their own
modal). Only a share-out the member chose to put in a channel is posted there, by the
bot in its own name, and an anonymous one carries nothing of its author. Nothing here logs
the member who acted: the form's open, its save or a failure logged with their id would
give the moment of a share-out they may have made "anonymous to everyone".
"""

from __future__ import annotations

import base64
import json
import logging
import re
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import events, safety
from bot.blocks import Message, notice
from bot.runtime import Heart
from bot.shareouts import blocks, core, deidentify
from bot.shareouts import posts as shareout_posts
from bot.shareouts.blocks import CheckIn
from bot.safety import NoteFor
from bot.shareouts.core import Draft, Field, Owner, Shareout, Visibility
from handlers import ack_budget, direct
from handlers.common import after_ack, heart_of, utc_now
from handlers.home import HomeSection, HomeVisit, add_section
from handlers.payloads import Click, Command, Submission

log = logging.getLogger(__name__)

CHECKIN_ACTIONS = re.compile(rf"^({blocks.CHECKIN_NAMED_ACTION}|{blocks.CHECKIN_ANONYMOUS_ACTION})$")
GONE = "That share-out has been deleted. Type `/shareout mine` to see the ones you have."
SAVING = "Saving your share-out… it's taking a moment longer than usual. I'll confirm here once it's saved."
UNREADABLE = "Sorry, I couldn't read that share-out back, so nothing was saved. Please send `/shareout` again."
MAX_VALUE = 2000  # a button's value, in characters
PURGED = "That share-out's text was removed after the retention period, so there is nothing to edit."


@dataclass(frozen=True)
class FormState:
    """What the share-out form carries between opening and submission (its private_metadata)."""

    editing: int | None = None  # the share-out being edited, if any
    channel: str | None = None  # where the member opened the form
    warned: bool = False  # the de-identification note was shown once already

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str) -> FormState:
        """Read the metadata back; anything malformed reads as a fresh form."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        editing, channel = data.get("editing"), data.get("channel")
        return cls(
            editing=editing if isinstance(editing, int) else None,
            channel=channel if isinstance(channel, str) else None,
            warned=data.get("warned") is True,
        )


def register(app: App) -> None:
    """Listen for /shareout, its buttons, and the share-out form; add Home's "Share out"."""
    add_section(HomeSection("shareouts", 20, _home_section))
    app.command("/shareout")(shareout_command)
    app.action(blocks.OPEN_ACTION)(shareout_open_clicked)
    app.action(blocks.SESSION_ACTION)(shareout_session_chosen)
    app.action(blocks.CHECK_SAVE_ACTION)(shareout_save_as_it_is_clicked)
    app.action(blocks.CHECK_EDIT_ACTION)(shareout_check_edit_clicked)
    app.action(blocks.EDIT_ACTION)(shareout_edit_clicked)
    app.action(blocks.DELETE_ACTION)(shareout_delete_clicked)
    app.action(blocks.PAGE_ACTION)(shareout_page_clicked)
    app.action(CHECKIN_ACTIONS)(shareout_checkin_clicked)
    app.view(blocks.FORM_CALLBACK)(shareout_submitted)


def shareout_command(ack: Ack, command: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """/shareout: the form, help, your share-outs, your export, or a quick share-out of the text typed."""
    heart = heart_of(context)
    request = Command.from_payload(command)
    word = request.text.casefold()
    if not request.text:
        ack()
        draft = Draft("", occurrence_id=core.default_session_id(heart.store, utc_now()))
        state = FormState(channel=request.channel_id)
        after_ack(context, command, lambda: _open_form(heart, client, request.trigger_id, draft, state))
    elif word == "help":
        ack(blocks.help_message().to_dict())
    elif word == "mine":
        ack(_mine(heart, owner_of(heart, request.user_id)).to_dict())
    elif word == "export":
        _export(heart, ack, client, request.user_id, context, command)
    else:
        _quick_shareout(heart, ack, respond, request, context, command)


def shareout_open_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """A post-session Share out button: the form, about that session while it is open."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    draft = Draft("", occurrence_id=core.default_session_id(heart.store, utc_now(), preferred=click.value))
    after_ack(context, body, lambda: _open_form(heart, client, click.trigger_id, draft, FormState(channel=click.channel_id)))


def shareout_session_chosen(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Another session chosen in the form: redraw it, so the channel choices name that session's channel."""
    ack()
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    state = FormState.loads(submission.private_metadata)
    draft, _ = _draft(submission)
    concerns = deidentify.concerns(draft.text) if state.warned else set()
    view = _form(heart, draft, state, concerns=concerns)
    view_hash = (body.get("view") or {}).get("hash")
    try:
        client.views_update(view_id=submission.view_id, hash=view_hash, view=view)
    except SlackApiError as error:  # "hash_conflict": the member changed something meanwhile; theirs wins
        log.info("share-out form not redrawn (%s)", error.response.get("error"))


def shareout_save_as_it_is_clicked(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    """*Save as it is* on the quick path's question: save the held share-out (once) and confirm in place
    (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _save_held(heart, click, respond))


def _save_held(heart: Heart, click: Click, respond: Respond) -> None:
    held = _unhold(click.value)
    if held is None:
        respond(notice(UNREADABLE).to_response())
        return
    key, text = held
    draft = Draft(text)
    saving = _save_quick(heart, draft, click.user_id, key)
    crisis = heart.content.shareout.crisis.hears(draft.text)
    saved = saving.result()
    respond({**_confirm_quick(heart, saved, crisis, click.channel_id), "replace_original": True})
    if saved.created:
        _count_safety_net(heart, crisis)


def shareout_check_edit_clicked(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """*Edit* on the quick path's question: the form, with the member's words, and nothing saved yet
    (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _edit_held(heart, click, client, respond))


def _edit_held(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    held = _unhold(click.value)
    if held is None:
        respond(notice(UNREADABLE).to_response())
        return
    draft = Draft(held[1], occurrence_id=core.default_session_id(heart.store, utc_now()))
    _open_form(heart, client, click.trigger_id, draft, FormState(channel=click.channel_id, warned=True))
    in_the_form = notice("Your words are in the form. Nothing is saved until you press *Save* there.")
    respond(in_the_form.to_response(replace_original=True))


def shareout_edit_clicked(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Edit on one of your share-outs: the form, filled in (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _edit(heart, click, client, respond))


def shareout_delete_clicked(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """Delete on one of your share-outs: its channel post first, then the share-out (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _delete(heart, click, client, respond))


def shareout_page_clicked(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    """The next or previous page of your share-outs (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    offset = int(click.value) if click.value.isdigit() else 0
    after_ack(
        context, body, lambda: respond(_mine(heart, owner_of(heart, click.user_id), offset).to_response(replace_original=True))
    )


def shareout_checkin_clicked(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """The safety net's check-in: tell the coordinators (named only if the member chose), keep the
    resources in view (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _check_in(heart, click, client, respond))


def shareout_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The share-out form's Save."""
    heart = heart_of(context)
    _submit(heart, ack, client, Submission.from_payload(body), context, body)


# ----------------------------------------------------------------------------- after the ack


def _edit(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    shareout = core.get(heart.store, _shareout_id(click.value), owner_of(heart, click.user_id))
    if shareout is None:
        respond(notice(GONE).to_response())
    elif shareout.text is None:
        respond(notice(PURGED).to_response())
    else:
        state = FormState(editing=shareout.id, channel=shareout.channel_id or click.channel_id)
        _open_form(heart, client, click.trigger_id, shareout.draft, state)


def _delete(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    owner = owner_of(heart, click.user_id)
    shareout = core.get(heart.store, _shareout_id(click.value), owner)
    if shareout is None:
        respond(_mine(heart, owner, note=GONE).to_response(replace_original=True))
        return
    if not shareout_posts.remove(client, shareout):
        respond(notice("I couldn't remove its post in the channel, so nothing was deleted. Please try again.").to_response())
        return
    # Deleted in a hard moment, the words go; where to turn, and the offer of a check-in, stay in view.
    crisis = heart.content.shareout.crisis.hears(shareout.text) if shareout.text else None
    core.delete(heart.store, shareout.id, owner)
    post = " and its post in the channel are" if shareout.message_ts else " is"
    note = f":wastebasket: Your share-out{post} deleted."
    kept = blocks.safety_blocks(0, **_safety_note(heart, crisis)) if crisis else ()
    respond(_mine(heart, owner, note=note, kept=kept).to_response(replace_original=True))


def _check_in(heart: Heart, click: Click, client: WebClient, respond: Respond) -> None:
    named = click.action_id == blocks.CHECKIN_NAMED_ACTION
    check_in = _ask_coordinators(heart, client, click.user_id if named else None)
    shareout_id, _, note_value = click.value.partition(":")
    note = NoteFor(note_value) if note_value in {n.value for n in NoteFor} else NoteFor.SELF
    shareout = core.get(heart.store, _shareout_id(shareout_id), owner_of(heart, click.user_id))
    if shareout is None:  # deleted meanwhile: the resources stay in view all the same
        if click.view_id:
            client.views_update(view_id=click.view_id, view=blocks.safety_view(check_in, note))
        else:
            respond(blocks.safety_message(check_in, note).to_response(replace_original=True))
        return
    described = core.describe(heart.store, heart.content.shareout, shareout, None)
    if click.view_id:
        view = blocks.confirmation_view(described, edited=False, check_in=check_in, note=note)
        client.views_update(view_id=click.view_id, view=view)
    else:
        respond(blocks.confirmation_message(described, check_in=check_in, note=note).to_response(replace_original=True))


# ----------------------------------------------------------------------------- capture


def _quick_shareout(heart: Heart, ack: Ack, respond: Respond, request: Command, context: BoltContext, body: dict) -> None:
    """``/shareout TEXT``: save for coordinators only, with the member's name, about no session (a
    session is chosen only where the member sees it: the form), then confirm (after the ack if
    the database is busy: the confirmation never says "saved" before the row is committed).

    When the text seems to identify someone, nothing is stored: the member is asked first,
    with *Save as it is* and *Edit* (their words ride in the buttons' value, not in the database).
    """
    store, content, now = heart.store, heart.content.shareout, utc_now()
    draft = Draft(request.text)
    problems = core.check(store, content, draft, now=now, origin_channel=request.channel_id)
    if Field.TEXT in problems:
        ack(blocks.too_long_message(request.text).to_dict())
        return
    # Slack gives each command its own trigger id: a repeat of the same request saves nothing new.
    key = f"command:{request.trigger_id}"
    concerns = deidentify.concerns(draft.text)
    if concerns:  # nothing is saved yet, but what the safety net hears is answered now
        crisis = heart.content.shareout.crisis.hears(draft.text)
        note = safety.note_for(crisis) if crisis else None
        ack(blocks.check_first_message(draft.text, concerns, _hold(key, draft.text), note).to_dict())
        return
    saving = _save_quick(heart, draft, request.user_id, key)
    # The safety net reads the text while the share-out is written and synced to disk.
    crisis = heart.content.shareout.crisis.hears(draft.text)

    def confirm(deliver: Callable[[dict[str, Any]], object]) -> None:
        saved = saving.result()
        deliver(_confirm_quick(heart, saved, crisis, request.channel_id))
        if saved.created:
            _count_safety_net(heart, crisis)

    if ack_budget.done_in_time(saving):
        confirm(ack)
    else:
        ack(notice(SAVING).to_dict())
        after_ack(context, body, lambda: confirm(lambda reply: respond({**reply, "replace_original": True})))


def _save_quick(heart: Heart, draft: Draft, user_id: str, key: str) -> Future[core.Saved]:
    """Save a quick share-out once per request ``key``."""
    return core.save(heart.commits, draft, owner_of(heart, user_id), request_key=key, now=utc_now(), zone=heart.settings.tz)


def _confirm_quick(heart: Heart, saved: core.Saved, crisis: safety.Concern | None, channel_id: str | None) -> dict[str, Any]:
    """A saved quick share-out's confirmation as Slack's JSON, with the safety net's note when it heard ``crisis``."""
    described = core.describe(heart.store, heart.content.shareout, saved.shareout, channel_id)
    return blocks.confirmation_reply(described, **_safety_note(heart, crisis))


def _hold(key: str, text: str) -> str | None:
    """A quick share-out held in a button's value (Slack takes up to 2,000 characters): as JSON,
    or compressed when that is too long; None when even that does not fit."""
    plain = json.dumps({"k": key, "t": text}, ensure_ascii=False)
    if len(plain) <= MAX_VALUE:
        return plain
    packed = "z:" + base64.urlsafe_b64encode(zlib.compress(plain.encode(), 9)).decode()
    return packed if len(packed) <= MAX_VALUE else None


def _unhold(value: str) -> tuple[str, str] | None:
    """The request key and text held by :func:`_hold` (None if the value is not one)."""
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(value[2:])).decode() if value.startswith("z:") else value
        held = json.loads(raw)
    except (ValueError, zlib.error):
        return None
    if not (isinstance(held, dict) and isinstance(held.get("k"), str) and isinstance(held.get("t"), str)):
        return None
    if not held["t"].strip() or len(held["t"]) > core.MAX_TEXT:
        return None
    return held["k"], held["t"]


def _submit(heart: Heart, ack: Ack, client: WebClient, submission: Submission, context: BoltContext, body: dict) -> None:
    """The form's Save: field errors, the de-identification note once, or save and confirm."""
    store, content, now = heart.store, heart.content.shareout, utc_now()
    state = FormState.loads(submission.private_metadata)
    owner = owner_of(heart, submission.user_id)
    current = core.get(store, state.editing, owner) if state.editing is not None else None
    if state.editing is not None and current is None:
        ack(response_action="update", view=blocks.notice_view(GONE))
        return
    draft, problems = _draft(submission)
    problems = core.check(store, content, draft, now=now, origin_channel=state.channel, current=current) | problems
    if problems:
        ack(response_action="errors", errors={field.value: problem for field, problem in problems.items()})
        return
    concerns = deidentify.concerns(draft.text)
    if concerns and not state.warned:
        view = _form(heart, draft, replace(state, warned=True), concerns=concerns)
        ack(response_action="update", view=view)
        return
    # A busy database: the form shows "saving" at once, and the outcome when it is written.
    answer = ack_budget.FormAnswer(ack, client, submission.view_id, context, body)
    writing = ack_budget.start(lambda: _write(heart, submission, draft, owner, current, now))
    crisis = content.crisis.hears(draft.text)  # read while the share-out is written

    def written() -> None:
        shareout, changed = writing.result()
        if shareout is None:  # deleted from another window a moment ago
            answer.show(blocks.notice_view(GONE))
            return
        described = core.describe(store, content, shareout, state.channel)
        answer.show(blocks.confirmation_view(described, edited=current is not None, **_safety_note(heart, crisis)))
        if changed:  # not a repeat of a request already saved
            _count_safety_net(heart, crisis)
            answer.later(lambda: _sync_post(heart, client, current, shareout, state.channel, submission.user_id))

    answer.when_written(writing, blocks.notice_view(SAVING), written)


def _write(
    heart: Heart, submission: Submission, draft: Draft, owner: Owner, current: Shareout | None, now: datetime
) -> tuple[Shareout | None, bool]:
    """Save a new share-out (once per view and its state) or replace ``current``: the share-out
    (None if it was deleted meanwhile) and whether anything changed."""
    zone = heart.settings.tz
    if current is None:
        key = f"view:{submission.view_id}:{submission.view_hash}"
        saved = core.save(heart.commits, draft, owner, request_key=key, now=now, zone=zone).result()
        return saved.shareout, saved.created
    return core.update(heart.store, current.id, owner, draft, now=now, zone=zone), True


def _draft(submission: Submission) -> tuple[Draft, dict[Field, str]]:
    """The form's inputs as a draft, and the problems no draft can express (a missing choice)."""
    session = submission.choice(Field.SESSION)
    visibility = submission.choice(Field.VISIBILITY)
    problems: dict[Field, str] = {}
    if visibility not in {v.value for v in Visibility}:
        problems[Field.VISIBILITY] = "Please choose who can see it."
    draft = Draft(
        text=submission.text(Field.TEXT),
        visibility=Visibility(visibility) if not problems else Visibility.COORDINATORS,
        occurrence_id=None if session in (None, blocks.NO_SESSION) else session,
        sector=submission.choice(Field.SECTOR),
        themes=submission.choices(Field.THEMES),
    )
    return draft, problems


def _safety_note(heart: Heart, crisis: safety.Concern | None) -> dict[str, Any]:
    """The confirmation's safety-net options for what was heard: none, or the note that fits
    and the check-in offer (only when a coordinator is set up to receive it)."""
    if crisis is None:
        return {}
    check_in = CheckIn.OFFERED if heart.coordinators.can_be_told() else CheckIn.NOBODY_TO_TELL
    return {"check_in": check_in, "note": safety.note_for(crisis)}


def _count_safety_net(heart: Heart, crisis: safety.Concern | None) -> None:
    """Count the safety net when it was shown (the share-out itself is counted as it is saved)."""
    if crisis is not None:
        heart.record(events.Event(events.SAFETY_NET, None))


def _form(heart: Heart, draft: Draft, state: FormState, **options: Any) -> View:
    sessions = core.session_choices(heart.store, utc_now(), keep=draft.occurrence_id)
    return blocks.form_view(
        draft,
        sessions=sessions,
        content=heart.content.shareout,
        metadata=state.dumps(),
        editing=state.editing is not None,
        channel_id=core.channel_for(heart.store, draft, state.channel),
        **options,
    )


def _home_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    """Home's way to start a share-out."""
    return blocks.home_blocks()


def _open_form(heart: Heart, client: WebClient, trigger_id: str | None, draft: Draft, state: FormState) -> None:
    client.views_open(trigger_id=trigger_id, view=_form(heart, draft, state))


# ----------------------------------------------------------------------------- the channel post


def _sync_post(
    heart: Heart, client: WebClient, before: Shareout | None, after: Shareout, origin: str | None, member: str
) -> None:
    """Make the channel show ``after`` as its author chose: post it, update it, or take the old post down.

    A post changes in place only while its visibility stays the same; otherwise it is
    removed and posted afresh, so a post that lost its author's name never shows "edited".
    """
    target = core.channel_for(heart.store, after.draft, origin) if after.visibility.in_channel else None
    keep = bool(before and before.message_ts and before.channel_id == target and before.visibility == after.visibility)
    if before and before.message_ts and not keep:
        if shareout_posts.remove(client, before):
            core.record_post(heart.store, after.id, None, None)
        else:  # the old post stays on record, so deleting the share-out later tries again
            direct.dm(client, member, blocks.post_not_removed_message(before.channel_id or ""))
    if target is None:
        return
    message = blocks.channel_post(core.describe(heart.store, heart.content.shareout, after, origin))
    try:
        if keep and before and before.message_ts:
            client.chat_update(channel=target, ts=before.message_ts, **direct.content(message))
        else:
            # The bot's own name and icon, no metadata, no mention unless the author chose one.
            posted = client.chat_postMessage(channel=target, **direct.content(message), unfurl_links=False, unfurl_media=False)
            core.record_post(heart.store, after.id, target, posted["ts"])
    except SlackApiError as error:
        log.warning("could not post share-out %s in %s (%s)", after.id, target, error.response.get("error"))
        direct.dm(client, member, blocks.post_failed_message(target))


# ----------------------------------------------------------------------------- yours


def _mine(heart: Heart, owner: Owner, offset: int = 0, note: str | None = None, kept: Sequence[Block] = ()) -> Message:
    page = core.mine(heart.store, owner, limit=blocks.PAGE_SIZE, offset=offset)
    sessions = core.occurrences_by_id(heart.store, (s.occurrence_id for s in page.shareouts))
    return blocks.mine_message(page, sessions, heart.settings.timezone, note=note, kept=kept)


def _export(heart: Heart, ack: Ack, client: WebClient, user_id: str, context: BoltContext, body: dict) -> None:
    """Send the member their share-outs as CSV and JSON files in a DM (after the ack)."""
    rows = core.export_rows(heart.store, heart.content.shareout, owner_of(heart, user_id))
    if not rows:
        ack(notice("You have no share-outs to export yet. Type `/shareout` to share a reflection.").to_dict())
        return
    ack(notice("Your export is on its way: look for a DM from heart-bot with two files, CSV and JSON.").to_dict())
    after_ack(context, body, lambda: _send_export(client, user_id, rows))


def _send_export(client: WebClient, user_id: str, rows: list[dict[str, Any]]) -> None:
    stamp = utc_now().strftime("%Y-%m-%d")
    files = [
        {"content": core.export_csv(rows), "filename": f"heart-shareouts-{stamp}.csv", "title": "Your share-outs (CSV)"},
        {"content": core.export_json(rows), "filename": f"heart-shareouts-{stamp}.json", "title": "Your share-outs (JSON)"},
    ]
    direct.send_files(client, user_id, files, blocks.export_comment(len(rows)))


# ----------------------------------------------------------------------------- the safety net


def _ask_coordinators(heart: Heart, client: WebClient, user_id: str | None) -> CheckIn:
    """DM every coordinator that someone asked for a check-in (named only if they chose); never the text."""
    heart.record(events.Event(events.CHECKIN_REQUEST, user_id))
    coordinators = sorted(heart.coordinators.all())
    if not coordinators:
        return CheckIn.NOBODY_TO_TELL
    told = 0
    for coordinator in coordinators:
        try:
            direct.dm(client, coordinator, blocks.checkin_request_message(user_id))
            told += 1
        except SlackApiError as error:
            log.warning("could not tell coordinator %s of a check-in request (%s)", coordinator, error.response.get("error"))
    if not told:
        return CheckIn.NOT_DELIVERED
    return CheckIn.TOLD_NAMED if user_id else CheckIn.TOLD_ANONYMOUS


# ----------------------------------------------------------------------------- helpers


def owner_of(heart: Heart, user_id: str) -> Owner:
    """The member as the owner of share-outs (their id and its keyed hash)."""
    return Owner.of(user_id, heart.settings.shareout_hash_secret)


def _shareout_id(value: str) -> int:
    """A share-out id from a button's value (anonymous ones are negative); -1, which none has, if it is none."""
    return int(value) if value.removeprefix("-").isdigit() else -1
