"""Privacy: what members write never reaches the log (even at DEBUG) and neither do tokens or
secrets; "anonymous to everyone" leaves no member id anywhere in the database file, and no time
finer than the day that could name its author; errors tell members nothing about the bot's insides.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bot.offline import slack_requests
from bot.offline.localslack import Failure, LocalSlack
from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET, SIGNING_SECRET, BotServer, http
from tests.reliability import moments
from tests.reliability.checks import reconciled_twice
from tests.reliability.conftest import COORDINATOR, MEMBER
from tests.reliability.ledger import proves, ran
from tests.reliability.moments import Window
from tests.reliability.wire import Wire
from tests.support.forms import add_form
from tests.support.waiting import eventually
from tests.support.forms import form as shareout_form

SECRETS = (BOT_TOKEN, SIGNING_SECRET, SHAREOUT_HASH_SECRET, "xoxb-")
# Words that appear only in what members and coordinators typed, one per place they can type. (A
# session's title is public, posted in its channel, and its id is a slug of it: ids are logged.)
TYPED = {
    "quick share-out": "/shareout",
    "form share-out": "shareout_form",
    "edited share-out": "shareout_form (edit)",
    "glossary search": "/glossary",
    "tip sheet search": "/tipsheet",
    "report period": "/heart",
    "cancellation note": "peerhour_cancel",
    "unknown command text": "/nonesuch",
    "request with a bad signature": "forged",
    "request too old": "replayed",
}
WORDS = {place: f"zq{n:02d}marmoset" for n, place in enumerate(TYPED)}


def meta(editing: int | None = None) -> str:
    return json.dumps({"editing": editing, "channel": "C0HEART", "warned": True})


def everything_members_type(bot: BotServer, slack: LocalSlack) -> None:
    """Use every feature once with a marked word, including requests the bot refuses."""
    w = WORDS
    bot.command("/shareout", f"today {w['quick share-out']} helped")
    bot.submit(
        "shareout_form", shareout_form(f"a {w['form share-out']} win", visibility="channel_named"), private_metadata=meta()
    )
    shareout_id = eventually(lambda: rows(bot, "select max(id) from shareouts")[0][0])
    edit = shareout_form(f"now {w['edited share-out']}", visibility="anonymous")
    bot.submit("shareout_form", edit, private_metadata=meta(shareout_id))
    bot.command("/shareout", "mine")
    bot.command("/shareout", "export")
    bot.command("/glossary", f"what is {w['glossary search']}")
    bot.command("/tipsheet", w["tip sheet search"])
    bot.command("/heart", f"report {w['report period']}", user=COORDINATOR)
    bot.command("/heart", "export last 30 days", user=COORDINATOR)
    bot.command("/nonesuch", w["unknown command text"])
    bot.submit("peerhour_add", add_form(title="Circle of care"), user=COORDINATOR)
    occurrence = eventually(
        lambda: rows(bot, "select o.id from occurrences o join series s on s.id = o.series_id where s.title like 'Circle%'")
    )[0][0]
    note = {"note": {"note": {"type": "plain_text_input", "value": f"sorry {w['cancellation note']}"}}}
    bot.submit("peerhour_cancel", note, user=COORDINATOR, private_metadata=f"ph_list|{occurrence}")
    bot.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    forged = slack_requests.command_body("/shareout", w["request with a bad signature"], user_id=MEMBER, response_url="x")
    assert bot.post(forged, secret="not-the-secret").status == 401
    replayed = slack_requests.command_body("/shareout", w["request too old"], user_id=MEMBER, response_url="x")
    assert bot.post(replayed, timestamp=int(time.time()) - 3600).status == 401
    slack.wait_for("files.completeUploadExternal", 2)


def rows(bot: BotServer, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(bot.database_path) as db:
        return db.execute(sql, params).fetchall()


@proves(
    "Attack",
    "Privacy of the log at LOG_LEVEL=DEBUG: every feature used with a marked word in each of the 10 places members "
    "and coordinators type (share-outs new and edited, searches, periods, session notes, an unknown "
    "command), plus a forged and a replayed request carrying member text",
    len(TYPED) + len(SECRETS),
    "no marked word, no token, no signing or hash secret anywhere in the log",
    fixed="Bolt logged the whole body of a badly signed or too old request (a member's words) at INFO.",
)
def test_the_debug_log_holds_no_member_words_tokens_or_secrets(bot, slack):
    everything_members_type(bot, slack)
    slack.wait_for("views.publish")  # the Home tab, the last answer drawn after its ack
    reconciled_twice(bot)  # the cancellation's notices, scheduled and logged
    log = bot.log()
    assert "share-out" in log  # the log is there, and at DEBUG
    leaked = {place: word for place, word in WORDS.items() if word in log}
    assert leaked == {}
    assert [secret for secret in SECRETS if secret in log] == []


ANONYMOUS, TURNED_ANONYMOUS = "UANONYMA", "UTURNEDB"


def file_bytes(database: Path) -> bytes:
    """The database file and whatever sits beside it (WAL, shared memory)."""
    return b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))


@proves(
    "Attack",
    'Anonymity at rest: a member shares "anonymous to everyone" through the form (with the safety net\'s anonymous '
    "check-in, mine and export), another turns a share-out they had saved for coordinators anonymous; the whole "
    "database file, its WAL, the coordinators' CSV export and every Slack call are searched for their ids",
    2,
    "neither member id appears anywhere: not in a row, a freed page, an index, an event, an export or a post",
    fixed='The member id of a share-out turned "anonymous to everyone" stayed on disk in the write-ahead log.',
)
def test_anonymous_shareouts_leave_no_member_id_anywhere(local_slack, tmp_path):
    database = tmp_path / "heart.db"
    bot = BotServer(local_slack, database, env={"COORDINATOR_IDS": COORDINATOR}).start()
    try:
        text = "I feel like I want to end it all some days"
        answer = bot.submit("shareout_form", shareout_form(text, visibility="anonymous"), user=ANONYMOUS, private_metadata=meta())
        checkin = [e for b in answer.json["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        anonymous_checkin = next(e for e in checkin if e["action_id"] == "shareout_checkin_anonymous")
        view = {"id": "VANON", "type": "modal"}
        bot.post(
            slack_requests.block_actions_body(
                anonymous_checkin["action_id"], anonymous_checkin["value"], user_id=ANONYMOUS, response_url="", view=view
            )
        )
        bot.command("/shareout", "mine", user=ANONYMOUS)
        bot.command("/shareout", "export", user=ANONYMOUS)
        bot.command("/shareout", "first for coordinators, later anonymous", user=TURNED_ANONYMOUS)
        turned = eventually(lambda: rows_of(database, "select id from shareouts where user_id = ?", TURNED_ANONYMOUS))[0][0]
        edit = shareout_form("now anonymous to everyone", visibility="anonymous")
        bot.submit("shareout_form", edit, user=TURNED_ANONYMOUS, private_metadata=meta(turned))
        bot.command("/heart", "export last 30 days", user=COORDINATOR)
        local_slack.wait_for("files.completeUploadExternal", 2)
    finally:
        bot.stop()  # a clean stop checkpoints the WAL into the file
    assert rows_of(database, "select count(*) from shareouts where visibility = 'anonymous'") == [(2,)]
    data = file_bytes(database)
    uploads = b"".join(call.args["bytes"] for call in local_slack.calls_to("file_upload"))
    for member in (ANONYMOUS, TURNED_ANONYMOUS):
        assert member.encode() not in data, f"{member} is still in the database file"
        assert member.encode() not in uploads
        seen_by_others = [call.args for call in local_slack.calls if reaches_someone_else(call, member)]
        assert member not in json.dumps(seen_by_others), "a channel post, a coordinator's message or a file names the author"


def reaches_someone_else(call: Any, member: str) -> bool:
    """Whether a call to Slack shows something to anyone but ``member`` (their DMs and their own
    modals are theirs; LocalSlack names a DM with a member "D" + their id)."""
    if call.method in ("file_upload", "views.open", "views.update") or call.args.get("users") == member:
        return False
    return call.args.get("channel") not in (member, f"D{member}") and call.args.get("channel_id") != f"D{member}"


def rows_of(database: Path, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


AUTHOR, CONVERT = "UTIMEDA", "UTIMEDB"
CRISIS_WORDS = "I feel like I want to end it all some days"


@proves(
    "Attack",
    'Anonymity in time: a member is refused a coordinator command, looks up a term and opens /peerhour, then seconds later '
    'opens /shareout (once failing), shares "anonymous to everyone" with themes and words the safety net hears, asks '
    "for a check-in without their name and edits it; another member turns a share-out they saved to the second "
    "anonymous. Each time, every table found in the schema, the raw database file and its write-ahead log (read while "
    "the bot runs, and after it stops) and the log file are searched for a time near the share-out",
    3,
    "no time finer than the day near the share-out, the edit or the change, in any row, index, freed page, WAL frame "
    "or request key, nor the earlier time of the changed one; their rows (share-out, themes, events) sort before every "
    "named row, by day; no log line near them names the member, and none names the share-out",
    fixed="An anonymous share-out, its event, the safety net's and the check-in's were stored to the microsecond beside "
    "the member's named lookups, with the next row ids, and its request key held Slack's view hash (the time the form "
    "opened); its save and edits were logged; the error handler logged the member of a failed /shareout.",
)
def test_anonymous_shareouts_keep_no_time_finer_than_the_day(local_slack, tmp_path):
    database = tmp_path / "heart.db"
    env = {"COORDINATOR_IDS": COORDINATOR, "LOG_LEVEL": "DEBUG"}
    bot = BotServer(local_slack, database, env=env).start()
    try:
        # The author's named activity: in the events with their id, and in the log.
        bot.command("/heart", "report", user=AUTHOR)
        bot.command("/glossary", "trauma", user=AUTHOR)
        bot.command("/peerhour", user=AUTHOR)
        eventually(lambda: rows_of(database, "select count(*) from events where user_id = ?", AUTHOR)[0][0] >= 2)
        assert AUTHOR in bot.log()

        def near(act) -> Window:
            """Seconds after the named activity, do ``act``: the window it happened in, checked at once."""
            time.sleep(2.5)
            start, logged = time.time(), len(bot.log())
            act()
            window = Window(start - 0.5, time.time() + 0.5)
            time.sleep(0.3)  # what the bot logs after its answers
            assert_no_moment(database, window)
            late = bot.log()[logged:]
            assert AUTHOR not in late and CONVERT not in late
            return window

        def share() -> None:
            local_slack.fail_next("views.open", Failure(error="expired_trigger_id"))
            bot.command("/shareout", user=AUTHOR)  # fails, after the ack
            bot.command("/shareout", user=AUTHOR)
            draft = shareout_form(CRISIS_WORDS, visibility="anonymous", themes=("win", "ask"))
            answer = bot.submit("shareout_form", draft, user=AUTHOR, private_metadata=meta())
            checkin = next(e for e in buttons_of(answer.json["view"]) if e["action_id"] == "shareout_checkin_anonymous")
            view = {"id": "VTIMED", "type": "modal"}
            action, value = checkin["action_id"], checkin["value"]
            bot.post(slack_requests.block_actions_body(action, value, user_id=AUTHOR, response_url="", view=view))
            eventually(lambda: rows_of(database, "select count(*) from events where kind = 'checkin_request'") == [(1,)])

        windows = [near(share)]
        (shared,) = rows_of(database, "select id from shareouts where visibility = 'anonymous'")[0]

        def edit() -> None:
            edited = shareout_form("a calmer day, edited", visibility="anonymous", themes=("barrier",))
            bot.submit("shareout_form", edited, user=AUTHOR, private_metadata=meta(shared))

        windows.append(near(edit))
        bot.command("/shareout", "first with my name, to the second", user=CONVERT)
        saved = "select id, created_at from shareouts where user_id = ?"
        (named, saved_at) = eventually(lambda: rows_of(database, saved, CONVERT))[0]

        def turn() -> None:
            edit = shareout_form("now anonymous to everyone", visibility="anonymous", themes=("resource",))
            bot.submit("shareout_form", edit, user=CONVERT, private_metadata=meta(named))

        windows.append(near(turn))
        assert_no_moment(database, Window(saved_at - 0.001, saved_at + 0.001))
        assert rows_of(database, "select count(*) from shareouts where id = ?", named) == [(0,)]
        anonymous = [row[0] for row in rows_of(database, "select id from shareouts where visibility = 'anonymous'")]
    finally:
        bot.stop()
    assert len(anonymous) == 2 and shared in anonymous
    for window in [*windows, Window(saved_at - 0.001, saved_at + 0.001)]:
        assert_no_moment(database, window)
    assert_kept_apart(database)
    log = bot.log()
    assert f"SlackApiError in command /shareout (team={slack_requests.TEAM_ID} user=None): expired_trigger_id" in log
    assert [line for line in log.splitlines() if any(str(shareout_id) in line for shareout_id in anonymous)] == []


def assert_no_moment(database: Path, window: Window) -> None:
    """No row of any table, and no byte of the file or its write-ahead log, holds a time in ``window``."""
    assert moments.in_rows(database, window) == []
    leaks = {name: found for name, data in moments.files_of(database).items() if (found := moments.in_bytes(data, window))}
    assert leaks == {}


def assert_kept_apart(database: Path) -> None:
    """Rows that keep only their day have negative, day-ordered ids; every other row comes after them all."""
    checks = {
        "shareouts": "(visibility = 'anonymous') != (id < 0)",
        "shareout_themes": "(select visibility = 'anonymous' from shareouts s where s.id = shareout_id) != (rowid < 0)",
        "events": "(user_id is null) != (id < 0)",
    }
    for table, mixed in checks.items():
        assert rows_of(database, f"select count(*) from {table} where {mixed}") == [(0,)], table
    assert rows_of(database, "select count(*) from events where id < 0") == [(4,)]  # 2 share-outs, safety net, check-in


def buttons_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


INTERNALS = (
    "Traceback",
    "Exception",
    "Error:",
    "sqlite",
    "SQL",
    "/work/",
    ".py",
    "heart.db",
    "errno",
    "xoxb-",
    "127.0.0.1",
    "status_code",
)


@proves(
    "Attack",
    "Error messages: what a member reads when Slack fails (500s, a dropped connection, an expired trigger), when a "
    "request is refused (bad signature, malformed, unknown button), and when a button names something gone",
    8,
    "each answered in words (its ack, or a post to its response URL); plain words only: no exception, SQL, file "
    "path, host, token or status code in any answer or message",
)
def test_error_messages_reveal_nothing_internal(bot, slack):
    def then_told(answer) -> str:
        """The answer and what the bot then posts to its response URL: each case must tell the member something."""
        return answer.body + "".join(json.dumps(reply) for reply in slack.responses(answer.response_url, timeout=30))

    told = []
    slack.fail_next("views.open", *[Failure(status=500)] * 3)
    told.append(then_told(bot.command("/shareout")))
    slack.fail_next("views.open", Failure(error="expired_trigger_id"))
    told.append(then_told(bot.command("/shareout")))
    slack.fail_next("files.getUploadURLExternal", *[Failure(drop=True)] * 3)
    bot.command("/shareout", "something")
    told.append(then_told(bot.command("/shareout", "export")))
    told.append(then_told(bot.click("shareout_delete", "999999")))
    told.append(then_told(bot.click("peerhour_going", "no-such-session")))
    refused = [http("POST", bot.url + "/slack/events", "command=/glossary", {"Content-Type": slack_requests.FORM})]
    with Wire(bot.port) as wire:
        refused.append(wire.post('{"type": "block_actions", "actions": [1]}', "application/json"))
        refused.append(wire.post(slack_requests.block_actions_body("no_such_button", "x", user_id=MEMBER, response_url="")))
    assert [answer.status for answer in refused] == [401, 400, 404]
    told += [answer.body for answer in refused]
    told += [json.dumps(c.args) for c in slack.calls_to("chat.postMessage")]
    assert "Slack isn't answering" in told[2] and "no longer exists" in told[4]
    ran(sum(1 for text in told[:8] if text), 8, "error messages answered in words")
    exposed = {word: [t[:200] for t in told if word in t] for word in INTERNALS}
    assert {word: found for word, found in exposed.items() if found} == {}
