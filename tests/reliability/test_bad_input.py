"""Bad input: thousands of generated slash commands, button presses, menu choices, form
submissions, events and raw bodies, each signed as Slack signs it and sent over HTTP to the
running bot. Whatever arrives: no 5xx, no crash, no unhandled exception in the log, no ping
relayed, and the bot still healthy afterwards.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import strategies as st

from bot.offline.server import BotServer
from bot.offline.slack_requests import APP_ID, FORM, TEAM_ID
from tests.reliability.checks import PINGS, call_payloads, log_problems, relayed_pings
from tests.reliability.conftest import COORDINATOR, MEMBER
from tests.reliability.fuzz import run_property
from tests.reliability.ledger import proves
from tests.reliability.surface import ACTION_IDS, CALLBACK_IDS, FORM_BLOCKS, manifest_commands, matches, registered
from tests.reliability.wire import Wire

COMMANDS = manifest_commands()
UNKNOWN_COMMANDS = ("/unknown", "/shareout2", "/HEART", "")
# Cases per target in the default profile (the report multiplies them by the targets).
PER_COMMAND = 150
MALFORMED_COMMANDS = 300
PER_ACTION = 40
PER_FORM = 80
EVENTS = 150
RAW_BODIES = 250

# ----------------------------------------------------------------------------- generated text

SQL = ("'; DROP TABLE shareouts; --", '" OR 1=1 --', "1; DELETE FROM events", "%' OR '%'='", "_%", "\\'", "NULL")
PATHS = (
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/shadow",
    "%2e%2e%2f%2e%2e%2f",
    "~/.ssh/id_rsa",
    "file:///etc/hosts",
)
CONTROL = ("\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\x7f", "\u0085", "\u2028", "\ufeff", "\u200b")
BIDI = ("\u202e", "\u202d", "\u200f", "\u200e", "\u2066", "\u2067", "\u2069", "\u061c")
EMOJI = ("🧠", "💔", "👩🏽‍⚕️", "🏳️‍⚧️", ":skull:", ":+1::skin-tone-3:", "̸̢̛͓͉̈́ͅZ̵a̶l̸g̷o̴")
NUMBERS = ("0", "-1", "9" * 400, "1e309", "NaN", "Infinity", "0x7fffffff", "2026-13-45", "2026-02-30", "99:99", "25:00")
WORDS = (
    "list",
    "help",
    "next",
    "add",
    "mine",
    "export",
    "report",
    "chart",
    "last month",
    "2026-11",
    "2026-11-01..2026-11-15",
    "this week",
    "school",
    "barriers",
    "TIC",
    "killing it",
    "I want to end it all",
    "Jane Smith 555-123-4567",
)
FRAGMENT = st.sampled_from(PINGS + SQL + PATHS + CONTROL + BIDI + EMOJI + NUMBERS + WORDS)
# No lone surrogates: Slack sends UTF-8, which cannot carry them.
UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
TEXT = st.lists(st.one_of(FRAGMENT, UNICODE), max_size=8).map(" ".join)
HUGE = st.sampled_from((2_001, 4_000, 40_000, 120_000)).flatmap(
    lambda n: st.sampled_from(("x", "é", "🧠", "<!here>")).map(lambda c: c * n)
)
ANY_TEXT = st.one_of(TEXT, TEXT, TEXT, UNICODE, HUGE)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=10,
)
# Ids come from Slack itself (the request is signed), so odd ones are malformed, never attacks.
USERS = st.sampled_from((MEMBER, MEMBER, COORDINATOR, "UOTHER2", "W0ENTERPRISE", "", "u-lower", "U" * 300))
CHANNELS = st.sampled_from(("C0HEART", "D0DIRECT", "G0PRIVATE", "", "c-lower", "C" * 300, "../C0HEART"))


@pytest.fixture
def wire(bot: BotServer) -> Iterator[Wire]:
    with Wire(bot.port) as connection:
        yield connection


@pytest.fixture
def watch(bot: BotServer, local_slack) -> Iterator[Callable[[Any], None]]:
    """Checks the whole test: the ack bodies seen (``watch(answer)``), then, once the bot is
    quiet, its Slack calls, its health and its log since the test began."""
    local_slack.clear()
    log_start = len(bot.log())
    acks: list[Any] = []

    def seen(answer: Any) -> None:
        assert answer.status < 500, f"HTTP {answer.status}: {answer.body[:300]}"
        assert bot.process is not None and bot.process.poll() is None, "the bot exited"
        acks.append(answer.json if answer.body.strip().startswith("{") else answer.body)

    yield seen
    settle(local_slack)
    assert relayed_pings(acks) == []
    assert relayed_pings(call_payloads(local_slack.calls)) == []
    with Wire(bot.port) as check:
        assert check.healthz().status == 200
    assert log_problems(bot.log()[log_start:]) == []


def settle(slack, quiet: float = 0.5, limit: float = 60.0) -> None:
    """Wait until the bot has made no Slack call for ``quiet`` seconds (work after the acks)."""
    deadline = time.monotonic() + limit
    seen, since = len(slack.calls), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if len(slack.calls) != seen:
            seen, since = len(slack.calls), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def known_ids(bot: BotServer) -> dict[str, list[str]]:
    """Ids that exist in the bot's database, so generated values also reach the code behind a lookup."""
    with sqlite3.connect(bot.database_path) as db:
        return {
            "occurrence": [r[0] for r in db.execute("select id from occurrences order by starts_at limit 5")],
            "series": [r[0] for r in db.execute("select id from series limit 3")],
            "shareout": [str(r[0]) for r in db.execute("select id from shareouts order by id limit 5")],
        }


def seed(bot: BotServer, wire: Wire) -> dict[str, list[str]]:
    """A few share-outs to edit, delete and page through."""
    for n in range(3):
        assert wire.post(command_body("/shareout", f"seed reflection {n}", MEMBER, "C0HEART", bot)).status == 200
    return known_ids(bot)


def command_fields(command: str, text: str, user: str, channel: str, bot: BotServer) -> dict[str, str]:
    """A slash command's form fields, as Slack sends them."""
    return {
        "token": "deprecated",
        "team_id": TEAM_ID,
        "team_domain": "heart",
        "channel_id": channel,
        "channel_name": "peer-support",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "response_url": bot.local_slack.response_url(),
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(8)}",
    }


def command_body(command: str, text: str, user: str, channel: str, bot: BotServer) -> str:
    return urlencode(command_fields(command, text, user, channel, bot))


def interaction(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


# ----------------------------------------------------------------------------- coverage of the surface


@proves(
    "Bad input",
    (
        "Listener coverage: every command in manifest.yml and every action, form and event listener the "
        "handlers register has generated cases below"
    ),
    len(ACTION_IDS) + len(CALLBACK_IDS) + len(COMMANDS) + 1,
    "each registered listener matched by a generated target",
)
def test_every_registered_listener_is_a_fuzz_target(local_slack, tmp_path):
    found = registered(local_slack, tmp_path / "surface.db")
    for constraint in found.actions:
        assert any(matches(constraint, a) for a in ACTION_IDS), f"no generated cases for action {constraint!r}"
    for constraint in found.views:
        assert any(matches(constraint, c) for c in CALLBACK_IDS), f"no generated cases for form {constraint!r}"
    for constraint in found.events:
        assert constraint in ("app_home_opened",), f"no generated cases for event {constraint!r}"
    named = [c for c in found.commands if isinstance(c, str)]
    assert sorted(named) == sorted(COMMANDS), "manifest.yml and the registered commands differ"
    assert all(any(matches(c, a) for c in found.actions) for a in ACTION_IDS), "a generated action id no longer exists"
    assert all(any(matches(c, cb) for c in found.views) for cb in CALLBACK_IDS), "a generated form no longer exists"


# ----------------------------------------------------------------------------- slash commands


@pytest.mark.parametrize("command", [*COMMANDS, "/unknown"])
@proves(
    "Bad input",
    (
        "Slash command texts (every command in manifest.yml and an unknown one): known verbs, Slack control "
        "sequences, SQL and path fragments, control and bidi characters, emoji, Zalgo, huge numbers and texts"
        " to 120,000 characters, as member and coordinator"
    ),
    PER_COMMAND * (len(COMMANDS) + 1),
    "no 5xx; no ping relayed in any ack or Slack call; no unhandled exception in the log; /healthz 200",
    fixed=(
        "A glossary miss echoed the typed term unescaped in its notification text, so <!here> could ping; a"
        " quick share-out of 120,000 characters broke Slack's 50-block limit and failed instead of answering."
        " A lookup of one 120,000-letter word held its request for ten seconds while the safety net measured"
        " it as a possible typo."
    ),
)
def test_slash_command_texts(bot, wire, watch, command):
    def case(verb: str, text: str, user: str, channel: str) -> None:
        watch(wire.post(command_body(command, f"{verb} {text}".strip(), user, channel, bot)))

    run_property(
        PER_COMMAND, f"{command} texts", case, verb=st.sampled_from(("", *WORDS[:8])), text=ANY_TEXT, user=USERS, channel=CHANNELS
    )


FIELDS = ("token", "team_id", "channel_id", "user_id", "user_name", "command", "text", "response_url", "trigger_id", "api_app_id")
RESPONSE_URLS = ("", "not a url", "http://127.0.0.1:9/closed", "//127.0.0.1", "javascript:alert(1)")


@proves(
    "Bad input",
    (
        "Malformed slash command bodies: fields missing, repeated, empty, of another kind or huge; response "
        "URLs and trigger ids that go nowhere; commands not in the manifest"
    ),
    MALFORMED_COMMANDS,
    "no 5xx; no unhandled exception; /healthz 200",
    fixed=(
        "A response URL that is not a URL, or cannot be reached, made respond() raise after the ack; the "
        "member is answered by DM."
    ),
)
def test_malformed_command_bodies(bot, wire, watch):
    commands = st.sampled_from((*COMMANDS, *UNKNOWN_COMMANDS))

    def case(command: str, drop: set[str], replace: dict[str, str], repeat: set[str], text: str) -> None:
        fields = command_fields(command, text, MEMBER, "C0HEART", bot)
        for name, value in replace.items():
            if name == "response_url" and value not in RESPONSE_URLS:
                continue  # the bot posts to a response URL: never anywhere but here
            fields[name] = value
        pairs = [(k, v) for k, v in fields.items() if k not in drop]
        pairs += [(k, "second " + fields[k]) for k in repeat if k in fields and k != "response_url"]
        watch(wire.post(urlencode(pairs)))

    run_property(
        MALFORMED_COMMANDS,
        "malformed command bodies",
        case,
        command=commands,
        drop=st.sets(st.sampled_from(FIELDS)),
        replace=st.dictionaries(st.sampled_from(FIELDS), st.one_of(ANY_TEXT, st.sampled_from(RESPONSE_URLS)), max_size=4),
        repeat=st.sets(st.sampled_from(FIELDS), max_size=3),
        text=ANY_TEXT,
    )


# ----------------------------------------------------------------------------- buttons and menus


def action_values(ids: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    real = [*ids["occurrence"], *ids["series"], *ids["shareout"]]
    verbs = [f"{verb}|{oid}" for verb in ("edit", "move", "cancel", "delete") for oid in ids["occurrence"][:2]]
    return st.one_of(
        ANY_TEXT,
        st.sampled_from(real + verbs + ["school-systems", "trauma-informed-approach", "staff-wellness:2", "x:999999", "-1", "0"]),
        JSONISH,
    )


@st.composite
def block_action(draw: st.DrawFn, action_id: str, values: st.SearchStrategy[Any], bot: BotServer) -> dict[str, Any]:
    """A block_actions payload, usually well formed, sometimes bent out of shape."""
    value = draw(values)
    kind = draw(st.sampled_from(("button", "static_select", "overflow", "multi_static_select", "broken")))
    action: Any = {
        "action_id": action_id,
        "block_id": draw(st.one_of(st.sampled_from(("b", "list|x", "home|heart", "post", "glossary_suggestions")), TEXT)),
        "action_ts": "1.2",
    }
    if kind == "button":
        action |= {"type": "button", "value": value}
    elif kind in ("static_select", "overflow"):
        action |= {"type": kind, "selected_option": draw(st.one_of(st.just({"value": value}), JSONISH))}
    elif kind == "multi_static_select":
        action |= {"type": kind, "selected_options": draw(st.one_of(st.lists(st.just({"value": value}), max_size=3), JSONISH))}
    else:
        action = draw(st.one_of(st.just(value), st.just({"action_id": action_id, **({"value": value} if value else {})})))
    user: Any = {"id": draw(USERS), "team_id": TEAM_ID}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": draw(st.one_of(st.just(user), st.just(user), JSONISH)),
        "api_app_id": APP_ID,
        "trigger_id": draw(st.one_of(st.just(f"{int(time.time())}.1.{secrets.token_hex(4)}"), st.none(), TEXT)),
        "actions": draw(st.one_of(st.just([action]), st.just([action, action]), st.just([action]), JSONISH)),
    }
    surface = draw(st.sampled_from(("message", "view", "home", "none")))
    if surface == "message":
        payload |= {
            "container": {"type": "message", "channel_id": draw(CHANNELS), "is_ephemeral": True},
            "channel": {"id": draw(CHANNELS)},
            "response_url": bot.local_slack.response_url(),
        }
    elif surface in ("view", "home"):
        view = {"id": draw(st.sampled_from(("V0", "VHOME", ""))), "type": "modal" if surface == "view" else "home"}
        view |= {"private_metadata": draw(ANY_TEXT), "callback_id": draw(st.sampled_from(CALLBACK_IDS + ("heart_home", "")))}
        payload |= {
            "container": {"type": "view", "view_id": view["id"]},
            "view": draw(st.one_of(st.just(view), st.just(view), JSONISH)),
        }
    return payload


@pytest.mark.parametrize("action_id", ACTION_IDS)
@proves(
    "Bad input",
    (
        "Button presses and menu choices for every action id the handlers register: values of every kind "
        "(text, numbers, lists, objects, ids that exist and that don't), malformed actions, users and views, "
        "from messages, modals and the Home tab"
    ),
    PER_ACTION * len(ACTION_IDS),
    "no 5xx; no ping relayed; no unhandled exception; /healthz 200",
    fixed=(
        "Bolt answered 500 to signed bodies of shapes Slack never sends (actions not a list of objects, a "
        "user that is a number); they get a 400 now, before Bolt reads them. A glossary or tip sheet button "
        "pressed without a response URL (in a modal, on the Home tab) made respond() raise; heart-bot answers"
        " by DM instead."
    ),
)
def test_button_presses_and_menu_choices(bot, wire, watch, action_id):
    ids = seed(bot, wire) if action_id.startswith("shareout") else known_ids(bot)
    values = action_values(ids)

    def case(payload: dict[str, Any]) -> None:
        watch(wire.post(interaction(payload)))

    run_property(PER_ACTION, f"{action_id} presses", case, payload=block_action(action_id, values, bot))


# ----------------------------------------------------------------------------- forms


def element_state(ids: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    option_values = st.one_of(
        ANY_TEXT,
        st.sampled_from(
            (
                *ids["occurrence"],
                "none",
                "coordinators",
                "anonymous",
                "channel_named",
                "weekly",
                "America/New_York",
                "Mars/Olympus",
                "15",
                "1440",
            )
        ),
    )
    return st.one_of(
        st.builds(lambda v: {"type": "plain_text_input", "value": v}, st.one_of(ANY_TEXT, st.none(), JSONISH)),
        st.builds(lambda v: {"type": "static_select", "selected_option": {"value": v}}, option_values),
        st.builds(lambda v: {"type": "static_select", "selected_option": v}, JSONISH),
        st.builds(
            lambda vs: {"type": "multi_static_select", "selected_options": [{"value": v} for v in vs]},
            st.lists(option_values, max_size=5),
        ),
        st.builds(lambda d: {"type": "datepicker", "selected_date": d}, st.one_of(st.dates().map(str), ANY_TEXT)),
        st.builds(
            lambda t: {"type": "timepicker", "selected_time": t},
            st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), ANY_TEXT),
        ),
        st.builds(lambda c: {"type": "conversations_select", "selected_conversation": c}, CHANNELS),
        st.builds(lambda v: {"type": "number_input", "value": v}, st.sampled_from(NUMBERS)),
        JSONISH,
    )


def metadata(callback_id: str, ids: dict[str, list[str]]) -> st.SearchStrategy[str]:
    occurrences = st.sampled_from([*ids["occurrence"], "gone-session", "", "../../x"])
    if callback_id == "shareout_form":
        shareout = st.one_of(st.sampled_from([int(i) for i in ids["shareout"]] or [1]), st.none(), JSONISH)
        structured = st.builds(lambda e, c, w: json.dumps({"editing": e, "channel": c, "warned": w}), shareout, CHANNELS, JSONISH)
    else:
        structured = st.builds(lambda s, o: f"{s}|{o}", st.sampled_from(("list", "home", "post", "", "evil")), occurrences)
    return st.one_of(structured, structured, ANY_TEXT, JSONISH.map(json.dumps))


@pytest.mark.parametrize("callback_id", CALLBACK_IDS)
@proves(
    "Bad input",
    (
        "Form submissions for every modal: each input missing, empty, huge or of the wrong element type; "
        "dates, times, zones, channels and links that make no sense; private metadata forged or garbled; as "
        "member and coordinator"
    ),
    PER_FORM * len(CALLBACK_IDS),
    "no 5xx (field errors or a kind notice instead); no ping relayed; no unhandled exception; /healthz 200",
)
def test_form_submissions(bot, wire, watch, callback_id):
    ids = seed(bot, wire)
    blocks = FORM_BLOCKS[callback_id]

    def case(values: dict[str, Any], meta: str, user: str, view_id: str) -> None:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID},
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "trigger_id": f"{int(time.time())}.1.{secrets.token_hex(4)}",
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": meta,
                "state": {"values": values},
                "hash": secrets.token_hex(4),
            },
        }
        watch(wire.post(interaction(payload)))

    run_property(
        PER_FORM,
        f"{callback_id} submissions",
        case,
        values=st.fixed_dictionaries(
            {}, optional={b: st.dictionaries(st.sampled_from((b, "x")), element_state(ids), max_size=2) for b in blocks}
        ),
        meta=metadata(callback_id, ids),
        user=USERS,
        view_id=st.one_of(st.just(""), st.text("ABCDEFV0123456789", min_size=1, max_size=12)),
    )


# ----------------------------------------------------------------------------- events and raw bodies


@proves(
    "Bad input",
    (
        "Events API callbacks: app_home_opened with users, tabs and views of every kind, unknown event types,"
        " missing events, url_verification challenges, retries"
    ),
    EVENTS,
    "no 5xx; no unhandled exception; /healthz 200",
)
def test_events(bot, wire, watch):
    event = st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("app_home_opened"),
                "user": st.one_of(USERS, JSONISH),
                "tab": st.sampled_from(("home", "messages", "", "evil")),
                "view": JSONISH,
            }
        ),
        st.fixed_dictionaries(
            {"type": st.sampled_from(("message", "app_mention", "team_join", "", "app_home_opened"))},
            optional={"user": JSONISH, "text": ANY_TEXT},
        ),
        JSONISH,
    )

    def case(event: Any, kind: str, retry: str, challenge: str) -> None:
        body = {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "type": kind,
            "event_id": f"Ev{secrets.token_hex(5)}",
            "event_time": 1,
            "event": event,
        }
        if kind == "url_verification":
            body = {"type": kind, "token": "deprecated", "challenge": challenge}
        extra = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        watch(wire.post(json.dumps(body), "application/json", extra=extra))

    run_property(
        EVENTS,
        "events",
        case,
        event=event,
        kind=st.sampled_from(("event_callback", "event_callback", "url_verification", "app_rate_limited", "")),
        retry=st.sampled_from(("", "1", "3", "x")),
        challenge=ANY_TEXT,
    )


CONTENT_TYPES = (
    FORM,
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=latin-1",
    "",
)


@proves(
    "Bad input",
    (
        "Raw bodies, correctly signed: payload that is not JSON or is a list, a number or null; JSON that is "
        "not an object; bytes that are not UTF-8; empty and 1 MB bodies; every content type"
    ),
    RAW_BODIES,
    "no 5xx (400 or 404 for what Slack never sends); no unhandled exception; /healthz 200",
)
def test_raw_bodies(bot, wire, watch):
    body = st.one_of(
        JSONISH.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
        ANY_TEXT.map(lambda t: urlencode({"payload": t}).encode()),
        JSONISH.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.sampled_from(
            (
                b"",
                b"payload=",
                b"payload=%FF%FE",
                b"\xff\xfe\x00",
                b"command=%2Fheart&text=%C0%AF",
                b"{",
                b"[]",
                b"null",
                b"x" * 1_000_000,
            )
        ),
        st.builds(lambda t: urlencode({"command": "/glossary", "text": t, "user_id": MEMBER}).encode(), ANY_TEXT),
    )

    def case(raw: bytes, content_type: str) -> None:
        watch(wire.post(raw, content_type))

    run_property(RAW_BODIES, "raw bodies", case, raw=body, content_type=st.sampled_from(CONTENT_TYPES))
