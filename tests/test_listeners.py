"""Listeners called directly, as Bolt calls them: a fake ack and respond, and a context holding a
real core on a real SQLite file. The signed-HTTP tests drive the same listeners through Bolt."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

import handlers
from bot.app import create_app, match_on_body
from bot.config import PROJECT_ROOT as ROOT
from bot.config import Settings
from bot.connections import blocks as connection_blocks
from bot.engagement import blocks as engagement_blocks
from bot.library import glossary_blocks, tipsheet_blocks
from bot.members import blocks as member_blocks
from bot.offline import slack_requests
from bot.runtime import Heart, build_heart
from bot.sessions import blocks as session_blocks
from bot.sessions import core as sessions
from bot.shareouts import blocks as shareout_blocks
from handlers import engagement, glossary, tipsheets
from handlers import sessions as session_listeners
from handlers.common import HEART
from tests.conftest import REAL_CONTENT
from tests.support.session_helpers import one_session

MEMBER = "UMEMBER1"


class Recorder:
    """Stands in for Bolt's ``ack`` or ``respond``: records every call."""

    def __init__(self, response_url: str | None = None):
        self.response_url = response_url
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))

    @property
    def text(self) -> str:
        """Everything passed, flattened (for assertions)."""
        return json.dumps(self.calls, default=str)


@pytest.fixture
def heart(settings: Settings) -> Iterator[Heart]:
    heart = build_heart(settings)
    yield heart
    heart.close()


@pytest.fixture
def context(heart: Heart) -> dict[str, Any]:
    """Bolt's context as the middleware leaves it."""
    return {HEART: heart}


def command(name: str, text: str = "", user: str = MEMBER) -> dict[str, Any]:
    return {"command": name, "text": text, "user_id": user, "channel_id": "C0HEART", "trigger_id": "T1"}


def test_a_glossary_lookup_answers_in_the_ack_and_counts_the_lookup(heart, context):
    ack = Recorder()
    answer = glossary.glossary_command(ack=ack, command=command("/glossary", "trauma informed approach"), context=context)
    # The reply is the response the listener returns, which Bolt sends as the acknowledgement.
    assert answer.status == 200 and "Trauma-informed approach" in answer.body and not ack.calls
    heart.recorder.flush()
    rows = heart.store.db.execute("select kind, user_id, subject, hit from events").fetchall()
    assert rows == [("glossary_lookup", MEMBER, "trauma-informed-approach", 1)]


def test_a_glossary_miss_says_so_plainly_and_is_counted_for_coordinators(heart, context):
    answer = glossary.glossary_command(ack=Recorder(), command=command("/glossary", "zoom fatigue"), context=context)
    assert "doesn't have" in answer.body and "Coordinators will see this search" in answer.body
    heart.recorder.flush()
    rows = heart.store.db.execute("select subject, query, hit from events").fetchall()
    assert rows == [(None, "zoom fatigue", 0)]


def test_a_lookup_about_a_crisis_keeps_the_entry_it_opened_never_the_words_typed(settings):
    heart = build_heart(dataclasses.replace(settings, content_dir=REAL_CONTENT))
    typed = "i want to kill myself tonight"
    answer = glossary.glossary_command(ack=Recorder(), command=command("/glossary", typed), context={HEART: heart})
    assert "988" in answer.body and "you don't have to work it out alone" in answer.body
    heart.recorder.flush()
    ((subject, query, hit),) = heart.store.db.execute("select subject, query, hit from events").fetchall()
    assert (query, hit) == ("988 suicide crisis lifeline", 1) and subject is not None
    assert "kill" not in json.dumps(heart.store.db.execute("select * from events").fetchall())
    heart.close()


def test_a_suggestion_is_counted_as_answered_with_low_confidence(heart, context):
    answer = glossary.glossary_command(ack=Recorder(), command=command("/glossary", "stress"), context=context)
    assert "not sure" in answer.body
    heart.recorder.flush()
    ((subject, hit),) = heart.store.db.execute("select subject, hit from events").fetchall()
    assert subject is not None and hit == 0


def test_a_tip_sheet_section_opens_by_its_heading(context):
    ack = Recorder()
    tipsheets.tipsheet_command(ack=ack, command=command("/tipsheet", "write it down"), context=context)
    assert "Open the whole sheet" in ack.text


SHARE_NOTE = '*Share in channel* posts this for everyone in the channel, marked \\"Shared by\\" with your name.'  # as JSON


def test_share_in_channel_says_the_post_carries_your_name(context):
    """The in-channel copy says "Shared by @you": every library answer with the button says so beside it."""
    entry = glossary.glossary_command(ack=Recorder(), command=command("/glossary", "trauma informed approach"), context=context)
    assert "Share in channel" in entry.body and SHARE_NOTE in entry.body
    sheet = tipsheets.tipsheet_command(ack=Recorder(), command=command("/tipsheet", "barriers"), context=context)
    assert "Share in channel" in sheet.body and SHARE_NOTE in sheet.body
    one_section = Recorder()
    tipsheets.tipsheet_command(ack=one_section, command=command("/tipsheet", "write it down"), context=context)
    assert "Share in channel" in one_section.text and SHARE_NOTE in one_section.text


def test_an_unknown_tip_sheet_lists_the_ones_there_are(context):
    ack = Recorder()
    tipsheets.tipsheet_command(ack=ack, command=command("/tipsheet", "zzzz qqqq"), context=context)
    assert "Best Practices for Collaboration" in ack.text


def test_a_member_asking_to_add_a_session_is_refused_in_the_ack(context):
    ack = Recorder()
    session_listeners.peerhour_command(ack=ack, command=command("/peerhour", "add"), client=None, context=context)
    assert "Only coordinators" in ack.text


def test_an_rsvp_is_saved_and_answered_beside_the_post(heart, context):
    occurrence = one_session(heart.store, datetime.now(UTC).replace(microsecond=0) + timedelta(days=2))
    ack, respond = Recorder(), Recorder(response_url="https://hooks.example.org/1")
    action = {"action_id": session_blocks.GOING_ACTION, "value": occurrence.id, "block_id": f"{session_blocks.POST}|x"}
    body = {"user": {"id": MEMBER}, "trigger_id": "T2"}
    session_listeners.rsvp_clicked(ack=ack, action=action, body=body, client=None, respond=respond, context=context)
    assert ack.calls == [((), {})]
    heart.background.wait()  # the answer goes out after the ack
    assert "going to" in respond.text
    assert sessions.responders(heart.store, occurrence.id) == [MEMBER]


def test_heart_refuses_a_member_with_no_figure(heart, context):
    ack, respond = Recorder(), Recorder()
    request = {**command("/heart", "report"), "response_url": "https://hooks.example.org/2"}
    engagement.heart_command(ack=ack, command=request, respond=respond, client=None, context=context)
    assert ack.calls == [((), {})]
    heart.background.wait()
    assert "coordinators" in respond.text.casefold() and "Members engaged" not in respond.text



BLOCK_MODULES = (connection_blocks, engagement_blocks, glossary_blocks, member_blocks, session_blocks, shareout_blocks, tipsheet_blocks)
EVENTS = (
    {"type": "app_home_opened", "user": MEMBER, "tab": "home"},
    {"type": "message", "channel_type": "im", "user": MEMBER, "text": "hi"},
    {"type": "member_joined_channel", "user": MEMBER, "channel": "C0HEART"},
    {"type": "reaction_added", "user": MEMBER},
)


def every_kind_of_request() -> list[BoltRequest]:
    """A request for each command in the manifest (and an unknown one), each button and form
    heart-bot declares (with a suffix, and a prefix that must not match), and some events."""
    names = sorted(
        {value for module in BLOCK_MODULES for name, value in vars(module).items() if re.fullmatch(r"[A-Z_]+_(ACTION|CALLBACK)", name)}
    )
    assert len(names) > 20
    where = {"user_id": MEMBER, "response_url": "https://hooks.slack.com/commands/x"}
    bodies = [slack_requests.command_body(c, "x", **where) for c in (*manifest_commands(), "/unknown")]
    for name in names:
        bodies += [slack_requests.block_actions_body(action, "1", **where) for action in (name, f"{name}:2", f"x{name}")]
        bodies.append(slack_requests.view_submission_body(name, {}, user_id=MEMBER))
    bodies += [slack_requests.event_body(event) for event in EVENTS]
    requests = []
    for body in bodies:
        request = BoltRequest(body=body, headers={"content-type": "application/json" if body.startswith("{") else slack_requests.FORM})
        request.context["client"] = WebClient(token="xoxb-test")
        requests.append(request)
    return requests


def manifest_commands() -> list[str]:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return [c["command"] for c in manifest["features"]["slash_commands"]]


def test_the_app_heart_bot_serves_already_matches_on_the_body(settings, slack):
    heart = build_heart(dataclasses.replace(settings, bot_token="xoxb-test", slack_api_url=slack.api_url))
    try:
        app = create_app(heart, signing_secret="secret")
        assert match_on_body(app) == 0  # create_app replaced every built-in matcher already
    finally:
        heart.close()


def test_listeners_match_the_requests_bolt_itself_would_match_them_to():
    """create_app hands each built-in matcher the body directly (bot.app.match_on_body): for every
    command, button, form and event heart-bot knows, each listener matches exactly when Bolt's own
    matchers match, and every built-in matcher was replaced (a Bolt upgrade that changes how it
    keeps them fails here, rather than making every request silently slower)."""
    app = App(name="heart-bot", client=WebClient(token="xoxb-test"), process_before_response=True, token_verification_enabled=False)
    handlers.register_all(app)
    bolts_own = [list(listener.matchers) for listener in app._listeners]
    assert match_on_body(app) == sum(len(matchers) for matchers in bolts_own) > 50
    response = BoltResponse(status=404)
    for request in every_kind_of_request():
        for listener, own in zip(app._listeners, bolts_own, strict=True):
            lean = [matcher.matches(request, response) for matcher in listener.matchers]
            assert lean == [matcher.matches(request, response) for matcher in own], (request.raw_body[:100], listener.ack_function)
