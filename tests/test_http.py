"""The bot over HTTP, as Slack meets it: signatures, commands, buttons and safety nets."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time

from bot.app import create_app, dispatch_signed
from bot.offline import slack_requests
from bot.offline.server import BOT_TOKEN, SIGNING_SECRET, http
from bot.runtime import build_heart
from tests.support.forms import events_written, query


def test_health_check_answers_ok(server):
    answer = http("GET", server.url + "/healthz")
    assert answer.status == 200
    assert answer.json == {"status": "ok"}


def refused_and_nothing_done(server, slack, answer) -> None:
    """Refused with a body that says nothing more, the lookup never made: no event, no Slack call."""
    assert (answer.status, answer.json) == (401, {"error": "invalid request"})
    events_written(server)  # anything the request had queued would be written by now
    assert query(server, "select count(*) from events where user_id = 'UFORGED'") == [(0,)]
    assert [call.method for call in slack.calls if call.method != "response_url"] == []


def test_a_bad_signature_is_refused(server, slack):
    body = slack_requests.command_body("/glossary", "tic", user_id="UFORGED", response_url="x")
    refused_and_nothing_done(server, slack, server.post(body, secret="not-the-secret"))


def test_a_request_older_than_five_minutes_is_refused(server, slack):
    body = slack_requests.command_body("/glossary", "tic", user_id="UFORGED", response_url="x")
    refused_and_nothing_done(server, slack, server.post(body, timestamp=int(time.time()) - 301))


def test_a_request_without_signature_headers_is_refused(server, slack):
    body = slack_requests.command_body("/glossary", "tic", user_id="UFORGED", response_url="x")
    refused_and_nothing_done(server, slack, http("POST", server.url + "/slack/events", body, {"Content-Type": slack_requests.FORM}))


def test_the_one_way_into_bolt_checks_the_signature_bolt_no_longer_checks(settings, slack):
    """Bolt runs without its own signature check: the web server and the shell both come in through
    dispatch_signed, which refuses an unsigned or forged request before any listener runs."""
    heart = build_heart(dataclasses.replace(settings, bot_token=BOT_TOKEN, slack_api_url=slack.api_url))
    try:
        app = create_app(heart, signing_secret=SIGNING_SECRET)
        body = slack_requests.command_body("/glossary", "tic", user_id="UFORGED", response_url="x")
        forged = {k.lower(): v for k, v in slack_requests.signed_headers("not-the-secret", body).items()}
        stale = {k.lower(): v for k, v in slack_requests.signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 301).items()}
        for headers in ({"content-type": slack_requests.FORM}, forged, stale):
            assert dispatch_signed(app, body, headers, SIGNING_SECRET).status == 401
        heart.recorder.flush()
        assert heart.store.db.execute("select count(*) from events").fetchone() == (0,)
        signed = {k.lower(): v for k, v in slack_requests.signed_headers(SIGNING_SECRET, body).items()}
        answer = dispatch_signed(app, body, signed, SIGNING_SECRET)
        assert answer.status == 200 and "Trauma-informed" in answer.body
    finally:
        heart.close()


def test_url_verification_echoes_the_challenge(server):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"})
    answer = server.post(body, "application/json")
    assert answer.status == 200
    assert "abc123" in answer.body


def test_ssl_check_is_answered(server):
    answer = server.post("ssl_check=1&token=deprecated")
    assert (answer.status, answer.body) == (200, "")  # Slack wants only the 200


def test_glossary_answers_an_abbreviation_ephemerally(server):
    answer = server.command("/glossary", "TIC")
    assert answer.status == 200
    reply = answer.json
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["type"] == "header"
    assert "Trauma-informed" in reply["blocks"][0]["text"]["text"]
    assert any(e["action_id"] == "glossary_share" for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_every_spelling_finds_the_same_entry(server):
    headers = {
        server.command("/glossary", text).json["blocks"][0]["text"]["text"]
        for text in ("TIC", "trauma informed care", "Trauma-Informed Care")
    }
    assert len(headers) == 1


def test_member_text_is_escaped_so_nobody_is_pinged(server):
    answer = server.command("/glossary", "<!channel> <@U999> & friends")
    assert answer.status == 200
    assert "<!channel>" not in answer.body
    assert "<@U999>" not in answer.body
    assert "&lt;!channel&gt;" in answer.body
    assert "&amp; friends" in answer.body


def test_an_unclear_query_offers_did_you_mean_buttons(server, slack):
    answer = server.command("/glossary", "stress")
    buttons = [e for b in answer.json["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert 2 <= len(buttons) <= 5
    assert "Did you mean" in answer.body
    chosen = buttons[0]
    click = server.click(chosen["action_id"], chosen["value"], block_id="glossary_suggestions")
    assert click.status == 200
    (posted,) = slack.responses(click.response_url)
    assert posted["replace_original"] is True
    assert posted["blocks"][0]["text"]["text"] == chosen["text"]["text"]


def test_share_in_channel_posts_for_everyone_with_credit(server, slack):
    reply = server.command("/glossary", "IEP").json
    (share,) = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "glossary_share"]
    assert reply["blocks"][-1]["elements"][0]["text"].startswith("*Share in channel* posts this for everyone in the channel")
    click = server.click("glossary_share", share["value"], user="USHARER")
    (posted,) = slack.responses(click.response_url)
    assert posted["response_type"] == "in_channel"
    assert "<@USHARER>" in json.dumps(posted)


def test_glossary_list_offers_menus_within_block_kit_limits(server):
    reply = server.command("/glossary", "list").json
    assert len(reply["blocks"]) <= 50
    menus = [b["accessory"] for b in reply["blocks"] if b.get("accessory", {}).get("type") == "static_select"]
    assert menus and all(len(m["options"]) <= 100 for m in menus)


def test_a_menu_choice_looks_the_term_up(server, slack):
    click = server.click("glossary_lookup:school-systems:0", "individualized-education-program", selected=True)
    (posted,) = slack.responses(click.response_url)
    assert "Individualized Education Program" in posted["blocks"][0]["text"]["text"]


def test_glossary_alone_shows_help_with_examples(server):
    assert "/glossary list" in server.command("/glossary").body


def test_tipsheet_finds_a_sheet_by_a_loose_word(server):
    reply = server.command("/tipsheet", "barriers").json
    assert reply["blocks"][0]["text"]["text"] == "Addressing Possible Barriers to Collaboration"
    assert len(reply["blocks"]) <= 50


def test_tipsheet_never_reads_paths(server):
    answer = server.command("/tipsheet", "../../etc/passwd")
    assert answer.status == 200
    assert "root:" not in answer.body
    assert "couldn't find a tip sheet" in answer.body


def test_tipsheet_share_posts_in_channel(server, slack):
    click = server.click("tipsheet_share", "ways-to-support-advocacy:1", user="USHARER")
    (posted,) = slack.responses(click.response_url)
    assert posted["response_type"] == "in_channel"
    assert posted["blocks"][0]["text"]["text"] == "Ways to Support Advocacy"


def test_an_unknown_command_gets_a_kind_reply(server):
    answer = server.command("/nonsense", "hello")
    assert answer.status == 200
    assert "doesn't know" in answer.body


def test_an_unknown_action_is_not_a_server_error(server):
    answer = server.click("no_such_action", "x")
    assert (answer.status, answer.json) == (404, {"error": "unhandled request"})


def test_malformed_payloads_are_refused_cleanly(server):
    answers = {body: server.post(body) for body in ("payload=not-json", "payload=%7B%7D", "", "command=&text=")}
    assert {body: (a.status, a.json.get("error")) for body, a in answers.items() if a.status != 200} == {
        "payload=not-json": (400, "malformed request"),
        "payload=%7B%7D": (404, "unhandled request"),
        "": (404, "unhandled request"),
    }
    assert "doesn't know" in answers["command=&text="].body  # an empty command: the kind reply


def test_lookups_are_recorded_without_the_members_other_words(server):
    server.command("/glossary", "TIC", user="UEVENTS")
    server.command("/glossary", "zzqxv unknownword", user="UEVENTS")
    deadline = time.monotonic() + 10
    rows = []
    while time.monotonic() < deadline and len(rows) < 2:
        with sqlite3.connect(server.database_path) as db:
            rows = db.execute("select kind, subject, query, hit from events where user_id = 'UEVENTS' order by id").fetchall()
        time.sleep(0.1)
    assert rows[0][0] == "glossary_lookup" and rows[0][1] == "trauma-informed-approach" and rows[0][3] == 1
    assert rows[1] == ("glossary_lookup", None, "zzqxv unknownword", 0)


def test_secrets_and_member_text_never_reach_the_log(server):
    server.command("/glossary", "my student Jane Doe said something private")
    log = server.log()
    assert SIGNING_SECRET not in log
    assert "xoxb-" not in log
    assert "Jane Doe" not in log
