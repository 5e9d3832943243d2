"""A modal's inputs as the offline shell asks for them, and the state Slack would submit.

Each input block becomes a :class:`FormField` that knows its label, its choices and the value it
holds; :func:`read_answer` turns what a member typed into that value (or says why it can't), and
:func:`state_values` builds ``view.state.values`` exactly as Slack sends it with a
``view_submission``. Nothing here knows the bot: the shell signs and sends what this builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.offline.render import mrkdwn_to_text

# Element types that take text, and the key of their value in the submitted state.
_TEXT_KEYS = {
    "plain_text_input": "value",
    "url_text_input": "value",
    "email_text_input": "value",
    "number_input": "value",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "users_select": "selected_user",
}
_SINGLE = ("static_select", "radio_buttons", "external_select")
_MULTI = ("multi_static_select", "checkboxes")
_INITIAL_TEXT = {
    "value": "initial_value",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_conversation": "initial_conversation",
    "selected_channel": "initial_channel",
    "selected_user": "initial_user",
}
_HINTS = {
    "datepicker": "YYYY-MM-DD",
    "timepicker": "HH:MM, 24-hour",
    "number_input": "a number",
    "url_text_input": "https://...",
    "conversations_select": "a channel id like C0123ABCD",
    "channels_select": "a channel id like C0123ABCD",
    "users_select": "a member id like U0123ABCD",
}


@dataclass(frozen=True)
class Choice:
    """One option of a menu, radio buttons or checkboxes."""

    label: str
    value: str
    raw: dict[str, Any]  # the option as the view declares it, sent back as Slack does
    description: str = ""  # the line under it ("who can tell it's yours")


def choices_of(element: dict[str, Any]) -> list[Choice]:
    """Every option of a menu (its groups flattened), in order."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return [
        Choice(_text(o.get("text")), str(o.get("value", "")), o, description=_text(o.get("description"))) for o in options
    ]


def _text(obj: dict[str, Any] | None) -> str:
    return mrkdwn_to_text((obj or {}).get("text", ""))


@dataclass
class FormField:
    """One input of a modal and the value it holds (what Slack's state would say)."""

    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    hint: str = ""
    choices: list[Choice] = field(default_factory=list)
    text: str | None = None  # text-like inputs
    picked: list[Choice] = field(default_factory=list)  # menus, radio buttons, checkboxes

    @property
    def multiple(self) -> bool:
        return self.kind in _MULTI

    def shown(self) -> str:
        """The value the field holds now, as a member reads it."""
        if self.choices or self.kind in _SINGLE or self.multiple:
            return ", ".join(c.label for c in self.picked)
        return self.text or ""

    def prompt(self) -> str:
        """The lines that ask for this field."""
        need = "optional" if self.optional else "required"
        lines = [f"{self.label} ({need}{'; ' + _HINTS[self.kind] if self.kind in _HINTS else ''})"]
        if self.hint:
            lines.append(f"  {self.hint}")
        if self.choices:
            how = "numbers separated by commas" if self.multiple else "a number"
            if any(c.description for c in self.choices):  # each on its own line, what it means under it
                lines.append(f"  pick {how}:")
                for i, c in enumerate(self.choices, 1):
                    lines += [f"    {i}) {c.label}", *([f"       {c.description}"] if c.description else [])]
            else:
                lines.append(f"  pick {how}: " + "  ".join(f"{i}) {c.label}" for i, c in enumerate(self.choices, 1)))
        now = self.shown()
        enter = f"Enter keeps: {now}" if now else ("Enter leaves it empty" if self.optional else "")
        clear = "; '-' empties it" if now and self.optional else ""
        return "\n".join(lines + ([f"  ({enter}{clear})"] if enter else []))


def form_fields(view: dict[str, Any]) -> list[FormField]:
    """The inputs of ``view``, with the values they start with."""
    fields = []
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        kind = str(element.get("type", ""))
        found = FormField(
            block_id=str(block.get("block_id", "")),
            action_id=str(element.get("action_id", "")),
            kind=kind,
            label=mrkdwn_to_text((block.get("label") or {}).get("text", "")),
            optional=bool(block.get("optional")),
            hint=mrkdwn_to_text((block.get("hint") or {}).get("text", "")),
            choices=choices_of(element),
        )
        if kind in _TEXT_KEYS:
            initial = element.get(_INITIAL_TEXT[_TEXT_KEYS[kind]])
            found.text = str(initial) if initial not in (None, "") else None
        elif kind in _SINGLE and element.get("initial_option"):
            value = element["initial_option"].get("value")
            found.picked = [c for c in found.choices if c.value == value][:1]
        elif kind in _MULTI:
            values = {o.get("value") for o in element.get("initial_options") or []}
            found.picked = [c for c in found.choices if c.value in values]
        fields.append(found)
    return fields


def read_answer(form_field: FormField, answer: str) -> str | None:
    """Put what the member typed into ``form_field``; Enter alone keeps its value, '-' empties it.

    :returns: why the answer can't be taken (the field is unchanged), or None.
    """
    answer = answer.strip()
    if not answer:
        return None
    if answer == "-":
        form_field.text, form_field.picked = None, []
        return None
    if form_field.choices or form_field.kind in _SINGLE or form_field.multiple:
        return _pick(form_field, answer)
    if form_field.kind == "datepicker":
        try:
            date.fromisoformat(answer)
        except ValueError:
            return "type a date as YYYY-MM-DD, like 2026-12-08"
    elif form_field.kind == "timepicker" and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", answer):
        return "type a time as HH:MM on a 24-hour clock, like 15:30"
    form_field.text = answer
    return None


def _pick(form_field: FormField, answer: str) -> str | None:
    parts = [part.strip() for part in answer.split(",") if part.strip()]
    if not form_field.multiple and len(parts) > 1:
        return "pick one number"
    picked = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= len(form_field.choices):
            return f"pick {'numbers' if form_field.multiple else 'a number'} from 1 to {len(form_field.choices)}"
        picked.append(form_field.choices[int(part) - 1])
    form_field.picked = picked
    return None


def state_values(fields: list[FormField]) -> dict[str, dict[str, Any]]:
    """``view.state.values`` as Slack submits it: ``{block_id: {action_id: state}}``."""
    values: dict[str, dict[str, Any]] = {}
    for f in fields:
        state: dict[str, Any] = {"type": f.kind}
        if f.kind in _TEXT_KEYS:
            state[_TEXT_KEYS[f.kind]] = f.text
        elif f.multiple:
            state["selected_options"] = [c.raw for c in f.picked]
        else:
            state["selected_option"] = f.picked[0].raw if f.picked else None
        values[f.block_id] = {f.action_id: state}
    return values
