"""heart-bot's attack surface: the commands in manifest.yml, and every action and view callback
its handlers register, read from the real Bolt app so a new listener cannot go untested.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.app import create_app
from bot.config import Settings
from bot.offline.localslack import LocalSlack
from bot.runtime import build_heart
from tests.support.harness import ROOT

Constraint = str | re.Pattern[str]

# One concrete id for each listener (a prefix or a pattern needs an example that matches).
ACTION_IDS = (
    "glossary_lookup",
    "glossary_lookup:school-systems:0",
    "glossary_share",
    "tipsheet_open",
    "tipsheet_open:1",
    "tipsheet_share",
    "shareout_open",
    "shareout_edit",
    "shareout_delete",
    "shareout_mine",
    "shareout_checkin_named",
    "shareout_checkin_anonymous",
    "shareout_session_chosen",
    "shareout_check_save",
    "shareout_check_edit",
    "heart_report",
    "heart_report_period",
    "heart_chart",
    "heart_export",
    "heart_report_series",
    "pulse_score",
    "pulse_try",
    "member_profile_open",
    "peerhour_going",
    "peerhour_not_going",
    "peerhour_subscribe",
    "peerhour_unsubscribe",
    "peerhour_remind_session",
    "peerhour_unremind_session",
    "peerhour_stop_dm",
    "peerhour_prompt_dm",
    "peerhour_feed_new",
    "peerhour_feed_off",
    "peerhour_calendar",
    "peerhour_link",
    "peerhour_add",
    "peerhour_manage",
    "member_data_download",
    "member_data_delete",
    "connect_join",
    "connect_pause",
    "connect_resume",
    "connect_skip",
    "connect_unskip",
    "connect_leave",
    "connect_history",
    "connect_answer_yes",
    "connect_answer_not_yet",
    "connect_answer_no",
    "connect_run",
    "connect_pause_all",
    "connect_resume_all",
)
CALLBACK_IDS = (
    "shareout_form",
    "peerhour_add",
    "peerhour_move",
    "peerhour_edit",
    "peerhour_cancel",
    "connect_profile",
    "heart_attendance",
    "member_profile",
    "pulse_try_form",
)
EVENT_TYPES = ("app_home_opened",)
# Block ids each form reads (its inputs), so generated submissions reach the code that reads them.
FORM_BLOCKS = {
    "shareout_form": ("session", "sector", "themes", "text", "visibility"),
    "peerhour_add": (
        "title",
        "date",
        "time",
        "timezone",
        "duration",
        "repeat",
        "until",
        "count",
        "channel",
        "link",
        "topic",
        "description",
        "facilitator",
        "reminders",
    ),
    "peerhour_move": ("date", "time", "note"),
    "peerhour_edit": ("topic", "link"),
    "peerhour_cancel": ("note",),
    "connect_profile": ("sector", "state", "topics", "blocked"),
    "heart_attendance": ("attendance_session", "attendance_headcount", "attendance_present", "attendance_participants"),
    "member_profile": ("sector", "state"),
    "pulse_try_form": ("pulse_try_text",),
}


def manifest_commands() -> list[str]:
    """The slash commands manifest.yml declares."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return [entry["command"] for entry in manifest["features"]["slash_commands"]]


@dataclass(frozen=True)
class Registered:
    """What the Bolt app listens for, as its listeners' own constraints."""

    commands: tuple[Constraint, ...]
    actions: tuple[Constraint, ...]
    views: tuple[Constraint, ...]
    events: tuple[Constraint, ...]


def registered(slack: LocalSlack, database: Path) -> Registered:
    """Build the real app in-process (services not started) and read its listeners' constraints."""
    settings = Settings(database_path=database, bot_token="xoxb-surface", signing_secret="surface", slack_api_url=slack.api_url)
    heart = build_heart(settings)
    try:
        app = create_app(heart)
        found: dict[str, list[Constraint]] = {"command": [], "action": [], "view_submission": [], "event": []}
        for listener in app._listeners:  # Bolt keeps no public list of listeners
            for matcher in listener.matchers:
                func = getattr(matcher, "func", None)
                if func is None:
                    continue
                kind = func.__qualname__.split(".", 1)[0]
                values = inspect.getclosurevars(func).nonlocals
                constraint = next((v for v in values.values() if isinstance(v, str | re.Pattern)), None)
                if kind in found and constraint is not None:
                    found[kind].append(constraint)
    finally:
        heart.close()
    return Registered(tuple(found["command"]), tuple(found["action"]), tuple(found["view_submission"]), tuple(found["event"]))


def matches(constraint: Constraint, value: str) -> bool:
    """Bolt's own rule: a string must be equal, a pattern must match (re.search)."""
    return constraint == value if isinstance(constraint, str) else bool(constraint.search(value))
