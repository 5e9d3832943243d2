"""Who is a coordinator: configured ids, and a Slack user group looked up and cached."""

from __future__ import annotations

import dataclasses

import pytest
from slack_sdk.errors import SlackApiError

from bot.config import load_settings
from bot.errors import ConfigError
from bot.members.coordinators import Coordinators, slack_group_lookup
from bot.offline.localslack import Failure


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Group:
    """A user group whose membership the test changes, counting lookups."""

    def __init__(self, *members: str) -> None:
        self.members = list(members)
        self.lookups = 0
        self.failing = False

    def __call__(self, group: str) -> list[str]:
        self.lookups += 1
        if self.failing:
            raise SlackApiError("failed", {"ok": False, "error": "missing_scope"})
        return list(self.members)


def test_configured_ids_are_coordinators_and_nobody_else():
    coordinators = Coordinators({"UCOORD1"})
    assert coordinators.is_coordinator("UCOORD1")
    assert not coordinators.is_coordinator("UMEMBER1")
    assert not coordinators.is_coordinator("")
    assert not coordinators.is_coordinator(None)


def test_group_members_are_coordinators_and_the_list_is_cached():
    clock, group = Clock(), Group("UGROUP1")
    coordinators = Coordinators({"UCOORD1"}, "SCOORDS", group, cache_seconds=300, clock=clock)
    assert coordinators.is_coordinator("UGROUP1")
    assert not coordinators.is_coordinator("UMEMBER1")
    assert group.lookups == 1
    group.members.append("UMEMBER1")
    clock.now = 299
    assert not coordinators.is_coordinator("UMEMBER1")  # still the cached list
    clock.now = 301
    assert coordinators.is_coordinator("UMEMBER1")
    assert group.lookups == 2
    assert coordinators.all() == {"UCOORD1", "UGROUP1", "UMEMBER1"}


def test_a_failed_lookup_keeps_the_last_list_and_retries_soon():
    clock, group = Clock(), Group("UGROUP1")
    coordinators = Coordinators(set(), "SCOORDS", group, cache_seconds=300, clock=clock)
    assert coordinators.is_coordinator("UGROUP1")
    group.failing = True
    clock.now = 400
    assert coordinators.is_coordinator("UGROUP1")
    clock.now = 410
    coordinators.is_coordinator("UGROUP1")
    assert group.lookups == 2  # not asked again within the retry pause
    group.failing = False
    group.members = []
    clock.now = 440
    assert not coordinators.is_coordinator("UGROUP1")


def test_the_slack_lookup_reads_usergroups_users_list(slack, settings):
    slack.usergroups["SCOORDS"] = ["UGROUP1", "UGROUP2"]
    settings = dataclasses.replace(settings, bot_token="xoxb-test", slack_api_url=slack.api_url, coordinator_group="SCOORDS")
    coordinators = Coordinators.from_settings(settings)
    assert coordinators.all() == {"UCOORD1", "UGROUP1", "UGROUP2"}
    (call,) = slack.calls_to("usergroups.users.list")
    assert call.args["usergroup"] == "SCOORDS"


def test_a_slack_error_locks_out_only_the_group(slack, settings):
    slack.fail_next("usergroups.users.list", Failure(error="missing_scope"))
    settings = dataclasses.replace(settings, bot_token="xoxb-test", slack_api_url=slack.api_url, coordinator_group="SCOORDS")
    coordinators = Coordinators(settings.coordinator_ids, "SCOORDS", slack_group_lookup(settings))
    assert coordinators.is_coordinator("UCOORD1")
    assert not coordinators.is_coordinator("UGROUP1")


def test_coordinator_settings_are_read_and_checked():
    settings = load_settings({"COORDINATOR_GROUP": "S012ABCDEF", "SMALL_COUNT_THRESHOLD": "5"})
    assert (settings.coordinator_group, settings.small_count_threshold) == ("S012ABCDEF", 5)
    assert load_settings({}).small_count_threshold == 3
    for environ, name in (
        ({"COORDINATOR_GROUP": "@coordinators"}, "COORDINATOR_GROUP"),
        ({"SMALL_COUNT_THRESHOLD": "0"}, "SMALL_COUNT_THRESHOLD"),
        ({"SMALL_COUNT_THRESHOLD": "three"}, "SMALL_COUNT_THRESHOLD"),
    ):
        with pytest.raises(ConfigError) as error:
            load_settings(environ)
        assert str(error.value).startswith(name) and "\n" not in str(error.value)
