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

    @classmethod
    def from_payload(cls, action: dict[str, Any], body: dict[str, Any]) -> Click:
        selected = action.get("selected_option") or {}
        return cls(
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or selected.get("value") or ""),
            block_id=str(action.get("block_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            trigger_id=body.get("trigger_id"),
        )
