"""Add to calendar: an .ics file (any calendar app) and a Google Calendar link for one session,
and the body of a calendar subscription (:func:`feed`, served by :mod:`bot.web`).

The file gives the times in the series' own zone with its VTIMEZONE, so a calendar shows the
session at the right moment wherever the member is. Its UID is stable and its SEQUENCE is
the session's revision: adding a moved session again updates the old entry. The UID carries
the deployment's own id (:func:`bot.sessions.core.deployment_uid`), so two installs that keep
the default series never share one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from bot.sessions.core import Occurrence

if TYPE_CHECKING:
    from icalendar import Calendar, Event

GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
MAX_GOOGLE_DETAILS = 1000  # keeps the link well under Slack's 3,000-character button URL
MAX_FILENAME_SERIES = 40  # characters of the series id in a calendar file's name


def _description(occurrence: Occurrence) -> str:
    parts = [
        f"Topic: {occurrence.topic}" if occurrence.topic else "",
        occurrence.description or "",
        f"Facilitator: {occurrence.facilitator}" if occurrence.facilitator else "",
        f"Join: {occurrence.join_url}" if occurrence.join_url else "",
    ]
    return "\n\n".join(part for part in parts if part)


def uid(occurrence: Occurrence, deployment: str) -> str:
    """The session's calendar UID: ``<series id>:<local date>@<deployment>.heart-bot``, the same
    for every copy of the session this deployment hands out, moved or not."""
    return f"{occurrence.id}@{deployment}.heart-bot"


def sequence(occurrence: Occurrence) -> int:
    """The event's SEQUENCE: the session's revision (one more at each move), and one more once
    cancelled, so a calendar takes the newer copy in place of the one it has."""
    return occurrence.revision + (0 if occurrence.live else 1)


def _event(occurrence: Occurrence, deployment: str, stamp: datetime) -> Event:
    from icalendar import Event  # imported when first needed: a twentieth of a second of every start

    event = Event()
    event.add("uid", uid(occurrence, deployment))
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.starts_at.astimezone(occurrence.tz))
    event.add("dtend", occurrence.ends_at.astimezone(occurrence.tz))
    event.add("summary", occurrence.title)
    event.add("sequence", sequence(occurrence))
    if description := _description(occurrence):
        event.add("description", description)
    if occurrence.join_url:
        event.add("location", occurrence.join_url)
        event.add("url", occurrence.join_url)
    event.add("status", "CONFIRMED" if occurrence.live else "CANCELLED")
    return event


def _calendar(occurrences: list[Occurrence], deployment: str, now: datetime | None, *, method: bool = True) -> Calendar:
    from icalendar import Calendar  # as in _event

    calendar = Calendar()
    calendar.add("prodid", "-//HEART Collective//heart-bot//EN")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", "PUBLISH")
    stamp = now or datetime.now(UTC)
    for occurrence in occurrences:
        calendar.add_component(_event(occurrence, deployment, stamp))
    if occurrences:  # the zone's rules around the sessions only, not every change since 1970
        years = [o.starts_at.year for o in occurrences]
        calendar.add_missing_timezones(date(min(years) - 1, 1, 1), date(max(years) + 1, 12, 31))
    return calendar


def ics(occurrence: Occurrence, *, deployment: str, now: datetime | None = None) -> bytes:
    """The session as an iCalendar file.

    :param deployment: this deployment's id (:func:`bot.sessions.core.deployment_uid`), for the UID.
    """
    return _calendar([occurrence], deployment, now).to_ical()


def feed(name: str, occurrences: list[Occurrence], *, deployment: str, now: datetime | None = None) -> bytes:
    """A calendar subscription's body: every session with the same UID and SEQUENCE as its
    downloaded file, cancelled ones kept (STATUS:CANCELLED) so calendar apps take them off in
    place, and a hint to refresh hourly."""
    calendar = _calendar(occurrences, deployment, now, method=False)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar.to_ical()


def ics_filename(occurrence: Occurrence) -> str:
    """``peer-support-hour-2026-12-08.ics``-style name: the series id, cut after a whole word when it
    is long (``ne-school-mental-health-peer-support-2026-12-08.ics``), and the session's date."""
    day = occurrence.starts_at.astimezone(occurrence.tz).date().isoformat()
    return f"{_whole_words(occurrence.series_id, MAX_FILENAME_SERIES)}-{day}.ics"


def _whole_words(slug: str, limit: int) -> str:
    """``slug`` (words joined by hyphens) cut to at most ``limit`` characters at a hyphen; a first
    word longer than ``limit`` is cut where it must be."""
    if len(slug) <= limit:
        return slug
    cut = slug.rfind("-", 0, limit + 1)
    return slug[:cut] if cut > 0 else slug[:limit]


def google_calendar_url(occurrence: Occurrence) -> str:
    """A link that opens Google Calendar's "new event" form filled in with the session."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    params = {
        "action": "TEMPLATE",
        "text": occurrence.title,
        "dates": f"{stamp(occurrence.starts_at)}/{stamp(occurrence.ends_at)}",
        "details": _description(occurrence)[:MAX_GOOGLE_DETAILS],
        "location": occurrence.join_url or "",
        "ctz": occurrence.timezone,
    }
    return f"{GOOGLE_TEMPLATE}?{urlencode(params)}"
