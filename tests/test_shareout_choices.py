"""Share-outs say exactly who reads them before the member saves, and ask before storing a
share-out that seems to identify someone: signed HTTP against the running bot."""

from __future__ import annotations

import json

import pytest

from bot.offline.server import BotServer
from tests.support.forms import buttons, element, form, metadata, query, view_of
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    bot = BotServer(local_slack, tmp_path_factory.mktemp("choices") / "heart.db", env={"COORDINATOR_IDS": "UCOORD1"}).start()
    yield bot
    bot.stop()


def rows_of(server: BotServer, user: str) -> list[tuple]:
    return query(server, "select text, occurrence_id from shareouts where user_id = ?", user)


def options(view: dict) -> dict[str, tuple[str, str]]:
    return {o["value"]: (o["text"]["text"], o["description"]["text"]) for o in element(view, "visibility")["options"]}


def test_every_choice_says_who_reads_it_and_names_the_channel_it_would_post_in(server, slack):
    server.command("/shareout", channel="C0HEART")
    view = view_of(slack.wait_for("views.open")[0])
    said = options(view)
    assert said["coordinators"] == (
        "Coordinators only, with my name",
        "Only coordinators read it, and they can see it's from you.",
    )
    assert said["channel_anonymous"][0] == "Post in <#C0HEART> without my name"
    # Coordinators' exports carry the text of every share-out and the author of the named ones only
    # (tests/test_engagement_files.py), so the channel choices say coordinators read them too.
    assert said["channel_anonymous"][1] == "Everyone in that channel and coordinators read it; nobody sees your name."
    assert said["channel_named"] == (
        "Post in <#C0HEART> with my name",
        "Everyone in that channel and coordinators read it, with your name.",
    )
    assert said["anonymous"][0] == "Coordinators only, without my name"
    assert "nobody knows it's you. Keeps the day, not the time." in said["anonymous"][1]
    assert element(view, "visibility")["initial_option"]["value"] == "coordinators"
    assert "Nobody sees it unless" not in json.dumps(view)
    assert all(len(text) <= 75 and len(description) <= 75 for text, description in said.values())


def test_choosing_a_session_redraws_the_form_with_the_members_words_kept(server, slack):
    server.command("/shareout", channel="D0DIRECT")
    view = view_of(slack.wait_for("views.open")[0])
    assert options(view)["channel_named"][0] == "Post in a channel (none chosen yet) with my name"
    slack.clear()
    state = {"id": "VREDRAW", "hash": "h1", "private_metadata": metadata(channel="C0OTHER")}
    state["state"] = {"values": form("kept words", visibility="channel_named", session="none")}
    server.click("shareout_session_chosen", "none", user="UREDRAW", selected=True, view=state)
    (update,) = slack.wait_for("views.update")
    redrawn = view_of(update)
    assert update.args["view_id"] == "VREDRAW" and update.args["hash"] == "h1"
    assert options(redrawn)["channel_named"][0] == "Post in <#C0OTHER> with my name"
    assert element(redrawn, "text")["initial_value"] == "kept words"
    assert element(redrawn, "visibility")["initial_option"]["value"] == "channel_named"
    assert rows_of(server, "UREDRAW") == []


@pytest.mark.parametrize(
    "text, spotted",
    [
        ("Maria Lopez in 7th grade called from 617-555-0134", "a student's full name or a phone number"),
        ("her counselor is jo.smith@school.org", "an email address"),
        ("a student, DOB 3/14/2012, asked about groups", "a date of birth"),
    ],
)
def test_a_quick_share_out_that_seems_to_identify_someone_is_asked_about_before_anything_is_stored(server, text, spotted):
    user = f"UASK{abs(hash(text)) % 10_000}"
    answer = server.command("/shareout", text, user=user)
    assert f"This looks like it may include {spotted}." in answer.body and "Nothing is saved yet." in answer.body
    assert set(buttons(answer.json)) == {"Save as it is", "Edit"}
    assert rows_of(server, user) == []
    assert query(server, "select 1 from events where kind = 'shareout' and user_id = ?", user) == []


def test_distress_beside_a_phone_number_is_answered_before_the_number_is_asked_about(server):
    answer = server.command("/shareout", "I want to die. my number is 617-555-0123", user="UHURTING")
    said = json.dumps(answer.json["blocks"])
    assert said.index("988") < said.index("This looks like it may include")  # where to turn comes first
    assert "Nothing is saved yet." in said and set(buttons(answer.json)) == {"Save as it is", "Edit"}
    assert rows_of(server, "UHURTING") == []


def test_save_as_it_is_saves_once_for_coordinators_and_edit_opens_the_form_without_saving(server, slack):
    text = "Maria Lopez in 7th grade called from 617-555-0134"
    asked = server.command("/shareout", text, user="UKEEP")
    save = buttons(asked.json)["Save as it is"]
    for _ in range(2):  # a double click saves one share-out
        clicked = server.click(save["action_id"], save["value"], user="UKEEP")
        (reply,) = server.local_slack.responses(clicked.response_url)
        assert "Your share-out is saved." in json.dumps(reply)
        assert "Only the coordinators can read it, and they can see it's from you." in json.dumps(reply)
    assert rows_of(server, "UKEEP") == [(text, None)]
    assert eventually(lambda: query(server, "select 1 from events where kind = 'shareout' and user_id = 'UKEEP'"))

    asked = server.command("/shareout", text, user="UFIX")
    edit = buttons(asked.json)["Edit"]
    slack.clear()
    clicked = server.click(edit["action_id"], edit["value"], user="UFIX")
    view = view_of(slack.wait_for("views.open")[0])
    assert element(view, "text")["initial_value"] == text
    assert json.loads(view["private_metadata"])["warned"] is True
    (reply,) = server.local_slack.responses(clicked.response_url)
    assert "Nothing is saved until you press *Save* there." in json.dumps(reply)
    assert rows_of(server, "UFIX") == []


def test_a_long_quick_share_out_still_fits_its_buttons_and_a_forged_value_saves_nothing(server):
    text = "Maria Lopez " + "we talked about the week and what helped. " * 48
    asked = server.command("/shareout", text[:2000], user="ULONG")
    value = buttons(asked.json)["Save as it is"]["value"]
    assert len(value) <= 2000 and value.startswith("z:")
    clicked = server.click("shareout_check_save", "not a held share-out", user="UFORGE")
    (reply,) = server.local_slack.responses(clicked.response_url)
    assert "couldn't read that share-out back" in json.dumps(reply)
    assert rows_of(server, "UFORGE") == []


def test_home_offers_a_share_out_and_its_button_opens_the_form(server, slack):
    server.event({"type": "app_home_opened", "user": "UHOMESO", "tab": "home", "channel": "D0HOME"})
    (published,) = slack.wait_for("views.publish")
    home = json.dumps(published.args["view"])
    assert "shareout_open" in home
    slack.clear()
    server.click("shareout_open", "", user="UHOMESO")
    view = view_of(slack.wait_for("views.open")[0])
    assert view["callback_id"] == "shareout_form"


def test_your_data_and_the_rsvp_export_agree_rsvps_reach_coordinators_as_counts(server, slack):
    server.event({"type": "app_home_opened", "user": "UDATA", "tab": "home", "channel": "D0HOME"})
    (published,) = slack.wait_for("views.publish")
    assert "Coordinators see your RSVPs and that record only as counts, never with your name" in json.dumps(
        published.args["view"]
    )
