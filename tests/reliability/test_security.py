"""Attacks: forged and replayed requests, pings smuggled into member text, members replaying a
coordinator's buttons and forms or another member's share-out buttons. The real bot, over
signed HTTP, against the local Slack.
"""

from __future__ import annotations

import datetime as dt

import json
import sqlite3
import time
from typing import Any

import pytest
from hypothesis import strategies as st

from bot.offline import slack_requests
from bot.offline.localslack import LocalSlack
from bot.offline.server import SIGNING_SECRET, BotServer, http
from tests.reliability.checks import PINGS, call_payloads, reconciled_twice, relayed_pings
from tests.reliability.conftest import COORDINATOR, MEMBER
from tests.reliability.fuzz import run_property
from tests.reliability.ledger import proves, ran
from tests.reliability.wire import Wire, signature
from tests.support.forms import add_form
from tests.support.waiting import eventually
from tests.support.forms import form as shareout_form
from tests.support.session_helpers import one_session, soon

OTHER = "UOTHER2"
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)  # what an HTTP header can carry


def rows(bot: BotServer, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(bot.database_path) as db:
        return db.execute(sql, params).fetchall()


def reply_to(slack: LocalSlack, answer: Any) -> dict[str, Any]:
    """What the member saw: the ack's message, or else the last post to its response URL."""
    if answer.json.get("blocks"):
        return answer.json
    return slack.responses(answer.response_url)[-1]


# ----------------------------------------------------------------------------- signatures


def _command(text: str = "forged quokka reflection") -> str:
    return slack_requests.command_body("/shareout", text, user_id=MEMBER, response_url="http://127.0.0.1:9/none")


def _click() -> str:
    return slack_requests.block_actions_body(
        "heart_export", "last 30 days", user_id=COORDINATOR, response_url="http://127.0.0.1:9/x"
    )


def _event() -> str:
    return slack_requests.event_body({"type": "app_home_opened", "user": MEMBER, "tab": "home"})


BODIES = {"slash command": _command, "button press": _click, "event": _event}
FORGERIES = {
    "signed with another secret": lambda body: {"secret": "not-the-signing-secret"},
    "body changed after signing": lambda body: {"signed_body": body + "&text=other"},
    "timestamp 310 s old": lambda body: {"timestamp": int(time.time()) - 310},
    "timestamp 310 s ahead": lambda body: {"timestamp": int(time.time()) + 310},
    "replayed a day later": lambda body: {"timestamp": int(time.time()) - 86_400},
    "signature header missing": lambda body: {"drop": ("X-Slack-Signature",)},
    "timestamp header missing": lambda body: {"drop": ("X-Slack-Request-Timestamp",)},
    "both headers missing": lambda body: {"drop": ("X-Slack-Signature", "X-Slack-Request-Timestamp")},
    "timestamp not a number": lambda body: {"headers": {"X-Slack-Request-Timestamp": "soon"}},
    "timestamp empty": lambda body: {"headers": {"X-Slack-Request-Timestamp": ""}},
    "signature of another version (v1=)": lambda body: {"headers": {"X-Slack-Signature": "v1=" + "0" * 64}},
    "signature empty": lambda body: {"headers": {"X-Slack-Signature": ""}},
}


def forged_request(body: str, forgery: dict[str, Any]) -> dict[str, str]:
    stamp = str(forgery.get("timestamp", int(time.time())))
    signed = forgery.get("signed_body", body)
    headers = {
        "Content-Type": slack_requests.FORM if "payload" in body or "command" in body else "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(forgery.get("secret", SIGNING_SECRET), stamp, signed.encode()),
        **forgery.get("headers", {}),
    }
    for name in forgery.get("drop", ()):
        headers.pop(name)
    return headers


@pytest.mark.parametrize("kind", list(BODIES))
@pytest.mark.parametrize("forgery", list(FORGERIES))
@proves(
    "Attack",
    "Forged and replayed requests: another secret, a body changed after signing, timestamps over 5 minutes old or ahead, a "
    "day-old replay, each header missing, malformed timestamps and signatures; for a slash command, a button "
    "press and an event",
    len(FORGERIES) * len(BODIES),
    "401 with a body that says nothing more; nothing saved, nothing sent to Slack",
    fixed="A timestamp header that is not a number made Bolt's signature check raise: a 500 instead of a 401.",
)
def test_a_forged_or_replayed_request_is_refused(bot, slack, kind, forgery):
    # Each case's share-out text is its own, so one forgery let through fails its own case, not every later one.
    body = _command(f"forged quokka reflection: {forgery}") if kind == "slash command" else BODIES[kind]()
    answer = http("POST", bot.url + "/slack/events", body, forged_request(body, FORGERIES[forgery](body)))
    assert answer.status == 401
    assert answer.json == {"error": "invalid request"}
    assert rows(bot, "select count(*) from shareouts where text = ?", f"forged quokka reflection: {forgery}") == [(0,)]
    assert slack.calls == []


@proves(
    "Attack",
    "Generated forgeries: random texts signed with random secrets, at random skews beyond 5 minutes, or with random signatures",
    300,
    "every forgery 401; the same body genuinely signed answered 200",
)
def test_generated_forgeries_are_refused(bot):
    with Wire(bot.port) as wire:

        def case(text: str, secret: str, skew: int, forged: str) -> None:
            body = slack_requests.command_body("/glossary", text, user_id=MEMBER, response_url="http://127.0.0.1:9/none")
            assert wire.post(body, secret=secret).status == 401
            assert wire.post(body, timestamp=int(time.time()) + skew).status == 401
            stamp = str(int(time.time()))
            headers = {"Content-Type": slack_requests.FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": forged}
            assert wire.request("POST", "/slack/events", body.encode(), headers).status == 401
            assert wire.post(body).status == 200

        run_property(
            300,
            "forgeries",
            case,
            text=st.text(max_size=60),
            secret=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and s != SIGNING_SECRET),
            skew=st.one_of(st.integers(-(10**6), -310), st.integers(310, 10**6)),
            forged=st.one_of(st.binary(min_size=32, max_size=32).map(lambda b: "v0=" + b.hex()), st.text(PRINTABLE, max_size=80)),
        )


# ----------------------------------------------------------------------------- relayed pings

SMUGGLED = " ".join(PINGS)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons and menus by action id."""
    found = {}
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id"):
                found[element["action_id"]] = element
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("action_id"):
            found[accessory["action_id"]] = accessory
    return found


def submit_shareout(bot: BotServer, text: str, visibility: str, user: str = MEMBER, channel: str = "C0HEART") -> Any:
    meta = json.dumps({"editing": None, "channel": channel, "warned": True})
    return bot.submit("shareout_form", shareout_form(text, visibility=visibility), user=user, private_metadata=meta)


def every_surface_with_smuggled_text(bot: BotServer, slack: LocalSlack) -> list[Any]:
    """Put the attacker's text everywhere a member or coordinator can type, and return every ack."""
    acks = []
    for command, text, user in [
        ("/glossary", SMUGGLED, MEMBER),
        ("/glossary", f"list {SMUGGLED}", MEMBER),
        ("/glossary", f"trauma {SMUGGLED}", MEMBER),
        ("/tipsheet", SMUGGLED, MEMBER),
        ("/peerhour", SMUGGLED, MEMBER),
        ("/heart", SMUGGLED, COORDINATOR),
        ("/heart", f"chart {SMUGGLED}", COORDINATOR),
        ("/heart", SMUGGLED, MEMBER),
        ("/nosuchcommand", SMUGGLED, MEMBER),
        ("/shareout", f"I want to end it all {SMUGGLED}", MEMBER),
    ]:
        answer = bot.command(command, text, user=user)
        acks.append(answer.json or answer.body)
    # Text that seems to identify someone is asked about before it is stored: "Save as it is" saves it.
    confirmation = acks[-1]
    if "shareout_check_save" in buttons(confirmation):
        saved = bot.click("shareout_check_save", buttons(confirmation)["shareout_check_save"]["value"], user=MEMBER)
        confirmation = slack.responses(saved.response_url)[-1]
        acks.append(confirmation)
    # The quick path's buttons: the safety net's check-in, with the member's name.
    checkin = buttons(confirmation)["shareout_checkin_named"]
    acks.append(bot.click("shareout_checkin_named", checkin["value"]).json)
    for visibility in ("channel_named", "channel_anonymous", "anonymous", "coordinators"):
        acks.append(submit_shareout(bot, f"{visibility} {SMUGGLED}", visibility).json)
    for command in ("mine", "export"):
        acks.append(bot.command("/shareout", command).json)
    # Glossary and tip sheet shares carry the sharer's name in the channel.
    entry = bot.command("/glossary", "TIC")
    acks.append(bot.click("glossary_share", buttons(entry.json)["glossary_share"]["value"]).json)
    # Sessions: a coordinator's form full of pings, then the places its words appear.
    values = add_form(title=f"Circle {SMUGGLED}"[:100], channel="C0PEER", repeat="once", count="")
    values["topic"]["topic"]["value"] = SMUGGLED[:200]
    values["facilitator"]["facilitator"]["value"] = SMUGGLED[:100]
    values["description"]["description"]["value"] = SMUGGLED
    acks.append(bot.submit("peerhour_add", values, user=COORDINATOR).json)
    acks.append(bot.command("/peerhour", "", user=MEMBER).json)
    acks.append(bot.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}).body)
    return acks


def notices_sent(bot: BotServer, occurrence_id: str, kind: str) -> int:
    sql = "select count(*) from deliveries where occurrence_id = ? and kind like ? and recipient = 'channel' and state = 'sent'"
    return rows(bot, sql, occurrence_id, kind)[0][0]


@proves(
    "Attack",
    "Pings and disguised links in every text a member or coordinator types (<!channel>, <!here>, <!everyone>, "
    "<@U…>, <#C…>, <!subteam^…>, <https://…|label>, <mailto:…>, <!date^…>): every command, the share-out form in "
    "each visibility, mine, export, the check-in, glossary shares, a session's title, topic, facilitator, "
    "description and notes, its reminder, its move and cancellation notices, the Home tab",
    30,
    "nothing the bot posts, acks, publishes or uploads carries a live ping or link: each shows as typed (&lt;!channel&gt;); "
    "channel posts of member text don't unfurl",
)
def test_no_ping_or_disguised_link_is_relayed_anywhere(bot, slack):
    acks = every_surface_with_smuggled_text(bot, slack)
    # A session with the attacker's title, due now: its reminder goes to the channel and to a subscriber.
    from bot.store import Store

    store = Store(bot.database_path)
    occurrence = one_session(store, soon(60 + 2), title=f"Hour {SMUGGLED}"[:100], offsets=(1,), channel="C0PEER")
    with store.transaction() as db:
        db["subscriptions"].insert({"series_id": occurrence.series_id, "user_id": MEMBER, "created_at": 0})
        db["rsvps"].insert({"occurrence_id": occurrence.id, "user_id": OTHER, "response": "going", "updated_at": 0})
    eventually(
        lambda: any(
            "Hour" in json.dumps(c.args) for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == "C0PEER"
        ),
        what="the reminder",
    )
    for verb in ("move", "cancel"):
        note = {"note": {"note": {"type": "plain_text_input", "value": SMUGGLED[:200]}}}
        values = note
        if verb == "move":
            # The next day, so the new time is ahead whatever the hour the test runs at.
            day = (occurrence.starts_at.astimezone(occurrence.tz).date() + dt.timedelta(days=1)).isoformat()
            values = note | {"date": {"date": {"selected_date": day}}, "time": {"time": {"selected_time": "23:30"}}}
        acks.append(bot.submit(f"peerhour_{verb}", values, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}").json)
        kind = "moved%" if verb == "move" else "cancelled%"
        eventually(lambda kind=kind: notices_sent(bot, occurrence.id, kind), what=f"the {verb} notice")
    sent = call_payloads(slack.calls)
    reached = {(c.method, c.args.get("channel")) for c in slack.calls if "_failed" not in c.args}
    assert {("chat.postMessage", "C0HEART"), ("chat.postMessage", "C0PEER"), ("chat.postMessage", MEMBER)} <= reached
    assert {("chat.postMessage", COORDINATOR), ("views.publish", None), ("files.completeUploadExternal", None)} <= reached
    assert relayed_pings(acks) == []
    assert relayed_pings(sent) == []
    everything = json.dumps([acks, sent])
    assert "&lt;!channel&gt;" in everything and "&lt;@UEVIL01&gt;" in everything  # relayed, but as text
    for call in slack.calls_to("chat.postMessage"):
        if call.args.get("channel", "").startswith("C") and "_failed" not in call.args:
            assert str(call.args.get("unfurl_links")).lower() in ("false", "0"), call.args.get("text")


# ----------------------------------------------------------------------------- authorization

HEART_REFUSAL = "coordinators' toolkit"
SESSIONS_REFUSAL = "Only coordinators"


def coordinator_buttons(bot: BotServer, slack: LocalSlack) -> list[tuple[str, str, str, bool]]:
    """Every coordinator button and menu choice, as (action id, value, block id, is a menu), read from
    what the bot showed a coordinator: the report and the session list."""
    report = reply_to(slack, bot.command("/heart", "report last 30 days", user=COORDINATOR))
    listing = bot.command("/peerhour", "", user=COORDINATOR).json
    found = []
    for message in (report, listing):
        for block in message["blocks"]:
            for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
                action_id = element.get("action_id", "")
                if not action_id.startswith(("heart_", "peerhour_manage", "peerhour_add")):
                    continue
                if element.get("options"):
                    found += [(action_id, option["value"], block.get("block_id", "b"), True) for option in element["options"]]
                else:
                    found.append((action_id, element.get("value", ""), block.get("block_id", "b"), False))
    return found


@proves(
    "Attack",
    "A member replays each coordinator button and menu choice exactly as the bot showed it to a coordinator (report, "
    "chart, export, period menu, Add session, each session's edit, move and cancel), and sends each coordinator "
    "command (/heart, report, chart, export, a period, /peerhour add)",
    29,
    "each refused politely with no figure; no form opened, no file sent, nothing changed; the same buttons work "
    "for the coordinator",
)
def test_a_member_replaying_coordinator_buttons_and_commands_is_refused(bot, slack):
    replays = coordinator_buttons(bot, slack)
    assert {a for a, *_ in replays} >= {"heart_chart", "heart_export", "heart_report_period", "peerhour_manage", "peerhour_add"}
    slack.clear()
    before = rows(bot, "select id, status, starts_at from occurrences order by id")
    for action_id, value, block_id, menu in replays:
        answer = bot.click(action_id, value, user=MEMBER, block_id=block_id, selected=menu)
        said = json.dumps(reply_to(slack, answer))
        assert HEART_REFUSAL in said or SESSIONS_REFUSAL in said, (action_id, value)
    commands = ["", "help", "report", "report last month", "chart", "export", "export 2026-11", "last 30 days"]
    for text in commands:
        said = json.dumps(reply_to(slack, bot.command("/heart", text, user=MEMBER)))
        assert HEART_REFUSAL in said and "Sessions held" not in said, text
    assert SESSIONS_REFUSAL in json.dumps(bot.command("/peerhour", "add", user=MEMBER).json)
    assert slack.calls_to("views.open") == [] and slack.calls_to("files.completeUploadExternal") == []
    assert rows(bot, "select id, status, starts_at from occurrences order by id") == before
    ran(len(replays) + len(commands) + 1, 29, "coordinator replays")
    # The very same buttons do work for a coordinator.
    chart = next(r for r in replays if r[0] == "heart_chart")
    bot.click(chart[0], chart[1], user=COORDINATOR, block_id=chart[2])
    slack.wait_for("files.completeUploadExternal")


@proves(
    "Attack",
    "A member submits each coordinator form (add, edit, move, cancel a session) with valid values, as captured "
    "from the forms the bot opened for a coordinator",
    4,
    "each refused with a field error; no series added, no session changed, nobody told",
)
def test_a_member_submitting_coordinator_forms_is_refused(bot, slack):
    from bot.store import Store

    occurrence = one_session(Store(bot.database_path), soon(5 * 86400), title="Guarded hour", offsets=())
    forms = {}
    bot.command("/peerhour", "add", user=COORDINATOR)
    forms["peerhour_add"] = slack.wait_for("views.open")[-1].args
    for verb in ("edit", "move", "cancel"):
        bot.click(
            "peerhour_manage", f"{verb}|{occurrence.id}", user=COORDINATOR, block_id=f"ph_list|{occurrence.id}", selected=True
        )
        forms[f"peerhour_{verb}"] = slack.wait_for("views.open", len(forms) + 1)[-1].args
    day = (occurrence.starts_at.astimezone(occurrence.tz)).date().isoformat()
    values = {
        "peerhour_add": add_form(title="Sneaky series"),
        "peerhour_edit": {"topic": {"topic": {"value": "Sneaky topic"}}, "link": {"link": {"value": "https://evil.example/"}}},
        "peerhour_move": {"date": {"date": {"selected_date": day}}, "time": {"time": {"selected_time": "06:00"}}},
        "peerhour_cancel": {"note": {"note": {"value": "Sneaky cancel"}}},
    }
    slack.clear()
    before = rows(bot, "select id, status, starts_at, topic, join_url from occurrences order by id")
    for callback_id, args in forms.items():
        view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
        assert view["callback_id"] == callback_id
        answer = bot.submit(callback_id, values[callback_id], user=MEMBER, private_metadata=view.get("private_metadata", ""))
        assert answer.json["response_action"] == "errors" and SESSIONS_REFUSAL in json.dumps(answer.json), callback_id
    assert rows(bot, "select id, status, starts_at, topic, join_url from occurrences order by id") == before
    assert rows(bot, "select count(*) from series where title = 'Sneaky series'") == [(0,)]
    reconciled_twice(bot)  # a change would have been scheduled to send a notice by now
    assert slack.calls_to("chat.postMessage") == []


@proves(
    "Attack",
    "A member presses another member's share-out buttons (edit, delete, check-in with and without name) with "
    "its real id, and submits the share-out form claiming to edit it",
    5,
    "edit, delete and the form told the share-out is gone; the check-in buttons ask the coordinators to check in on "
    "the presser (by name, or without it), as for a share-out of their own; the owner's share-out unchanged, and "
    "neither its words nor its author sent anywhere; no form opened",
)
def test_a_member_cannot_touch_another_members_shareout(bot, slack):
    bot.command("/shareout", "my own words, not yours", user=MEMBER)
    shareout_id = str(eventually(lambda: rows(bot, "select max(id) from shareouts where user_id = ?", MEMBER)[0][0]))
    before = rows(bot, "select * from shareouts where id = ?", int(shareout_id))
    slack.clear()
    for action_id in ("shareout_edit", "shareout_delete"):
        said = json.dumps(reply_to(slack, bot.click(action_id, shareout_id, user=OTHER)))
        assert "That share-out has been deleted" in said and "my own words" not in said, action_id
    asked = {}
    for action_id in ("shareout_checkin_named", "shareout_checkin_anonymous"):
        said = json.dumps(reply_to(slack, bot.click(action_id, shareout_id, user=OTHER)))
        assert "call or text 988" in said and "my own words" not in said, action_id
        (asked[action_id],) = [c.args for c in slack.wait_for("chat.postMessage", len(asked) + 1)][len(asked) :]
    assert {args["channel"] for args in asked.values()} == {COORDINATOR}  # the coordinators, and only they
    assert f"<@{OTHER}> would like a check-in" in asked["shareout_checkin_named"]["text"]
    assert "Someone would like a check-in" in asked["shareout_checkin_anonymous"]["text"]
    assert OTHER not in json.dumps(asked["shareout_checkin_anonymous"])
    meta = json.dumps({"editing": int(shareout_id), "channel": "C0HEART", "warned": True})
    forged = bot.submit("shareout_form", shareout_form("overwritten by someone else"), user=OTHER, private_metadata=meta)
    assert "deleted" in json.dumps(forged.json) and "overwritten" not in json.dumps(forged.json)
    assert rows(bot, "select * from shareouts where id = ?", int(shareout_id)) == before
    assert slack.calls_to("views.open") == []
    sent = json.dumps([call.args for call in slack.calls])
    assert "my own words" not in sent and MEMBER not in sent
    assert len(slack.calls_to("chat.postMessage")) == 2  # the two check-in requests, nothing more


@proves(
    "Attack",
    "A member replays the coordinators' monthly connections buttons (start a round now, pause and resume "
    "connections) exactly as the bot showed them to a coordinator, and answers the follow-up of a pair they "
    "are not in, with its real id",
    4,
    "each refused politely; no round started, connections not paused, no answer recorded; the same start "
    "button works for the coordinator",
)
def test_a_member_cannot_run_connections_nor_answer_for_another_pair(bot, slack):
    from datetime import UTC, datetime

    from bot.connections import rounds
    from bot.connections.schedule import Schedule
    from bot.runtime import load_content
    from bot.store import Store
    from tests.support.connections_helpers import join
    from tests.support.harness import ROOT

    store = Store(bot.database_path)
    join(store, "UPAIRONE", "school-staff")
    join(store, "UPAIRTWO", "lived-experience")
    due = datetime(2026, 9, 7, 14, 0, tzinfo=UTC)
    content = load_content(ROOT / "content").connections
    planned, _ = rounds.plan_round(store, content, Schedule(), due=due, planned_by="t", now=due)
    (group,) = rounds.groups_of(store, planned.id)
    panel = bot.command("/connect", user=COORDINATOR).json
    rows_of_buttons = [block for block in panel["blocks"] if block["type"] == "actions"]
    shown = {e["action_id"]: (e.get("value", ""), block["block_id"]) for block in rows_of_buttons for e in block["elements"]}
    replays = [(action, *shown[action]) for action in ("connect_run", "connect_pause_all")]
    replays.append(("connect_resume_all", "", shown["connect_run"][1]))
    slack.clear()
    before = rows(bot, "select id from connection_rounds order by id")
    for action_id, value, block_id in replays:
        said = json.dumps(reply_to(slack, bot.click(action_id, value, user=MEMBER, block_id=block_id)))
        assert "Only coordinators" in said, action_id
    said = json.dumps(reply_to(slack, bot.click("connect_answer_yes", str(group.id), user=MEMBER, block_id="followup")))
    assert "Only the members introduced" in said
    assert rows(bot, "select id from connection_rounds order by id") == before
    assert rows(bot, "select value from connection_settings where key = 'paused'") in ([], [("0",)])
    assert rows(bot, "select count(*) from connection_answers where pair_id = ?", group.id) == [(0,)]
    ran(len(replays) + 1, 4, "connections replays")
    value, block_id = shown["connect_run"]
    said = json.dumps(reply_to(slack, bot.click("connect_run", value, user=COORDINATOR, block_id=block_id)))
    assert "Round started" in said
