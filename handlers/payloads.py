"""Small typed views of Slack payloads, so listeners do not pass raw dicts around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Command:
    """A slash command as the member typed it."""

    name: str
    text: str
    user_id: str
    channel_id: str | None
    trigger_id: str | None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Command:
        return cls(
            name=str(payload.get("command") or ""),
            text=str(payload.get("text") or "").strip(),
            user_id=str(payload.get("user_id") or ""),
            channel_id=payload.get("channel_id"),
            trigger_id=payload.get("trigger_id"),
        )

    @property
    def verb(self) -> str:
        """The first word, lower-cased (``list`` in ``/glossary list school``)."""
        return self.text.split(maxsplit=1)[0].casefold() if self.text else ""

    @property
    def rest(self) -> str:
        """Everything after the first word."""
        parts = self.text.split(maxsplit=1)
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class Click:
    """A button press or menu choice: the action id, its value and who clicked."""

    action_id: str
    value: str
    block_id: str
    user_id: str
    trigger_id: str | None
    channel_id: str | None = None  # the channel of the message clicked in
    view_id: str | None = None  # the modal clicked in, when the button was in one

    @classmethod
    def from_payload(cls, action: dict[str, Any], body: dict[str, Any]) -> Click:
        selected = action.get("selected_option") or {}
        return cls(
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or selected.get("value") or ""),
            block_id=str(action.get("block_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            trigger_id=body.get("trigger_id"),
            channel_id=_dict(body.get("channel")).get("id") or _dict(body.get("container")).get("channel_id"),
            view_id=_dict(body.get("view")).get("id"),
        )


@dataclass(frozen=True)
class Submission:
    """A modal's submission: which view, who sent it, and what each input holds.

    Inputs are read by block id; each input block holds one element. Anything missing
    or malformed reads as empty, so a tampered payload becomes a field error, not a crash.
    """

    callback_id: str
    view_id: str
    view_hash: str
    user_id: str
    private_metadata: str
    values: dict[str, Any]

    @classmethod
    def from_payload(cls, body: dict[str, Any]) -> Submission:
        view = _dict(body.get("view"))
        return cls(
            callback_id=str(view.get("callback_id") or ""),
            view_id=str(view.get("id") or ""),
            view_hash=str(view.get("hash") or ""),
            user_id=str(_dict(body.get("user")).get("id") or ""),
            private_metadata=str(view.get("private_metadata") or ""),
            values=_dict(_dict(view.get("state")).get("values")),
        )

    def _state(self, block_id: str) -> dict[str, Any]:
        return _dict(next(iter(_dict(self.values.get(block_id)).values()), None))

    def text(self, block_id: str) -> str:
        """A text input's value ("" when empty)."""
        value = self._state(block_id).get("value")
        return value if isinstance(value, str) else ""

    def choice(self, block_id: str) -> str | None:
        """The value of the option chosen in a select menu or radio buttons, if any."""
        value = _dict(self._state(block_id).get("selected_option")).get("value")
        return value if isinstance(value, str) else None

    def picked(self, block_id: str, key: str) -> str:
        """A picker's value by its state key (``selected_date``, ``selected_time``,
        ``selected_conversation``...), "" when nothing was picked."""
        value = self._state(block_id).get(key)
        return value if isinstance(value, str) else ""

    def users(self, block_id: str) -> tuple[str, ...]:
        """The member ids chosen in a users multi-select."""
        users = self._state(block_id).get("selected_users")
        if not isinstance(users, list):
            return ()
        return tuple(user for user in users if isinstance(user, str))

    def choices(self, block_id: str) -> tuple[str, ...]:
        """The values of the options chosen in a multi-select menu."""
        options = self._state(block_id).get("selected_options")
        if not isinstance(options, list):
            return ()
        return tuple(v for option in options if isinstance(v := _dict(option).get("value"), str))

    def users(self, block_id: str) -> tuple[str, ...]:
        """The member ids chosen in a users multi-select."""
        chosen = self._state(block_id).get("selected_users")
        return tuple(u for u in chosen if isinstance(u, str)) if isinstance(chosen, list) else ()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
