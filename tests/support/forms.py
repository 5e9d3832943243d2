"""Payloads as Slack sends them for heart-bot's forms, and reading what the bot did: shared by the
share-out, session and reliability tests."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.offline.server import BotServer
from tests.support.waiting import eventually


def form(
    text: str | None,
    *,
    visibility: str = "coordinators",
    session: str = "none",
    sector: str | None = None,
    themes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The state Slack sends when the share-out form is submitted."""
    return {
        "session": {"session": {"type": "static_select", "selected_option": {"value": session}}},
        "sector": {"sector": {"type": "static_select", "selected_option": {"value": sector} if sector else None}},
        "themes": {"themes": {"type": "multi_static_select", "selected_options": [{"value": t} for t in themes]}},
        "text": {"text": {"type": "plain_text_input", "value": text}},
        "visibility": {"visibility": {"type": "radio_buttons", "selected_option": {"value": visibility}}},
    }


def metadata(editing: int | None = None, channel: str | None = "C0HEART", warned: bool = False) -> str:
    return json.dumps({"editing": editing, "channel": channel, "warned": warned})


_views = iter(range(1, 10**6))


def submit(
    server: BotServer,
    text: str | None,
    *,
    user: str = "UMEMBER1",
    view_id: str | None = None,
    meta: str | None = None,
    **choices: Any,
):
    """Submit the share-out form as ``user`` (a fresh view unless ``view_id`` is given)."""
    return server.submit(
        "shareout_form",
        form(text, **choices),
        user=user,
        view_id=view_id or f"VFORM{next(_views):05d}",
        private_metadata=meta if meta is not None else metadata(),
    )


def query(server: BotServer, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(server.database_path) as db:
        return db.execute(sql, params).fetchall()


_flushes = itertools.count(1)


def events_written(server: BotServer) -> None:
    """Wait until every event the bot queued so far is in the database. Its recorder writes them in
    order, so once a lookup made now is there, everything queued before it is too."""
    marker = f"UFLUSH{next(_flushes)}"
    server.command("/glossary", "trauma", user=marker)
    assert eventually(lambda: query(server, "select 1 from events where user_id = ?", marker)), "events not written"


def view_of(call) -> dict[str, Any]:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["text"]["text"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def add_form(**fields: str) -> dict:
    """The add form's state as Slack sends it."""
    day = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    values = {
        "title": "Book club for counselors",
        "date": day,
        "time": "16:00",
        "timezone": "America/Chicago",
        "repeat": "weekly",
    }
    values |= {
        "duration": "45",
        "count": "2",
        "channel": "C0BOOK",
        "link": "https://meet.example.org/book",
        "reminders": ["1440"],
    }
    values |= fields
    return {
        "title": {"title": {"type": "plain_text_input", "value": values["title"]}},
        "date": {"date": {"type": "datepicker", "selected_date": values["date"]}},
        "time": {"time": {"type": "timepicker", "selected_time": values["time"]}},
        "timezone": {"timezone": {"type": "static_select", "selected_option": {"value": values["timezone"]}}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": values["duration"]}}},
        "repeat": {"repeat": {"type": "static_select", "selected_option": {"value": values["repeat"]}}},
        "until": {"until": {"type": "datepicker", "selected_date": None}},
        "count": {"count": {"type": "number_input", "value": values["count"]}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": values["channel"]}},
        "link": {"link": {"type": "url_text_input", "value": values["link"]}},
        "topic": {"topic": {"type": "plain_text_input", "value": "Chapter 1"}},
        "description": {"description": {"type": "plain_text_input", "value": None}},
        "facilitator": {"facilitator": {"type": "plain_text_input", "value": "Dana"}},
        "reminders": {"reminders": {"type": "checkboxes", "selected_options": [{"value": v} for v in values["reminders"]]}},
    }
