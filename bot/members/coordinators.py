"""Who is a coordinator: the ids in ``COORDINATOR_IDS``, plus the members of an optional
Slack user group (``COORDINATOR_GROUP``).

The group's members come from Slack's ``usergroups.users.list`` and are kept for a few
minutes, so a coordinator command costs Slack at most one call per cache period. Every
coordinator command and button asks :meth:`Coordinators.is_coordinator` on the server,
whatever the message it came from showed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
RETRY_SECONDS = 30.0  # after a failed lookup, ask Slack again this soon
# The lookup can run before a command is acknowledged, and Slack gives the ack 3 s.
LOOKUP_TIMEOUT_SECONDS = 2

GroupLookup = Callable[[str], Iterable[str]]


class Coordinators:
    """The coordinators of the community, by Slack member id.

    :param ids: the ids configured in ``COORDINATOR_IDS``.
    :param group: a user group id whose members are coordinators too, or None.
    :param lookup: returns a group's member ids (raises ``SlackClientError`` or ``OSError`` on failure).
    :param clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        ids: Iterable[str],
        group: str | None = None,
        lookup: GroupLookup | None = None,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ids = frozenset(ids)
        self.group = group if lookup is not None else None
        self._lookup = lookup
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._members: frozenset[str] = frozenset()
        self._fresh_until = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> Coordinators:
        """Coordinators as configured; the group is looked up only when a bot token is set."""
        lookup = slack_group_lookup(settings) if settings.coordinator_group and settings.bot_token else None
        return cls(settings.coordinator_ids, settings.coordinator_group, lookup)

    def is_coordinator(self, user_id: str | None) -> bool:
        """True when ``user_id`` may use coordinator commands and buttons."""
        if not user_id:
            return False
        return user_id in self.ids or user_id in self.group_members()

    def can_be_told(self) -> bool:
        """True when someone is set up to receive a check-in request (asks nothing of Slack)."""
        return bool(self.ids) or self.group is not None

    def all(self) -> frozenset[str]:
        """Every coordinator's id (configured ids and the group's members)."""
        return self.ids | self.group_members()

    def group_members(self) -> frozenset[str]:
        """The user group's members, from the cache or from Slack when it has expired.

        A failed lookup keeps the last members known (or none) and is retried after
        :data:`RETRY_SECONDS`, so a Slack hiccup neither locks coordinators out for long
        nor slows every request.
        """
        if self.group is None or self._lookup is None:
            return frozenset()
        with self._lock:  # one lookup at a time; the others wait and read its result
            now = self._clock()
            if now < self._fresh_until:
                return self._members
            try:
                self._members = frozenset(self._lookup(self.group))
                self._fresh_until = now + self._cache_seconds
            except (SlackClientError, OSError) as error:  # OSError: timeouts and refused connections
                reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
                log.warning("could not list coordinator group %s (%s); retrying in %ds", self.group, reason, RETRY_SECONDS)
                self._fresh_until = now + RETRY_SECONDS
            return self._members


def slack_group_lookup(settings: Settings) -> GroupLookup:
    """A lookup that asks Slack's ``usergroups.users.list`` (scope ``usergroups:read``).

    Its client has a short timeout and does not wait out rate limits: the lookup may run
    before an ack, and a stale list is better than a missed one.
    """
    client = WebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=LOOKUP_TIMEOUT_SECONDS)

    def lookup(group: str) -> list[str]:
        response = client.usergroups_users_list(usergroup=group)
        return [str(user) for user in response.get("users") or []]

    return lookup
