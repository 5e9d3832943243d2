"""The share-out core, the crisis phrase list and the de-identification check, in-process."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engagement.exports import export
from bot.engagement.periods import parse_period
from bot.engagement.report import Labels, compute
from bot.errors import ContentError
from bot.group_commit import GroupCommit
from bot.runtime import MIGRATION_SETS, load_content
from bot.blocks import MAX_SECTION_TEXT
from bot.safety import NoteFor, SafetyNet, Who, build_safety_net
from bot.word_model import read_word_model
from bot.sessions.core import Occurrence
from bot.shareouts import blocks
from bot.shareouts import core as shareouts_core
from bot.shareouts.blocks import CheckIn
from bot.shareouts.core import (
    MAX_TEXT,
    Description,
    Draft,
    Field,
    Owner,
    Shareout,
    Visibility,
    all_mine,
    check,
    delete,
    describe,
    export_csv,
    export_json,
    export_rows,
    get,
    mine,
    purge_expired,
    purge_texts,
    save,
    update,
)
from bot.shareouts.deidentify import Concern, concerns
from bot.store import Store
from bot.text import escape
from tests.conftest import FIXTURE_CONTENT, REAL_CONTENT

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SECRET = "a-test-secret-that-is-long-enough-0123456789"
ALICE = Owner.of("UALICE", SECRET)
BOB = Owner.of("UBOB", SECRET)
ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    yield store
    store.close()


@pytest.fixture(scope="module")
def content():
    return load_content(REAL_CONTENT).shareout


def test_one_request_saves_one_row(store, commits):
    first = save(commits, Draft("hello"), ALICE, request_key="view:V1:h1", now=NOW, zone=ZONE).result()
    again = save(commits, Draft("hello again"), ALICE, request_key="view:V1:h1", now=NOW, zone=ZONE).result()
    assert first.created and not again.created
    assert again.shareout == first.shareout
    assert store.db["shareouts"].count == 1


def test_a_share_out_deleted_while_a_members_list_is_read_is_left_out(store, commits):
    # Two presses of "delete my data" at work at once: one has read the ids when the other deletes a row.
    kept, gone = (save(commits, Draft(text), ALICE, request_key=text, now=NOW, zone=ZONE).result().shareout for text in ("kept", "gone"))
    ids = shareouts_core._my_ids(store.db, ALICE)
    delete(store, gone.id, ALICE)
    assert shareouts_core._load_all(store.db, ids) == [kept]


def test_anonymous_to_everyone_stores_only_the_keyed_hash(store, commits):
    saved = save(commits, Draft("mine alone", Visibility.ANONYMOUS), ALICE, request_key="k", now=NOW, zone=ZONE).result().shareout
    row = store.db["shareouts"].get(saved.id)
    assert row["user_id"] is None and ALICE.owns(row["author_hash"])
    assert not Owner.of("UALICE", "another-secret-of-the-same-length-0123456789").owns(row["author_hash"])
    assert not BOB.owns(row["author_hash"])
    assert get(store, saved.id, ALICE) == saved
    assert get(store, saved.id, BOB) is None
    assert mine(store, BOB).total == 0 and delete(store, saved.id, BOB) is None
    assert delete(store, saved.id, ALICE) == saved
    assert store.db["shareouts"].count == 0


def test_two_anonymous_share_outs_of_one_member_cannot_be_linked(store, commits):
    first, second = (
        save(commits, Draft(text, Visibility.ANONYMOUS), ALICE, request_key=text, now=NOW, zone=ZONE).result().shareout
        for text in ("the first", "the second")
    )
    codes = [store.db["shareouts"].get(s.id)["author_hash"] for s in (first, second)]
    salts, digests = zip(*(code.split(":") for code in codes), strict=True)
    assert len(set(salts)) == 2 and len(set(digests)) == 2  # nothing in common
    assert [s.text for s in mine(store, ALICE).shareouts] == ["the second", "the first"]


def test_a_code_from_before_salted_codes_still_finds_its_author(store, commits):
    saved = save(commits, Draft("written long ago", Visibility.ANONYMOUS), ALICE, request_key="old", now=NOW, zone=ZONE).result()
    member_wide = ALICE._member_code  # the one code per member written before
    store.db.execute("update shareouts set author_hash = ? where id = ?", [member_wide, saved.shareout.id])
    assert [s.id for s in mine(store, ALICE).shareouts] == [saved.shareout.id]
    assert mine(store, BOB).total == 0


def test_an_edit_moves_the_author_between_id_and_hash(store, commits):
    saved = save(commits, Draft("named first", themes=("win",)), ALICE, request_key="k", now=NOW, zone=ZONE).result().shareout
    assert store.db.execute("select count(*) from events where user_id = 'UALICE'").fetchone()[0] == 1
    hiding = Draft("now hidden", Visibility.ANONYMOUS, themes=("ask", "barrier"))
    hidden = update(store, saved.id, ALICE, hiding, now=NOW, zone=ZONE)
    assert hidden is not None and hidden.user_id is None and hidden.themes == ("ask", "barrier")
    assert hidden.id < 0 and get(store, saved.id, ALICE) is None  # a new id: the old one placed it in time
    assert store.db.execute("select count(*) from events where user_id = 'UALICE'").fetchone()[0] == 0
    shown = update(store, hidden.id, ALICE, Draft("named again", Visibility.CHANNEL_NAMED), now=NOW, zone=ZONE)
    assert shown is not None and shown.user_id == "UALICE" and shown.id == hidden.id
    assert store.db["shareouts"].get(hidden.id)["author_hash"] is None
    assert update(store, hidden.id, BOB, Draft("not yours"), now=NOW, zone=ZONE) is None


def test_mine_pages_newest_first(store, commits):
    for day in range(12):
        save(commits, Draft(f"day {day}"), ALICE, request_key=f"k{day}", now=NOW + timedelta(days=day), zone=ZONE).result()
    save(commits, Draft("bob's"), BOB, request_key="bob", now=NOW, zone=ZONE).result()
    first = mine(store, ALICE, limit=10)
    assert first.total == 12 and first.shareouts[0].text == "day 11" and len(first.shareouts) == 10
    assert [s.text for s in mine(store, ALICE, limit=10, offset=10).shareouts] == ["day 1", "day 0"]


def test_retention_removes_old_texts_and_keeps_the_rows(store, commits):
    save(commits, Draft("old words", themes=("win",)), ALICE, request_key="old", now=NOW - timedelta(days=40), zone=ZONE).result()
    save(commits, Draft("new words"), ALICE, request_key="new", now=NOW - timedelta(days=5), zone=ZONE).result()
    assert purge_expired(store, 30, NOW, zone=ZONE) == 1
    assert [s.text for s in all_mine(store, ALICE)] == [None, "new words"]
    assert store.db["shareout_themes"].count == 1
    assert purge_texts(store, older_than=NOW) == 1


def test_the_export_has_labels_no_member_id_and_is_safe_in_a_spreadsheet(store, commits, content):
    save(
        commits,
        Draft("=1+1 started with a formula", Visibility.ANONYMOUS, sector="other", themes=("ask",)),
        ALICE,
        request_key="k",
        now=NOW,
        zone=ZONE,
    ).result()
    rows = export_rows(store, content, ALICE)
    (code,) = [row["author_hash"] for row in store.db["shareouts"].rows]
    for text in (export_csv(rows), export_json(rows)):
        assert "UALICE" not in text and code.split(":")[1] not in text
    (record,) = csv.DictReader(io.StringIO(export_csv(rows)))
    assert record["text"] == "'=1+1 started with a formula" and record["sector"] == "Other"
    assert json.loads(export_json(rows))["shareouts"][0]["themes"] == ["An ask for help or ideas"]


# ------------------------------------------------------------------------- anonymous in time


def test_an_anonymous_share_out_keeps_only_its_day_and_so_does_its_event(store, commits):
    late = datetime(2026, 11, 29, 3, 0, 0, 123456, tzinfo=UTC)  # 10 pm on the 28th in New York
    draft = Draft("late at night", Visibility.ANONYMOUS, themes=("win", "ask"))
    saved = save(commits, draft, ALICE, request_key="view:V1:1796000000.123456", now=late, zone=ZONE).result().shareout
    assert saved.day_only and saved.created_at == datetime(2026, 11, 28, 12, tzinfo=UTC) and saved.id < 0
    row = store.db["shareouts"].get(saved.id)
    assert "1796000000" not in row["request_key"]  # Slack's view hash begins with the time the form opened
    themes = store.db.execute("select rowid, theme from shareout_themes order by rowid").fetchall()
    assert [theme for _, theme in themes] == ["win", "ask"] and all(rowid < 0 for rowid, _ in themes)
    (event,) = store.db.execute("select id, at, user_id from events where kind = 'shareout'").fetchall()
    assert event[0] < 0 and event[1:] == (saved.created_at.timestamp(), None)
    later = late + timedelta(hours=1)
    edited = update(store, saved.id, ALICE, Draft("edited", Visibility.ANONYMOUS, themes=("barrier",)), now=later, zone=ZONE)
    assert edited.created_at == saved.created_at and edited.updated_at == saved.created_at and edited.themes == ("barrier",)
    assert edited.id == saved.id


def test_mine_keeps_the_members_own_order_within_a_day(store, commits):
    for minute, visibility in enumerate([Visibility.COORDINATORS, Visibility.ANONYMOUS] * 2):
        draft = Draft(f"minute {minute}", visibility)
        save(commits, draft, ALICE, request_key=f"a{minute}", now=NOW + timedelta(minutes=minute), zone=ZONE).result()
        save(commits, Draft(f"bob {minute}", visibility), BOB, request_key=f"b{minute}", now=NOW, zone=ZONE).result()
    assert [s.text for s in mine(store, ALICE).shareouts] == ["minute 3", "minute 2", "minute 1", "minute 0"]
    assert [s.text for s in mine(store, ALICE, limit=2, offset=2).shareouts] == ["minute 1", "minute 0"]
    assert [s.text for s in all_mine(store, ALICE)] == ["minute 0", "minute 1", "minute 2", "minute 3"]
    # The running numbers are sealed: nobody without the key can tell whose they are, or their order.
    sealed = [order for (order,) in store.db.execute("select author_order from shareouts")]
    assert sorted(sealed) != sealed and max(sealed) > 2**32


def test_the_form_says_what_is_kept_and_mine_shows_the_day_alone(store, commits, content):
    view = blocks.form_view(Draft(""), sessions=[], content=content, metadata="{}").to_dict()
    (radio,) = [b["element"] for b in view["blocks"] if b.get("block_id") == "visibility"]
    (anonymous,) = [o for o in radio["options"] if o["value"] == "anonymous"]
    assert "Keeps the day, not the time" in anonymous["description"]["text"]
    assert "keeps the day you shared it, not the time" in blocks.audience(Visibility.ANONYMOUS, None)
    late = datetime(2026, 11, 4, 3, 0, tzinfo=UTC)  # 10 pm on Tuesday the 3rd in New York
    save(commits, Draft("by day", Visibility.ANONYMOUS), ALICE, request_key="a", now=late, zone=ZONE).result()
    save(commits, Draft("by time"), ALICE, request_key="n", now=late, zone=ZONE).result()
    shown = json.dumps(blocks.mine_message(mine(store, ALICE), {}, "America/New_York").to_dict(), ensure_ascii=False)
    assert "*Tue, Nov 3* · Not about a session · Coordinators only, without my name" in shown
    assert shown.count("<!date^") == 1  # the named one, at its time in each reader's zone


def test_a_share_out_turned_anonymous_keeps_its_place_in_mine(store, commits):
    for n in range(3):
        save(commits, Draft(f"named {n}"), ALICE, request_key=f"k{n}", now=NOW + timedelta(minutes=n), zone=ZONE).result()
    middle = mine(store, ALICE).shareouts[1]
    update(store, middle.id, ALICE, Draft("named 1, now anonymous", Visibility.ANONYMOUS), now=NOW, zone=ZONE)
    assert [s.text for s in mine(store, ALICE).shareouts] == ["named 2", "named 1, now anonymous", "named 0"]


def test_anonymous_share_outs_saved_before_keep_only_their_day_after_the_migration(store):
    written = datetime(2026, 11, 28, 21, 15, 7, 654321, tzinfo=UTC)
    row = {
        "id": 5,
        "created_at": written.timestamp(),
        "updated_at": written.timestamp() + 60,
        "visibility": "anonymous",
        "author_hash": ALICE.seal(),
        "text": "written before",
        "request_key": "view:V9:1796000000.123456",
    }
    store.db["shareouts"].insert(row)
    store.db["shareout_themes"].insert_all([{"shareout_id": 5, "theme": "ask"}, {"shareout_id": 5, "theme": "win"}])
    store.migrate([shareouts_core.day_migrations(ZONE)])
    (kept,) = mine(store, ALICE).shareouts
    assert kept.id < 0 and kept.day_only and kept.created_at == kept.updated_at == datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert kept.themes == ("ask", "win") and kept.text == "written before"
    assert "1796000000" not in store.db["shareouts"].get(kept.id)["request_key"]


def test_retention_goes_by_whole_days_in_the_community(store, commits):
    evening = datetime(2026, 10, 30, 1, 0, tzinfo=UTC)  # 9 pm on October 29th in New York: 30 days ago there
    save(commits, Draft("named, the day before"), ALICE, request_key="n", now=evening - timedelta(days=1), zone=ZONE).result()
    save(commits, Draft("anonymous, that evening", Visibility.ANONYMOUS), ALICE, request_key="a", now=evening, zone=ZONE).result()
    assert purge_expired(store, 30, NOW, zone=ZONE) == 1
    assert [s.text for s in all_mine(store, ALICE)] == [None, "anonymous, that evening"]


def test_exports_show_the_day_alone_and_never_place_an_anonymous_share_out_among_named_ones(store, commits, content):
    morning = datetime(2026, 11, 3, 11, 0, tzinfo=UTC)  # 6 am in New York
    for hours, visibility in ((0, Visibility.COORDINATORS), (1, Visibility.ANONYMOUS), (3, Visibility.COORDINATORS)):
        draft = Draft(f"{hours} hours on", visibility)
        save(commits, draft, ALICE, request_key=str(hours), now=morning + timedelta(hours=hours), zone=ZONE).result()
    mine_exported = {row["text"]: row["created_at"] for row in export_rows(store, content, ALICE)}
    assert mine_exported["1 hours on"] == "2026-11-03" and mine_exported["0 hours on"] == "2026-11-03T11:00:00+00:00"
    period = parse_period("2026-11", NOW, "America/New_York")
    files = export(store, compute(store, period, threshold=1, labels=Labels(), now=NOW), Labels())
    (shared,) = [file for file in files if file.name.endswith("-shareouts.csv")]
    exported = list(csv.DictReader(io.StringIO(shared.content.decode("utf-8-sig"))))
    assert [(row["text"], row["created_at"]) for row in exported] == [
        ("1 hours on", "2026-11-03"),  # first in its day, not between the two by its stored 12:00 UTC
        ("0 hours on", "2026-11-03T06:00-05:00"),
        ("3 hours on", "2026-11-03T09:00-05:00"),
    ]


def test_every_check_names_its_field(store, content):
    def problems(draft, origin="C0HEART"):
        return set(check(store, content, draft, now=NOW, origin_channel=origin))

    assert problems(Draft("fine")) == set()
    assert problems(Draft(" \n ")) == {Field.TEXT}
    assert problems(Draft("x" * (MAX_TEXT + 1))) == {Field.TEXT}
    assert problems(Draft("x" * MAX_TEXT)) == set()
    assert problems(Draft("fine", occurrence_id="gone")) == {Field.SESSION}
    assert problems(Draft("fine", sector="pilot")) == {Field.SECTOR}
    assert problems(Draft("fine", themes=("win", "nope"))) == {Field.THEMES}
    assert problems(Draft("fine", Visibility.CHANNEL_NAMED), origin="D0DM") == {Field.VISIBILITY}
    assert problems(Draft("fine", Visibility.CHANNEL_NAMED), origin="G0PRIVATE") == set()


# ----------------------------------------------------------------------------- the safety net


@pytest.mark.parametrize(
    "text",
    [
        "I want to die",
        "Honestly I can't go on like this",
        "I CANT GO ON",
        "thinking about suicide",
        "I have been Suicidal lately",
        "sometimes I think everyone would be better off without me",
        "I don’t want to be here anymore",
        "I keep wanting to hurt myself",
        "self-harm has been on my mind",
        "I'm dying inside",
    ],
)
def test_crisis_phrases_are_found(content, text):
    assert content.crisis.hears(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "We were killing it with the new schedule",
        "I'm dying to try the grounding exercise",
        "I'm dying to know how the pilot went",
        "The new cafe has cookies to die for",
        "Our suicide prevention training was useful",
        "We reviewed the suicide risk assessment protocol",
        "Call the 988 Suicide & Crisis Lifeline poster is up in the office",
        "overdose prevention kits arrived",
        "the deadline is killing me",
        "my laptop died mid-session",
        "",
        # Words copied from a song, a sample note or a screener read aloud in a training
        "A 7th grader's notebook said 'I want to disappear forever.' She was copying a line from the song they learned in music.",
        "Charting in-service today: we rewrote sample notes that said 'pt reports SI w/o plan' into full risk formulations.",
        "At the refresher we read the question 'have you wished you could go to sleep and not wake up?' out loud until it felt natural.",
    ],
)
def test_idioms_and_work_talk_are_not_crisis_phrases(content, text):
    assert content.crisis.hears(text) is None


def test_a_quiet_idiom_never_hides_a_rule_elsewhere_in_the_text():
    rules = {"rules": [{"id": "dying", "category": "ideation", "say": ["dying"], "examples": ["dying"]}], "quiet": ["dying to try"]}
    net = build_safety_net([("crisis.yml", rules)], problem=lambda where, what: pytest.fail(f"{where}: {what}"))
    assert net.hears("dying to try it") is None
    assert net.hears("dying to try it, and honestly dying") is not None
    assert net.hears("Dying.") is not None


def test_work_words_a_member_says_of_themselves_are_not_blanked_as_work_talk():
    files = {
        "rules": [{"id": "own-risk", "category": "ideation", "say": ["suicide risk ** high"], "examples": ["my own suicide risk is high"]}],
        "quiet": ["suicide risk"],  # as crisis.yml blanks the work talk of "suicide risk assessment"
        "personal": ["my own suicide risk"],
    }
    net = build_safety_net([("crisis.yml", files)], problem=lambda where, what: pytest.fail(f"{where}: {what}"))
    assert net.hears("The suicide risk of our clients is high this winter.") is None
    assert net.hears("My own suicide risk feels high tonight.") is not None



def test_a_firm_rule_is_heard_where_the_word_model_would_keep_any_other_quiet():
    files = {
        "rules": [
            {"id": "plain", "category": "plan", "say": ["planning the second"], "examples": ["planning the second"]},
            {"id": "firm", "category": "plan", "say": ["planning the next"], "examples": ["planning the next"], "firm": True},
        ]
    }
    net = build_safety_net([("crisis.yml", files)], problem=lambda where, what: pytest.fail(f"{where}: {what}"))
    calm = read_word_model({"threshold": 0.5, "intercept": -30.0, "calm_below": 0.4, "words": {"planning": [1.0, 0.0]}})
    sure = dataclasses.replace(net, model=calm)  # sure that every share-out it reads is calm
    assert sure.hears("Survived the first one, planning the second.") is None
    assert sure.hears("Survived the first one, planning the next.") is not None


def test_firm_must_be_true_or_false():
    problems = []
    rule = {"id": "firm", "category": "plan", "say": ["planning the next"], "examples": ["planning the next"], "firm": "yes"}
    build_safety_net([("crisis.yml", {"rules": [rule]})], problem=lambda where, what: problems.append(what))
    assert problems == ["firm must be true or false"]

@pytest.mark.parametrize(
    "text, heard",
    [
        ("My own suicide risk feels high tonight.", True),
        ("I did the suicide screening on myself and I scored high risk.", True),
        ("We updated the suicide risk assessment protocol today.", False),
        ("Practiced the suicide screening on myself at the training and it was negative.", False),
        ("My own suicide risk is low, I'm good, just tired.", False),
    ],
)
def test_a_member_telling_their_own_risk_in_screening_words_is_heard(content, text, heard):
    # The word model learnt "suicide screening" from calm work talk: it may not overrule these.
    assert (content.crisis.hears(text) is not None) is heard


@pytest.mark.parametrize(
    "text, who",
    [
        # A member who shares the risk they tell of someone else: the note is for them.
        ("My friend told me she wants to die. We got her to the ER and she's safe. Honestly I feel that too.", Who.SELF),
        ("My student said she's been cutting. She's with the counselor now and she's okay. I have the same marks, fresh from this week.", Who.SELF),
        ("A kid in homeroom joked 'im gonna kms' over the quiz and they all laughed, he's fine. But me, when I say it, I mean it.", Who.SELF),
        ("My coworker said she's done with life, and we got her to the ED, she's safe now. The hardest part is me, I'm done too.", Who.SELF),
        ("A boy in my class said he wanted to die when his hamster died; he's with the counselor and fine. I've been wanting to die too.", Who.SELF),
        # A clearing the writer believed at first clears nothing: the note is for a helper.
        ("My brother said he wants to go to sleep and not wake up, and I thought he meant the night shifts. He's been giving his tools away.", Who.OTHER),
        ("My sister told me she wants to disappear for good. I figured she was joking, she laughs everything off. She gave me her dog's leash today.", Who.OTHER),
        ("my cousin keeps saying 'ima unalive myself' and i thought it was a meme but she just gave me her dog", Who.OTHER),
    ],
)
def test_the_note_is_for_whoever_the_member_says_is_at_risk_now(content, text, who):
    concern = content.crisis.hears(text)
    assert concern is not None and concern.about is who


@pytest.mark.parametrize(
    "text, who",
    [
        ("'I want to die' is what my student wrote on her exit ticket, so we walked her down to the counselor.", Who.OTHER),
        ("\"I want to die,\" the boy in my advisory said, and he wouldn't look up.", Who.OTHER),
        ("\"I want to die,\" I told my therapist today, and she asked me to come in tomorrow.", Who.SELF),
        # ...and whoever told the member the words, a few words before the quote opens.
        ("A man I've sponsored for years messaged me at 5am today: 'I have the pills counted out.'", Who.OTHER),
    ],
)
def test_quoted_words_are_about_whoever_the_words_after_the_quote_say_spoke_them(content, text, who):
    rules = dataclasses.replace(content.crisis, model=None, whom=None)  # the words for people alone decide
    concern = rules.hears(text)
    assert concern is not None and concern.about is who


def assert_heard_for(crisis: SafetyNet, text: str, who: Who) -> None:
    """``text`` is heard, and its note worded for ``who``, by the net and by its rules alone."""
    for net in (crisis, dataclasses.replace(crisis, model=None, whom=None)):
        concern = net.hears(text)
        assert concern is not None and concern.about is who


@pytest.mark.parametrize(
    "text, who",
    [
        # A past told in the sentence does not set aside what is happening now beside it.
        ("I used to cut in high school and I'm forty-three and I did it in the staff bathroom today.", Who.SELF),
        ("I spend all day asking kids if they're safe at home, and I go home and think about dying because I'm not.", Who.SELF),
        ("I was suicidal in college, in 2017, and lately I want to die most days.", Who.SELF),
        ("A kindergartener said daddy hurts mommy and then hurts her too, and she had a bruise on her back when she changed.", Who.OTHER),
        # ...nor in the sentences after it, where the writer says it is back.
        ("Back in high school I wanted to kill myself most days. I'm 26 now. This week it's most days again.", Who.SELF),
        ("A kid I worked with for cutting in 2019 showed up today with new cuts on her thighs and said she can't stop.", Who.OTHER),
        # A check that found nothing, overturned by what was said after it.
        ("The nurse ran through the screening questions with my mom. She said no to all of them. Tonight she told me she's been saving up her oxycodone.", Who.OTHER),
        # A past in an aside about someone says who they are, not when the sentence happens...
        ("My brother, who attempted when he was 19, has his pills lined up on the counter.", Who.OTHER),
        # ...and a run-on line says its present with "now" beside the past.
        ("i wanted to die back in 2016 and honestly i want to die even more now", Who.SELF),
    ],
)
def test_what_is_happening_now_is_heard_beside_a_past_or_a_question(content, text, who):
    assert_heard_for(content.crisis, text, who)


@pytest.mark.parametrize(
    "text, who",
    [
        # Getting ready told as logistics: accounts closed, a day named, a child left alone for days.
        ("Cancelled all my sessions and deleted my Instagram. I've made my decision.", Who.SELF),
        ("The twins go to my mother's on Saturday. That's when.", Who.SELF),
        ("I'm not doing this much longer, I've decided.", Who.SELF),
        ("When they scheduled my MRI for June I thought, hopefully I'm gone by then.", Who.SELF),
        ("My neighbor's 4 year old was home alone again today, her dad took off and hasn't come home in two days.", Who.OTHER),
        ("She has the bottle and told her mom 'I'm not giving it back, I'm done.'", Who.OTHER),
        ("Told my roommate goodbye this morning. She thought I meant see you tonight. I meant for good.", Who.SELF),
        ("swore id never do this again and i have all my pills out on the bed", Who.SELF),
        ("I know how and I know when. I only logged in because the link popped up.", Who.SELF),
        ("Her essay ended: 'I'm not planning to be alive to read your comments.' She's with the counselor now.", Who.OTHER),
        ("Un estudiante subió una foto del puente con 'adiós a todos, los quiero.' La policía lo está buscando.", Who.OTHER),
        # ...and the wish or the hurt told without its name, or brought back after years.
        ("My aunt lights a candle for my health every week. I pray for the opposite.", Who.SELF),
        ("Long sleeves again and it's 88 degrees in the gym.", Who.SELF),
        ("Four years clean and I bought a bag today. I know what I'm using it for.", Who.SELF),
        ("My dad died in 2015 and I got through it, and this winter I'm right back to wishing I was dead too.", Who.SELF),
        ("I seriously considered suicide this week for the first time in years.", Who.SELF),
        # ...or kept in reach and said what for, or told in the screening words of one's own work.
        ("My brother's old deer rifle lives under my bed now. It's not for protection.", Who.SELF),
        ("If I ran the ASQ on my own kid self tonight I'd have to answer yes to the first two.", Who.SELF),
        ("I can't remember the last morning I didn't think about ending it.", Who.SELF),
        ("Honestly I can't remember the last week I didn't think about ending my life.", Who.SELF),
        ("The reasons-to-live box on my safety plan is empty.", Who.SELF),
        ("There isn't going to be a next Christmas for me.", Who.SELF),
        ("im not safe tonite can someone please answer", Who.SELF),
        ("Just wanted to say this group meant so much to me. Tonight will probably be my last session.", Who.SELF),
    ],
)
def test_risk_told_sideways_as_logistics_or_without_its_name_is_heard(content, text, who):
    assert_heard_for(content.crisis, text, who)


@pytest.mark.parametrize(
    "text",
    [
        "I used to cut in high school. It's been nineteen years and I'm doing well.",
        "Back when we lived in Fall River I wanted to die most days. That was 2009; I run the survivors' group now.",
        "In 2012 I wanted to die. Then I found this group. I'm happy again.",
        "The winter of 2017 I was sure everyone would be better off without me. Seven winters later I bought a house in Biddeford.",
        "She asked me about sleep, intrusive images, and any thoughts of harming myself. All no, and I'm back to normal today.",
        "Team retreat walking the Bridge of Flowers in Shelburne Falls. Absolutely overdosing on dahlias.",
        "He told me he hasn't had any thoughts of dying since last winter, and he has a job interview Friday.",
        "Keep the role-play where the student says they've been thinking about killing themselves, and practice asking about a plan.",
        "It's been more than twenty years since I last hurt myself, and I teach yoga in Keene now.",
        "The year after my daughter was born I wrote letters to my family. I got help; she's nine now and bossy.",
        "My grandfather tried to end his life after the war. I was little. He lived to ninety-one.",
        "When I was 19 I planned it all. My roommate noticed I'd given away my records and told our RA. I'm fifty now.",
        "My son cut himself in 8th grade. He's at UConn now and calls every Sunday.",
        "Twelve years free of the pills I took from my dad's cabinet; I'm a pharmacist now.",
        "Checked on my teammate's bandage: a burn from the oven at Thanksgiving, and she's fine.",
        "Putting my affairs in order, by which I mean the shared drive finally has folders.",
        "Wrote goodbye cards for my seniors before they graduate. Cried the whole time.",
        "The new report card system makes me want to jump out a window.",
        "For anyone who got my out of office saying I won't be back: I meant until Monday.",
        "The cuts on my arm are from the cat, I promise.",
        "At my physical the question about hurting yourself was a flat zero.",
        "The share of high schoolers reporting they seriously considered suicide dropped in the new YRBS.",
        "When I said I wanted to disappear I meant to a cabin in Maine with no email.",
        "Spring 2016 was when I wanted to die every day. I'm a peer specialist in Lowell now.",
        "During grad school I cut myself for about a year. I stopped in 2012 and haven't since.",
        "Sorry to be a burden on the group chat with my questions, but is the session recorded?",
        "My old self-harm scars are part of my story, and I show them when a kid needs to see that people get through.",
        "The self-harm flag on the referral was a burn from the stove; the nurse confirmed it.",
        "My sister, who attempted in 2015, is a nurse in Worcester now.",
        "My mom, who was hospitalized in 2019 for an overdose, is doing great and just ran her first 5K.",
        "I cut myself, when I was 14, and I'm 30 now.",
    ],
)
def test_a_past_told_as_past_and_words_used_otherwise_stay_quiet(content, text):
    assert content.crisis.hears(text) is None
    assert dataclasses.replace(content.crisis, model=None).hears(text) is None  # the rules alone too


def test_a_worry_about_someone_else_told_as_cleared_stays_quiet_unless_doubted_or_about_the_writer(content):
    cleared = "A kid said 'I want to die' at her flu shot. She meant the needle, we laughed."
    assert content.crisis.hears(cleared) is None
    assert content.crisis.hears(cleared + " I'm not convinced though.") is not None
    about_me = content.crisis.hears(cleared + " Honestly some days I want to die too.")
    assert about_me is not None and about_me.about is Who.SELF
    assert content.crisis.hears("He said he wants to die. He said it like it was a joke.") is not None


def test_a_clearing_is_read_on_the_words_as_written_not_as_the_quiet_patterns_blank_them():
    files = {
        "rules": [{"id": "hurting", "category": "self-harm", "say": ["hurting herself"], "examples": ["hurting herself"]}],
        "quiet": ["said no"],  # as crisis.yml blanks "said no", so that its "no" negates nothing after it
        "cleared": ["she said no to both"],
        "people": {"self": ["i"], "other": ["she", "herself"]},
    }
    net = build_safety_net([("crisis.yml", files)], problem=lambda where, what: pytest.fail(f"{where}: {what}"))
    assert net.hears("I asked if she has been hurting herself. She said no to both.") is None
    assert net.hears("I asked if she has been hurting herself.") is not None


def test_words_of_now_inside_words_of_the_past_leave_a_sentence_in_the_past(content):
    assert content.crisis.hears("Ten years ago this week I tried to take my life. Today I ran the peer group.") is None
    assert content.crisis.hears("Ten years ago I tried to take my life. This week I want to end my life again.") is not None


@pytest.mark.parametrize(
    "past, brought_back",
    [
        ("In high school I wanted to die.", "In high school I wanted to die. I still do."),
        ("In college I wanted to die.", "In college I wanted to die and honestly I want to die now too."),
        ("The old me would have wanted to die.", "The old me would have laughed, but now I just want to die."),
    ],
)
def test_a_past_brought_back_to_now_in_the_next_sentence_or_the_same_one_is_heard(content, past, brought_back):
    assert content.crisis.hears(past) is None
    assert content.crisis.hears(brought_back) is not None


def test_the_crisis_resources_are_exactly_the_published_ones():
    text = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED)])
    assert "*988 Suicide &amp; Crisis Lifeline*: call or text 988, or chat at 988lifeline.org" in text
    assert "*Crisis Text Line*: text HOME to 741741" in text
    assert "call 911 if you or someone else is in immediate danger" in text
    assert "not a crisis service" in text
    assert "press 1 for the Veterans Crisis Line, press 2 for Spanish" in text


def test_a_note_about_someone_else_speaks_to_a_helper_and_a_child_brings_the_mandated_report():
    helper = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED, NoteFor.HELPER)])
    assert "someone you know may be at risk" in helper
    assert "988 also helps people who are worried about someone else" in helper
    assert "crisis protocol" in helper
    assert "mandated reporter" not in helper
    child = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED, NoteFor.HELPER_CHILD)])
    assert "mandated reporters" in child and "51A report to DCF" in child
    assert "Childhelp National Child Abuse Hotline" in child
    unsafe = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED, NoteFor.SELF_UNSAFE)])
    assert "National Domestic Violence Hotline" in unsafe and "call 911" in unsafe


def test_the_note_says_who_the_share_out_was_saved_for_and_nothing_once_it_is_gone():
    channel = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED, saved=Visibility.CHANNEL_ANONYMOUS)])
    assert "Only you see this note. Your share-out is saved and posted in the channel without your name (`/shareout mine` takes it down)." in channel
    assert "if only a few people shared out around then, they could guess" in channel
    named = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.OFFERED, saved=Visibility.COORDINATORS)])
    assert "*Without my name:* the message doesn't say who asked, but your share-out is saved with your name" in named
    gone = json.dumps([b.to_dict() for b in blocks.safety_message(CheckIn.TOLD_NAMED, NoteFor.SELF).blocks])
    assert "Only you see this note." in gone and "Your share-out is saved" not in gone


def test_without_a_coordinator_to_receive_it_no_check_in_button_is_offered():
    shown = json.dumps([b.to_dict() for b in blocks.safety_blocks(1, CheckIn.NOBODY_TO_TELL)])
    assert "Let a coordinator know" not in shown
    assert "No coordinator is set up" in shown


@pytest.mark.parametrize(
    "text, found",
    [
        ("Maria Lopez was so proud today", {Concern.NAME}),
        ("Seán O'Brien-Walsh asked for help", {Concern.NAME}),
        ("call her mom at (413) 555-0123", {Concern.PHONE}),
        ("text 413.555.0123 or +1 413 555 0123", {Concern.PHONE}),
        ("a 9th grader, M.L., was so proud today", set()),
        ("We met at the New England Peer Support Hour on Monday", set()),
        ("My IEP meeting with DCF went well", set()),
        ("call or text 988, or text HOME to 741741", set()),
        ("we meet 2026-11-28 at 3:30", set()),
    ],
)
def test_names_and_phone_numbers_are_spotted_gently(text, found):
    assert concerns(text) == found


# ----------------------------------------------------------------------------- content checks


_RULE = "rules: [{id: die, category: ideation, say: [want to die], examples: [I want to die]}]\n"


@pytest.mark.parametrize(
    "file, text, problem",
    [
        ("shareout.yml", "sectors: []\nthemes: [{id: win, label: A win}]\n", "sectors: must be a list of 1 to 100 items"),
        ("shareout.yml", "sectors: [{id: Bad Id, label: X}]\nthemes: [{id: win, label: A win}]\n", "id 'Bad Id' must be"),
        (
            "shareout.yml",
            "sectors: [{id: a, label: A}, {id: a, label: B}]\nthemes: [{id: w, label: W}]\n",
            "id 'a' is used twice",
        ),
        ("shareout.yml", f"sectors: [{{id: a, label: {'L' * 76}}}]\nthemes: [{{id: w, label: W}}]\n", "label must be 1 to 75"),
        ("crisis.yml", "reviewed: soon\n" + _RULE, "reviewed: must be a date"),
        ("crisis.yml", "reviewed: 2026-11-28\n" + _RULE + "colour: red\n", "unknown field(s) colour"),
        (
            "crisis.yml",
            "reviewed: 2026-11-28\nrules: [{id: die, category: ideation, say: ['{wish} to die'], examples: [x]}]\n",
            "uses {wish}, which is not a word family",
        ),
        (
            "crisis.yml",
            "reviewed: 2026-11-28\nrules: [{id: die, category: ideation, say: ['(really )?want to die'], examples: [x]}]\n",
            "has a '?': write a word that may be left out in [brackets]",
        ),
        (
            "crisis.yml",
            "reviewed: 2026-11-28\nrules: [{id: die, category: ideation, say: [want to die], examples: [I am tired]}]\n",
            "its example 'I am tired' does not fire it",
        ),
        ("crisis.yml", "reviewed: 2026-11-28\nrules: [{id: die, say: [want to die]}]\n", "needs an id and a category"),
    ],
)
def test_share_out_content_problems_are_named(tmp_path, file, text, problem):
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    (root / file).write_text(text)
    with pytest.raises(ContentError) as error:
        load_content(root)
    assert problem in str(error.value) and file in str(error.value)


# ----------------------------------------------------------------------------- any text at all

any_text = st.text(max_size=MAX_TEXT).filter(lambda t: t.strip())
SLACK_CONTROL = re.compile(r"<[@#!]")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=any_text, visibility=st.sampled_from(list(Visibility)))
def test_any_text_survives_the_form_the_store_and_every_message(tmp_path_factory, content, text, visibility):
    store = Store(tmp_path_factory.mktemp("prop") / "heart.db")
    store.migrate(MIGRATION_SETS)
    commits = GroupCommit(store)
    try:
        draft = Draft(text, visibility, themes=("win",))
        form = blocks.form_view(draft, sessions=[], content=content, metadata="{}").to_dict()
        initial = [b["element"].get("initial_value") for b in form["blocks"] if b["type"] == "input"]
        assert text in initial  # the form gives the words back as typed (plain text: nothing to escape)
        saved = save(commits, draft, ALICE, request_key="k", now=NOW, zone=ZONE).result().shareout
        assert get(store, saved.id, ALICE).text == text
        described = describe(store, content, saved, "C0HEART")
        for message in (
            blocks.confirmation_message(described, concerns=concerns(text), check_in=CheckIn.OFFERED),
            blocks.channel_post(described),
            blocks.mine_message(mine(store, ALICE), {}, "America/New_York"),
            blocks.too_long_message(text * 2),
            blocks.confirmation_view(described, edited=True),
        ):
            body = json.dumps(message.to_dict()["blocks"])
            ours = ("<@UALICE>", "<#C0HEART>", "<!date^")  # the bot's own mention, channel link and dates
            assert not SLACK_CONTROL.search(re.sub("|".join(map(re.escape, ours)), "", body))
    finally:
        commits.close()
        store.close()


@given(st.text())
def test_escaped_text_can_never_open_a_slack_control_sequence(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0


SESSION = Occurrence(
    id="o1",
    series_id="s1",
    title="Peer Support Hour <for> staff & friends",
    starts_at=NOW,
    ends_at=NOW + timedelta(hours=1),
    topic=None,
    status="scheduled",
    channel_id="C0HEART",
    join_url=None,
    timezone="America/New_York",
)
# Member text as it comes: mrkdwn, mentions, escapes, control and bidi characters, long lines and many lines.
member_text = st.one_of(
    st.text(max_size=MAX_TEXT),
    st.text(alphabet="a<>&*_\n\u202e\x07 ", min_size=MAX_TEXT // 2, max_size=MAX_TEXT),
    st.lists(st.text(alphabet="ab<& ", max_size=400), max_size=30).map("\n".join).map(lambda t: t[:MAX_TEXT]),
)


@settings(max_examples=120, deadline=None)
@given(
    text=st.one_of(st.none(), member_text),
    visibility=st.sampled_from(list(Visibility)),
    session=st.sampled_from([None, SESSION]),
    sector=st.sampled_from([None, "School staff", "Health & <care>"]),
    themes=st.sampled_from([(), ("Burnout",), ("Wins & joys", "Grief")]),
    channel=st.sampled_from([None, "C0HEART"]),
    message_ts=st.sampled_from([None, "1700000000.000100"]),
    shareout_id=st.integers(min_value=1, max_value=10**12),
)
def test_the_quick_confirmation_is_what_slack_sdks_models_build(
    text, visibility, session, sector, themes, channel, message_ts, shareout_id
):
    """The quick path's confirmation, built from plain dicts and a button row validated once, is
    exactly the message slack_sdk's Block Kit models build and validate for the same share-out."""
    shareout = Shareout(shareout_id, NOW, None, visibility, text, None, None, (), "UALICE", channel, message_ts)
    described = Description(shareout, session, sector, themes, channel)
    expected = blocks.confirmation_message(described).to_dict()
    assert blocks.confirmation_reply(described) == expected
    assert blocks.confirmation_reply(described) == expected  # the template is not changed by use


@pytest.mark.parametrize("check_in", [CheckIn.OFFERED, CheckIn.NOBODY_TO_TELL])
def test_a_confirmation_with_a_note_or_the_safety_net_is_built_with_the_models(check_in):
    shareout = Shareout(7, NOW, None, Visibility.COORDINATORS, "Alice at Lincoln was upset", None, None, (), "UALICE", None, None)
    described = Description(shareout, None, None, (), None)
    for options in ({"check_in": check_in, "note": NoteFor.HELPER}, {"concerns": concerns(shareout.text)}):
        assert blocks.confirmation_reply(described, **options) == blocks.confirmation_message(described, **options).to_dict()


@given(st.text(alphabet="ab<>&\u202e", max_size=7_000))
def test_a_line_escaped_in_pieces_is_the_whole_line_escaped_each_piece_fitting_a_section(line):
    pieces = list(blocks._escaped_pieces(line))
    assert "".join(pieces) == escape(line)
    assert all(len(piece) < MAX_SECTION_TEXT for piece in pieces)
    assert len(pieces) == 1 or all(len(piece) > MAX_SECTION_TEXT - 5 for piece in pieces[:-1])
