"""Share-outs as a member meets them: the real bot over signed HTTP, a real SQLite file, LocalSlack."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.claims import EVERYONE, Claims
from bot.config import load_settings
from bot.errors import ConfigError
from bot.group_commit import GroupCommit
from bot.instances import Instance
from bot.offline import slack_requests
from bot.offline.localslack import Failure
from bot.offline.server import SHAREOUT_HASH_SECRET, BotServer
from bot.pacing import Pacer
from bot.runtime import MIGRATION_SETS
from bot.shareouts.core import RETENTION_JOB, Draft, Owner, Visibility, record_post, save
from bot.shareouts.posts import apply_retention
from bot.slack_client import delivery_client
from bot.store import Store
from tests.support.forms import buttons, element, events_written, form, metadata, query, submit, view_of
from tests.support.waiting import eventually
from tests.support.harness import run_shell

COORDINATORS = ("UCOORD1", "UCOORD2")
# Share-out texts in this module carry this word, so the log can be searched for it.
MARK = "quokka"
ZONE = ZoneInfo("America/New_York")  # the bot's HEART_TIMEZONE


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    """The bot with two coordinators, logging at DEBUG (to prove no share-out text reaches the log)."""
    env = {"COORDINATOR_IDS": ",".join(COORDINATORS), "LOG_LEVEL": "DEBUG"}
    bot = BotServer(local_slack, tmp_path_factory.mktemp("shareouts") / "heart.db", env=env).start()
    yield bot
    bot.stop()


def texts_of(user: str, server: BotServer) -> list[str]:
    return [row[0] for row in query(server, "select text from shareouts where user_id = ? order by id", user)]


# ----------------------------------------------------------------------------- the form


def test_shareout_opens_the_form_at_once_with_private_defaults(server, slack):
    answer = server.command("/shareout")
    assert answer.status == 200
    (call,) = slack.wait_for("views.open")
    view = view_of(call)
    assert view["callback_id"] == "shareout_form"
    reflection = element(view, "text")
    assert reflection["multiline"] is True and reflection["max_length"] == 2000
    visibility = element(view, "visibility")
    assert [o["value"] for o in visibility["options"]] == ["coordinators", "channel_anonymous", "channel_named", "anonymous"]
    assert visibility["initial_option"]["value"] == "coordinators"
    assert element(view, "session")["initial_option"]["text"]["text"] == "Not about a session"
    assert len(element(view, "sector")["options"]) == 7
    assert json.loads(view["private_metadata"])["channel"] == "C0HEART"


def test_the_form_round_trip_saves_once_and_confirms_exactly_what_and_for_whom(server, slack):
    answer = submit(
        server,
        f"A win: the {MARK} check-in routine worked.",
        user="UROUND",
        sector="school-staff",
        themes=("win", "staff-wellness"),
    )
    reply = answer.json
    assert reply["response_action"] == "update"
    confirmation = json.dumps(reply["view"])
    assert "Your share-out is saved." in confirmation
    assert "Only the coordinators can read it, and they can see it's from you." in confirmation
    assert "School staff" in confirmation and "A win, Staff wellness and burnout" in confirmation
    assert f"the {MARK} check-in routine worked" in confirmation
    row = query(server, "select sector, visibility, text, user_id, author_hash from shareouts where user_id = 'UROUND'")
    assert row == [("school-staff", "coordinators", f"A win: the {MARK} check-in routine worked.", "UROUND", None)]
    (shareout_id,) = query(server, "select id from shareouts where user_id = 'UROUND'")[0]
    assert query(server, "select theme from shareout_themes where shareout_id = ? order by theme", shareout_id) == [
        ("staff-wellness",),
        ("win",),
    ]
    assert eventually(lambda: query(server, "select subject from events where kind = 'shareout' and user_id = 'UROUND'"))
    assert slack.calls_to("chat.postMessage") == []  # coordinators only: nothing is posted


@pytest.mark.parametrize(
    "text, block, words",
    [
        (None, "text", "Please write your reflection"),
        ("   \n\t ", "text", "Please write your reflection"),
        ("x" * 2001, "text", "That's 2,001 characters; a share-out holds up to 2,000. Please shorten it by 1."),
    ],
)
def test_a_missing_or_over_long_reflection_is_a_field_error(server, text, block, words):
    answer = submit(server, text, user="UERRORS")
    assert answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == [block] and answer.json["errors"][block].startswith(words)
    assert texts_of("UERRORS", server) == []


@pytest.mark.parametrize(
    "choices, block, words",
    [
        ({"session": "no-such-session"}, "session", "That session no longer exists"),
        ({"sector": "astronaut"}, "sector", "Please choose a role or sector from the list"),
        ({"themes": ("win", "not-a-theme")}, "themes", "Please choose themes from the list"),
        ({"visibility": "everyone-forever"}, "visibility", "Please choose who can see it"),
    ],
)
def test_a_choice_that_is_not_on_the_form_is_a_field_error(server, choices, block, words):
    answer = submit(server, f"{MARK} fine text", user="UERRORS", **choices)
    assert answer.json["response_action"] == "errors"
    assert words in answer.json["errors"][block]
    assert texts_of("UERRORS", server) == []


def test_sharing_in_a_channel_needs_a_channel(server):
    answer = submit(server, f"{MARK} from a DM", user="UERRORS", visibility="channel_named", meta=metadata(channel="D0DM"))
    assert "use /shareout in the channel you want to share in" in answer.json["errors"]["visibility"]


def test_a_name_or_phone_number_gets_a_gentle_note_once_then_saves(server):
    first = submit(server, f"{MARK}: Maria Lopez called me at 413-555-0123", user="UDEID", view_id="VDEID")
    assert first.json["response_action"] == "update"
    view = first.json["view"]
    assert "a student's full name or a phone number" in json.dumps(view)
    assert element(view, "text")["initial_value"] == f"{MARK}: Maria Lopez called me at 413-555-0123"
    assert texts_of("UDEID", server) == []
    second = submit(
        server, f"{MARK}: Maria Lopez called me at 413-555-0123", user="UDEID", view_id="VDEID", meta=view["private_metadata"]
    )
    assert "Your share-out is saved." in json.dumps(second.json["view"])
    assert len(texts_of("UDEID", server)) == 1


def test_a_double_submit_or_a_retry_makes_one_row(server):
    body = slack_requests.view_submission_body(
        "shareout_form", form(f"{MARK} said twice"), user_id="UTWICE", view_id="VTWICE", private_metadata=metadata()
    )
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(server.post(body))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all("Your share-out is saved." in a.body for a in answers)
    assert texts_of("UTWICE", server) == [f"{MARK} said twice"]
    events_written(server)
    assert len(query(server, "select 1 from events where kind = 'shareout' and user_id = 'UTWICE'")) == 1


# ----------------------------------------------------------------------------- the quick path


def test_the_quick_path_saves_for_coordinators_and_confirms_with_add_details(server, slack):
    answer = server.command("/shareout", f"Our {MARK} group found a new resource <!channel>", user="UQUICK")
    reply = answer.json
    assert reply["response_type"] == "ephemeral"
    assert "Your share-out is saved." in answer.body
    assert "Only the coordinators can read it" in answer.body
    assert "&lt;!channel&gt;" in answer.body and "<!channel>" not in answer.body
    assert texts_of("UQUICK", server) == [f"Our {MARK} group found a new resource <!channel>"]
    add_details = buttons(reply)["Add details"]
    server.click(add_details["action_id"], add_details["value"], user="UQUICK")
    (call,) = slack.wait_for("views.open")
    view = view_of(call)
    assert element(view, "text")["initial_value"] == f"Our {MARK} group found a new resource <!channel>"
    assert json.loads(view["private_metadata"])["editing"] == int(add_details["value"])
    edited = submit(
        server,
        f"Our {MARK} group found a new resource",
        user="UQUICK",
        meta=view["private_metadata"],
        themes=("resource",),
        sector="community-organization",
    )
    assert "Your changes are saved." in json.dumps(edited.json["view"])
    assert texts_of("UQUICK", server) == [f"Our {MARK} group found a new resource"]


def test_the_same_slash_command_delivered_twice_saves_once(server):
    response_url = server.local_slack.response_url()
    body = slack_requests.command_body("/shareout", f"{MARK} once only", user_id="UQTWICE", response_url=response_url)
    assert "saved" in server.post(body).body
    assert "saved" in server.post(body).body
    assert texts_of("UQTWICE", server) == [f"{MARK} once only"]


def test_an_over_long_quick_share_out_is_refused_with_the_text_given_back(server):
    text = f"{MARK} " + "word " * 500
    answer = server.command("/shareout", text, user="UQLONG")
    assert "That's 2,506 characters; a share-out holds up to 2,000, so nothing was saved yet." in answer.body
    assert "word word word" in answer.body
    assert texts_of("UQLONG", server) == []


# ----------------------------------------------------------------------------- in the channel


def test_a_named_share_out_is_posted_escaped_with_the_authors_mention(server, slack):
    submit(server, f"{MARK} shout-out to <@U999> & <!here>", user="UNAMED", visibility="channel_named")
    (post,) = slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0HEART"
    body = json.dumps(post.args)
    assert "<@UNAMED>" in body
    assert "&lt;@U999&gt; &amp; &lt;!here&gt;" in body and "<@U999>" not in body and "<!here>" not in body
    assert eventually(lambda: query(server, "select message_ts from shareouts where user_id = 'UNAMED'")[0][0])


def test_an_anonymous_channel_post_carries_no_trace_of_its_author(server, slack):
    answer = submit(server, f"{MARK} something I could not say out loud", user="UCHANANON", visibility="channel_anonymous")
    assert "It's posted in <#C0HEART> without your name, and coordinators can read it too." in answer.body
    assert "heart-bot keeps your name with it so you can edit or delete it; coordinators' reports and exports don't show it." in (
        answer.body
    )
    (post,) = slack.wait_for("chat.postMessage")
    assert "UCHANANON" not in json.dumps(post.args)
    assert set(post.args) - {"_token", "team_id"} == {"channel", "text", "blocks", "unfurl_links", "unfurl_media"}
    assert "An anonymous share-out" in post.args["text"]


def test_a_post_the_channel_refuses_is_still_saved_and_the_member_is_told(server, slack):
    slack.fail_next("chat.postMessage", Failure(error="not_in_channel"))
    answer = submit(server, f"{MARK} for a channel without the bot", user="UNOTIN", visibility="channel_named")
    assert "Your share-out is saved." in answer.body
    failed, told = slack.wait_for("chat.postMessage", 2)
    assert failed.args["_failed"] == "not_in_channel"
    assert told.args["channel"] == "UNOTIN" and "couldn't post it in <#C0HEART>" in json.dumps(told.args)
    assert texts_of("UNOTIN", server) == [f"{MARK} for a channel without the bot"]


def test_anonymous_to_everyone_leaves_the_author_nowhere(server, slack):
    author = "UANON7X"
    answer = submit(server, f"{MARK} only I should know this is mine", user=author, visibility="anonymous")
    assert "nobody, not even coordinators, can tell it's from you" in answer.body
    (row,) = query(server, "select user_id, author_hash, visibility from shareouts where text like '%only I should know%'")
    assert row[0] is None and len(row[1].split(":")[1]) == 64 and row[2] == "anonymous"  # salt:HMAC
    assert eventually(lambda: query(server, "select user_id from events where kind = 'shareout' and user_id is null"))
    mine = server.command("/shareout", "mine", user=author)
    assert "only I should know this is mine" in mine.body
    assert "only I should know" not in server.command("/shareout", "mine", user="USOMEONE").body
    server.command("/shareout", "export", user=author)
    uploads = slack.wait_for("file_upload", 2)
    assert all(author.encode() not in call.args["bytes"] for call in uploads)
    assert any(b"only I should know this is mine" in call.args["bytes"] for call in uploads)
    assert slack.calls_to("chat.postMessage") == []
    for suffix in ("", "-wal", "-shm"):
        path = server.database_path.with_name(server.database_path.name + suffix)
        if path.exists():
            assert author.encode() not in path.read_bytes()


def test_turning_a_share_out_anonymous_forgets_who_wrote_it_everywhere(server):
    author = "UTURNANON"
    submit(server, f"{MARK} first with my name", user=author)
    (shareout_id,) = query(server, "select id from shareouts where user_id = ?", author)[0]
    assert eventually(lambda: query(server, "select 1 from events where kind = 'shareout' and user_id = ?", author))
    submit(server, f"{MARK} now anonymous", user=author, visibility="anonymous", meta=metadata(editing=shareout_id))
    assert query(server, "select 1 from shareouts where id = ?", shareout_id) == []  # a new id, by day: see test_privacy
    assert query(server, "select user_id from shareouts where text = ?", f"{MARK} now anonymous") == [(None,)]
    assert query(server, "select 1 from events where user_id = ?", author) == []


# ----------------------------------------------------------------------------- yours to see, export and delete


def test_mine_lists_your_share_outs_with_edit_and_delete_and_delete_removes_the_post(server, slack):
    author = "UMINE"
    submit(server, f"{MARK} posted then deleted", user=author, visibility="channel_named")
    (post,) = slack.wait_for("chat.postMessage")
    assert eventually(lambda: query(server, "select message_ts from shareouts where user_id = ?", author)[0][0])
    mine = server.command("/shareout", "mine", user=author)
    assert "Your share-outs" in mine.body and "posted then deleted" in mine.body
    assert "In the channel, with my name" in mine.body
    delete = buttons(mine.json)["Delete"]
    assert delete["confirm"]["confirm"]["text"] == "Delete"
    assert delete["confirm"]["text"]["text"] == (  # backups keep it a while: the README's retention, said plainly
        "This deletes it and takes its post out of the channel, and it can't be undone. "
        "Backups made before still hold it until they are deleted, within 32 days."
    )
    assert server.click(delete["action_id"], delete["value"], user="USTRANGER").status == 200
    assert len(texts_of(author, server)) == 1  # nobody else can delete it
    click = server.click(delete["action_id"], delete["value"], user=author)
    assert "and its post in the channel are deleted" in json.dumps(slack.responses(click.response_url))
    (removed,) = slack.wait_for("chat.delete")
    assert removed.args["ts"] == post.answer["ts"] and removed.args["channel"] == "C0HEART"
    assert query(server, "select 1 from shareouts where user_id = ?", author) == []


def test_a_share_out_deleted_in_a_hard_moment_leaves_where_to_turn_in_view(server, slack):
    saved = server.command("/shareout", "i can't do this anymore, i want to die", user="UHARDDAY")
    assert "988" in saved.body
    delete = buttons(saved.json)["Delete"]
    click = server.click(delete["action_id"], delete["value"], user="UHARDDAY")
    (after,) = slack.responses(click.response_url)
    assert after["replace_original"] and "Your share-out is deleted." in json.dumps(after)
    assert "988" in json.dumps(after) and "You have no share-outs saved." in json.dumps(after)
    assert texts_of("UHARDDAY", server) == []


def test_export_sends_csv_and_json_by_dm(server, slack):
    author = "UEXPORT"
    submit(server, f"=SUM(1) {MARK} exported", user=author, themes=("ask",), sector="lived-experience")
    answer = server.command("/shareout", "export", user=author)
    assert "on its way" in answer.body
    uploads = slack.wait_for("file_upload", 2)
    (complete,) = slack.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"].startswith("D")
    assert complete.args["initial_comment"] == "Here is your share-out, as CSV and as JSON. Only you received this."
    files = {call.path: call.args["bytes"].decode() for call in uploads}
    csv_text = next(text for text in files.values() if text.startswith("id,"))
    json_text = next(text for text in files.values() if text.startswith("{"))
    (row,) = list(csv.DictReader(io.StringIO(csv_text)))
    assert row["text"] == f"'=SUM(1) {MARK} exported"  # a spreadsheet will not run it
    assert row["themes"] == "An ask for help or ideas" and row["sector"] == "Family or lived experience"
    (record,) = json.loads(json_text)["shareouts"]
    assert record["text"] == f"=SUM(1) {MARK} exported" and record["visibility"] == "coordinators"


def test_export_with_nothing_to_export_says_so(server, slack):
    assert "no share-outs to export yet" in server.command("/shareout", "export", user="UNOTHING").body


# ----------------------------------------------------------------------------- the safety net

CRISIS_FACTS = (
    "988 Suicide &amp; Crisis Lifeline*: call or text 988, or chat at 988lifeline.org",
    "Crisis Text Line*: text HOME to 741741",
    "call 911 if you or someone else is in immediate danger",
    "not a crisis service",
)


def test_crisis_words_bring_the_resources_privately_and_still_save(server, slack):
    counted = "select user_id, subject, query from events where kind = 'safety_net'"
    events_written(server)  # an earlier test's concern, counted in the background, is in before this one's
    before = len(query(server, counted))  # other tests of this server's may have counted theirs
    answer = server.command("/shareout", f"{MARK} honestly I want to end my life", user="UCRISIS")
    assert answer.json["response_type"] == "ephemeral"
    # The quick path chose for the member; the note says what that was.
    assert "Only you see this note. Your share-out is saved for coordinators only, with your name." in answer.body
    for fact in CRISIS_FACTS:
        assert fact in answer.body
    assert "press 3" not in answer.body.lower()
    assert texts_of("UCRISIS", server) == [f"{MARK} honestly I want to end my life"]
    assert eventually(lambda: len(query(server, counted)) == before + 1)  # counted once...
    assert set(query(server, counted)) == {(None, None, None)}  # ...and never who, about what, or the words
    assert slack.calls_to("chat.postMessage") == []  # nothing escalated by itself


def test_the_check_in_offer_says_what_coordinators_are_told_and_what_they_could_guess(server, slack):
    reply = server.command("/shareout", f"{MARK} I feel so alone with all of this", user="UOFFER").body
    offer = "If you ask, the coordinators get a direct message right away that someone asked for a check-in after a share-out."
    assert offer in reply and "Your share-out's words aren't in it." in reply
    assert "*With my name:* they'll know it's you, and that you shared out." in reply
    # A quick share-out is saved for coordinators with the member's name: the message names no one, the share-out does.
    assert "*Without my name:* the message doesn't say who asked, but your share-out is saved with your name" in reply
    assert "won't know who asked" not in reply


def test_let_a_coordinator_know_with_my_name_tells_every_coordinator_but_never_the_text(server, slack):
    reply = server.command("/shareout", f"{MARK} I feel like I can't go on", user="UCHECKIN").json
    ask = buttons(reply)["Let a coordinator know, with my name"]
    click = server.click(ask["action_id"], ask["value"], user="UCHECKIN")
    dms = slack.wait_for("chat.postMessage", 2)
    assert sorted(call.args["channel"] for call in dms) == sorted(COORDINATORS)
    assert all("<@UCHECKIN>" in json.dumps(call.args) and MARK not in json.dumps(call.args) for call in dms)
    told = dms[0].args["text"]  # what the offer promised: who asked, after a share-out, and nothing of it
    assert told.startswith(":seedling: <@UCHECKIN> would like a check-in from a coordinator, after a share-out.")
    assert "Their share-out's words are not in this message." in json.dumps(dms[0].args)
    (updated,) = slack.responses(click.response_url)
    assert updated["replace_original"] is True and "The coordinators know you'd like a check-in" in json.dumps(updated)
    assert "Let a coordinator know" not in json.dumps(updated)
    assert eventually(lambda: query(server, "select user_id from events where kind = 'checkin_request' and user_id = 'UCHECKIN'"))


def test_let_a_coordinator_know_without_my_name_sends_no_name(server, slack):
    reply = server.command("/shareout", f"{MARK} thinking about suicide lately", user="UQUIET").json
    ask = buttons(reply)["Let a coordinator know, without my name"]
    server.click(ask["action_id"], ask["value"], user="UQUIET")
    dms = slack.wait_for("chat.postMessage", 2)
    assert all("UQUIET" not in json.dumps(call.args) and "Someone would like a check-in" in call.args["text"] for call in dms)
    assert eventually(lambda: query(server, "select 1 from events where kind = 'checkin_request' and user_id is null"))
    assert ("UQUIET",) not in query(server, "select user_id from events where kind = 'checkin_request'")


def test_when_no_coordinator_can_be_reached_the_member_is_told_and_may_ask_again(server, slack):
    reply = server.command("/shareout", f"{MARK} I can't go on like this", user="UUNHEARD").json
    ask = buttons(reply)["Let a coordinator know, with my name"]
    for coordinator in COORDINATORS:
        slack.refuse_channel(coordinator, "user_not_found")
    click = server.click(ask["action_id"], ask["value"], user="UUNHEARD")
    (updated,) = slack.responses(click.response_url)
    assert "couldn't reach a coordinator just now" in json.dumps(updated)
    assert "Let a coordinator know, with my name" in json.dumps(updated)  # offered again
    slack.clear()


def test_the_safety_net_in_the_form_updates_the_modal_when_a_coordinator_is_asked(server, slack):
    answer = submit(server, f"{MARK} some days I wish I was dead", user="UFORMCRISIS")
    view = answer.json["view"]
    for fact in CRISIS_FACTS:
        assert fact in json.dumps(view)
    ask = buttons(view)["Let a coordinator know, with my name"]
    server.click(ask["action_id"], ask["value"], user="UFORMCRISIS", view={"id": "VSAVED1", "blocks": view["blocks"]})
    (update,) = slack.wait_for("views.update")
    assert update.args["view_id"] == "VSAVED1"
    assert "The coordinators know you'd like a check-in" in json.dumps(view_of(update))


@pytest.mark.parametrize(
    "text",
    [
        f"{MARK} we were killing it today",
        f"I'm dying to try the {MARK} breathing exercise",
        f"{MARK} suicide prevention training went well",
    ],
)
def test_idioms_and_work_talk_do_not_trip_the_safety_net(server, text):
    assert "988" not in server.command("/shareout", text, user="UIDIOM").body


# ----------------------------------------------------------------------------- privacy of the log


def test_no_share_out_text_reaches_the_log_even_at_debug(server):
    server.command("/shareout", f"{MARK} private words for the log test", user="ULOG")
    submit(server, f"{MARK} more private words", user="ULOG", visibility="anonymous")
    events_written(server)  # the work after the acks, done and logged
    log = server.log()
    assert "share-out" in log  # ids are logged...
    assert MARK not in log  # ...words never


def test_the_offline_shell_confirms_a_quick_share_out(tmp_path):
    result = run_shell(tmp_path, f"/shareout the {MARK} circle helped me today\n/shareout mine\n")
    assert result.returncode == 0, result.stderr
    assert "Your share-out is saved." in result.stdout
    assert "Only the coordinators can read it" in result.stdout
    assert "[1] Add details" in result.stdout
    assert "YOUR SHARE-OUTS" in result.stdout and f"the {MARK} circle helped me today" in result.stdout


def test_with_no_coordinator_set_up_the_safety_net_says_so(tmp_path):
    result = run_shell(tmp_path, "/shareout some days I wish I was dead\n3\n")  # 3: Let a coordinator know, with my name
    assert result.returncode == 0, result.stderr
    assert "No coordinator is set up to receive check-in requests yet" in result.stdout


# ----------------------------------------------------------------------------- configuration and retention


def test_serving_without_a_hash_secret_is_refused_in_one_clear_line():
    with pytest.raises(ConfigError) as error:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}).require_slack()
    assert str(error.value).startswith("SHAREOUT_HASH_SECRET is not set") and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "environ, words",
    [
        ({"SHAREOUT_HASH_SECRET": "short"}, "SHAREOUT_HASH_SECRET must be at least 32 characters (got 5)"),
        ({"SHAREOUT_RETENTION_DAYS": "0"}, "SHAREOUT_RETENTION_DAYS must be a whole number of days, 1 or more"),
        ({"SHAREOUT_RETENTION_DAYS": "a year"}, "SHAREOUT_RETENTION_DAYS must be a whole number of days, 1 or more"),
    ],
)
def test_malformed_share_out_settings_name_the_variable(environ, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_settings(environ)


def test_retention_removes_old_texts_and_their_channel_posts_and_keeps_the_counts(local_slack, tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    commits = GroupCommit(store)
    owner = Owner.of("UOLD", SHAREOUT_HASH_SECRET)
    long_ago = datetime.now(UTC) - timedelta(days=45)
    old = Draft(f"{MARK} from long ago", Visibility.CHANNEL_NAMED, themes=("win",))
    posted = save(commits, old, owner, request_key="old", now=long_ago, zone=ZONE).result().shareout
    record_post(store, posted.id, "C0HEART", "1600000000.000200")
    save(commits, Draft(f"{MARK} from this week"), owner, request_key="new", now=datetime.now(UTC), zone=ZONE).result()
    commits.close()
    store.close()
    local_slack.clear()
    bot = BotServer(local_slack, tmp_path / "heart.db", env={"SHAREOUT_RETENTION_DAYS": "30"}).start()
    try:
        (taken_down,) = local_slack.wait_for("chat.delete")
        assert (taken_down.args["channel"], taken_down.args["ts"]) == ("C0HEART", "1600000000.000200")
        assert eventually(lambda: query(bot, "select count(*) from shareouts where message_ts is not null") == [(0,)])
        assert query(bot, "select text from shareouts order by created_at") == [(None,), (f"{MARK} from this week",)]
        assert query(bot, "select count(*) from shareout_themes") == [(1,)]
        assert "The text was removed after the retention period" in bot.command("/shareout", "mine", user="UOLD").body
    finally:
        bot.stop()


def test_retention_runs_once_a_day_and_a_run_whose_process_died_is_taken_over(local_slack, tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    commits = GroupCommit(store)
    long_ago = datetime.now(UTC) - timedelta(days=45)
    owner = Owner.of("UOLD", SHAREOUT_HASH_SECRET)
    for n in range(3):
        draft = Draft(f"{MARK} {n}", Visibility.CHANNEL_NAMED)
        shareout = save(commits, draft, owner, request_key=f"r{n}", now=long_ago, zone=ZONE)
        record_post(store, shareout.result().shareout.id, "C0HEART", f"1600000000.00020{n}")
    commits.close()
    local_slack.clear()
    stopping = threading.Event()
    died, survivor = Instance(store), Instance(store)
    died.start()
    # The first process claims today's run, takes one post down, and dies.
    Claims(store, died.id).take(RETENTION_JOB, datetime.now(ZONE).date().isoformat(), EVERYONE)
    client = delivery_client("xoxb-test", local_slack.api_url)
    client.chat_delete(channel="C0HEART", ts="1600000000.000200")
    record_post(store, 1, None, None)
    died.stop()
    survivor.start()
    try:
        pace = Pacer(store, "chat.delete", 50, stopping)
        claims = Claims(store, survivor.id)
        assert apply_retention(store, client, 30, claims=claims, pace=pace, zone=ZONE) == 2  # goes on from where it was
        assert apply_retention(store, client, 30, claims=claims, pace=pace, zone=ZONE) == 0  # today's run is done
    finally:
        survivor.stop()
    assert [c.args["ts"] for c in local_slack.calls_to("chat.delete")] == [f"1600000000.00020{n}" for n in range(3)]
