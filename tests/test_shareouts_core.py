"""The share-out core, the crisis phrase list and the de-identification check, in-process."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ContentError
from bot.group_commit import GroupCommit
from bot.runtime import MIGRATION_SETS, load_content
from bot.safety import NoteFor, build_safety_net
from bot.shareouts import blocks
from bot.shareouts.blocks import CheckIn
from bot.shareouts.core import (
    MAX_TEXT,
    Draft,
    Field,
    Owner,
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
    hidden = update(store, saved.id, ALICE, Draft("now hidden", Visibility.ANONYMOUS, themes=("ask", "barrier")), now=NOW, zone=ZONE)
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
        blocks.form_view(draft, sessions=[], content=content, metadata="{}").to_dict()
        saved = save(commits, draft, ALICE, request_key="k", now=NOW, zone=ZONE).result().shareout
        assert get(store, saved.id, ALICE).text == text
        described = describe(store, content, saved, "C0HEART")
        for message in (
            blocks.confirmation_message(described, concerns=concerns(text), check_in=CheckIn.OFFERED),
            blocks.channel_post(described),
            blocks.mine_message(mine(store, ALICE), {}, "America/New_York"),
            blocks.too_long_message(text * 2),
        ):
            body = json.dumps(message.to_dict()["blocks"])
            ours = ("<@UALICE>", "<#C0HEART>", "<!date^")  # the bot's own mention, channel link and dates
            assert not SLACK_CONTROL.search(re.sub("|".join(map(re.escape, ours)), "", body))
        blocks.confirmation_view(described, edited=True).to_dict()
    finally:
        commits.close()
        store.close()


@given(st.text())
def test_escaped_text_can_never_open_a_slack_control_sequence(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0
