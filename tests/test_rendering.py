"""Markdown to Slack mrkdwn, escaping, and Block Kit rendered as text for the shell."""

from bot.blocks import Message, section
from bot.engagement.blocks import pulse_message
from bot.library.entries import GlossaryEntry
from bot.library.glossary import Lookup, Outcome
from bot.library.glossary_blocks import choice_message
from bot.library.mrkdwn import to_sections
from bot.offline.render import render_message
from bot.text import escape, normalize


def test_escape_neutralises_mentions_and_broadcasts():
    assert escape("<!channel> <@U123> <#C1> a & b") == "&lt;!channel&gt; &lt;@U123&gt; &lt;#C1&gt; a &amp; b"


def test_escape_drops_control_and_direction_overrides():
    assert escape("ok\u202eevil\x07") == "okevil"


def test_normalize_ignores_case_punctuation_hyphens_and_plurals():
    assert normalize("Trauma-Informed  CARES!") == "trauma informed care"
    assert normalize("ACEs") == normalize("ACE") == "ace"
    assert normalize("Policies") == "policy"
    assert normalize("stress") == "stress"


def test_markdown_becomes_mrkdwn_sections():
    sections = to_sections(
        "Intro *gently*.\n\n## Write it down\n\n- **Use an MOU.** See [SAMHSA](https://www.samhsa.gov).\n"
        "- Keep <notes> & data\n\n1. First\n2. Second\n"
    )
    assert sections[0].heading is None and sections[0].paragraphs == ["Intro _gently_."]
    assert sections[1].heading == "Write it down"
    assert sections[1].paragraphs == [
        "• *Use an MOU.* See <https://www.samhsa.gov|SAMHSA>.",
        "• Keep &lt;notes&gt; &amp; data",
        "1. First",
        "2. Second",
    ]


def test_links_that_are_not_web_links_stay_text():
    (only,) = to_sections("[click](javascript:alert(1)) and [x](slack://open)")
    assert "<" not in only.paragraphs[0]
    assert only.paragraphs[0].endswith("and x")


def test_messages_over_fifty_blocks_are_refused():
    message = Message(text="t", blocks=[section("x")] * 51)
    try:
        message.to_dict()
    except ValueError as error:
        assert "50 blocks" in str(error)
    else:
        raise AssertionError("51 blocks must not pass")


def test_blocks_render_as_text_with_numbered_buttons():
    clickables = []
    text = render_message(
        {
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Burnout"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "See <https://x.org|this> &amp; <@U1>"}},
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "Share"}, "action_id": "a", "value": "v"}
                    ],
                },
            ]
        },
        clickables,
    )
    assert "BURNOUT" in text
    assert "See this (https://x.org) & @U1" in text
    assert "[1] Share" in text
    assert clickables[0].action_id == "a"


def test_typed_words_in_a_notifications_text_are_escaped_too():
    # The "text" beside the blocks is what phones show in a notification: a ping there pings.
    pulse = pulse_message("occ-1", "<!channel> circle")
    assert "<!channel>" not in pulse.text and "&lt;!channel&gt; circle" in pulse.text
    entry = GlossaryEntry(id="ed", term="Eating disorder", category="c", definition="d")
    choice = choice_message(Lookup("ed", Outcome.CHOICE, suggestions=(entry,)), "<@U123> ED")
    assert "<@U123>" not in choice.text and choice.text.startswith("&lt;@U123&gt; ED")
