"""What serving needs from Slack, asked of Slack before the bot takes its port.

``python -m bot check`` prints these findings, and ``serve`` refuses to start on the ones that
would stop it anyway, each as one line saying what to do, instead of a worker's traceback:

- the token: ``auth.test`` answers (a refused token, or Slack out of reach, stops everything);
- the scopes Slack granted (the ``x-oauth-scopes`` header of any answer) cover the manifest's;
- the bot is in each series' channel: a message scheduled 100 days ahead and deleted at once
  (``chat.scheduleMessage`` fails with ``not_in_channel`` like ``chat.postMessage`` would, and
  needs no scope beyond ``chat:write``, where reading a channel's members would need another);
- ``COORDINATOR_GROUP`` names a user group of this workspace.

The first two are fatal (:attr:`SlackFindings.fatal`); a missing channel or group leaves the bot
useful, and it already tells coordinators when a channel refuses it, so ``serve`` logs those and
starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import manifest
from bot.config import Settings
from bot.slack_client import web_client

CHECK_TIMEOUT = 5  # seconds per call: a check that hangs helps nobody
SCHEDULE_AHEAD = 100 * 86400  # Slack schedules up to 120 days ahead; deleted at once anyway

_TOKEN_REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"}


@dataclass
class SlackFindings:
    """What Slack said: lines that are fine, problems that stop serving, and problems that don't."""

    ok: list[str] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every problem, fatal first."""
        return [*self.fatal, *self.warnings]


def _header(headers: Mapping[str, object], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return ", ".join(value) if isinstance(value, list) else str(value)
    return None


def check_slack(
    settings: Settings,
    channels: Iterable[tuple[str, str]] = (),
    *,
    scopes: set[str] | None = None,
) -> SlackFindings:
    """Ask Slack whether it will serve this bot.

    :param channels: ``(series title, channel id)`` for each series that posts to a channel.
    :param scopes: the scopes the bot needs (default: the manifest's).
    """
    findings = SlackFindings()
    client = web_client(settings)
    client.timeout = CHECK_TIMEOUT
    client.retry_handlers = []  # one try: the check says what happened, it does not wait it out
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "unknown error")
        if code in _TOKEN_REFUSED:
            findings.fatal.append(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token (xoxb-...) again "
                "from OAuth & Permissions; if the app was reinstalled or removed, reinstall it and use its new token"
            )
        else:
            findings.fatal.append(f"Slack answered auth.test with {code}: try again in a minute, or see status.slack.com")
        return findings
    except OSError as error:
        findings.fatal.append(
            f"Slack could not be reached at {settings.slack_api_url} ({error.__class__.__name__}: {error}): "
            "check this host's network and proxy settings, or SLACK_API_URL"
        )
        return findings
    findings.ok.append(f"Slack token ok: the bot {auth.get('user_id')} in workspace {auth.get('team') or auth.get('team_id')}")

    granted_header = _header(auth.headers, "x-oauth-scopes")
    needed = manifest.scopes() if scopes is None else scopes
    if granted_header is None:
        findings.ok.append("scopes not reported by Slack; not checked")
    else:
        granted = {scope.strip() for scope in granted_header.split(",") if scope.strip()}
        if missing := sorted(needed - granted):
            findings.fatal.append(
                f"the app lacks the scope{'s' if len(missing) > 1 else ''} {', '.join(missing)}: add "
                f"{'them' if len(missing) > 1 else 'it'} under OAuth & Permissions (or recreate the app from "
                "manifest.yml), then reinstall the app to the workspace and copy the new token"
            )
        else:
            findings.ok.append(f"scopes ok: {', '.join(sorted(needed))}")

    for title, channel in channels:
        problem = _channel_problem(client, channel)
        if problem == "not_in_channel":
            findings.warnings.append(
                f"the bot is not in channel {channel} (series {title!r}): type /invite @heart-bot in that channel"
            )
        elif problem in ("channel_not_found", "is_archived"):
            findings.warnings.append(
                f"channel {channel} (series {title!r}) {'was not found' if problem == 'channel_not_found' else 'is archived'}: "
                "give the series a channel the bot is in (PEERHOUR_CHANNEL, content/sessions.yml or /peerhour)"
            )
        elif problem:
            findings.warnings.append(f"channel {channel} (series {title!r}) could not be checked ({problem})")
        else:
            findings.ok.append(f"channel ok: {channel} (series {title!r})")

    if settings.coordinator_group:
        try:
            members = client.usergroups_users_list(usergroup=settings.coordinator_group).get("users") or []
        except SlackApiError as error:
            code = error.response.get("error", "unknown error")
            if code == "no_such_subteam":
                findings.warnings.append(
                    f"COORDINATOR_GROUP {settings.coordinator_group} is not a user group of this workspace: copy the "
                    "group's id (S0...) from its page under People > User groups, or unset it"
                )
            elif code != "missing_scope":  # already said, with the scopes
                findings.warnings.append(f"COORDINATOR_GROUP {settings.coordinator_group} could not be read ({code})")
        except OSError as error:
            findings.warnings.append(f"COORDINATOR_GROUP {settings.coordinator_group} could not be read ({error})")
        else:
            findings.ok.append(f"coordinator group ok: {settings.coordinator_group}, {len(members)} members")
    return findings


def _channel_problem(client: WebClient, channel: str) -> str | None:
    """Why the bot can't post in ``channel`` (a Slack error code), or None if it can."""
    try:
        scheduled = client.chat_scheduleMessage(
            channel=channel, post_at=int(time.time()) + SCHEDULE_AHEAD, text="heart-bot check (removed at once)"
        )
    except SlackApiError as error:
        return str(error.response.get("error", "unknown error"))
    except OSError as error:
        return f"{error.__class__.__name__}: {error}"
    try:
        client.chat_deleteScheduledMessage(channel=channel, scheduled_message_id=scheduled["scheduled_message_id"])
    except (SlackApiError, OSError) as error:
        return f"a test message scheduled for 100 days ahead could not be removed ({error}); delete it in Slack"
    return None
