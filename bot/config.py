"""Configuration from the environment (and a `.env` file), checked once at start.

Every problem becomes a :class:`ConfigError` whose message is one line naming the
variable and what to do about it; the CLI prints that line instead of a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from bot.errors import ConfigError

SLACK_API_DEFAULT = "https://slack.com/api/"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "heart.db"
DEFAULT_CONTENT = PROJECT_ROOT / "content"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Settings:
    """Everything heart-bot reads from its environment."""

    # The secrets never show in a printed or logged Settings (repr=False), like those below.
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = SLACK_API_DEFAULT
    port: int = 3000
    database_path: Path = DEFAULT_DATABASE
    content_dir: Path = DEFAULT_CONTENT
    timezone: str = "America/New_York"
    coordinator_ids: frozenset[str] = field(default_factory=frozenset)
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object a line, for hosts that collect logs
    # Lets /healthz?verbose=1 answer with details from outside this host (Authorization: Bearer ...).
    healthz_token: str | None = field(default=None, repr=False)
    # Keys the hash that lets the author of an "anonymous to everyone" share-out find it again.
    shareout_hash_secret: str | None = field(default=None, repr=False)
    shareout_retention_days: int | None = None
    # A Slack user group whose members are coordinators too (resolved with usergroups.users.list).
    coordinator_group: str | None = None
    # Reports show counts from 1 to this minus one as "<N", so no member can be singled out.
    small_count_threshold: int = 3
    # The month a grant year begins (HRSA budget periods: 7, July to June); "grant year 2027" ends in 2027.
    grant_year_start_month: int = 7
    # Sessions: the channel for series in content/sessions.yml that name none, how fast
    # reminder DMs go out, and how often the scheduler re-reads the database.
    peerhour_channel: str | None = None
    reminder_dm_per_second: float = 4.0
    reconcile_seconds: int = 60
    # How often a serving process tells the others it is alive; a process silent for three
    # heartbeats is taken for gone, and what it was sending is taken over.
    heartbeat_seconds: float = 5.0
    # The deployment's public https address: calendar subscription links are made under it.
    public_url: str | None = None
    # Monthly connections: introductions (each a conversations.open and a chat.postMessage) a minute.
    connections_per_minute: float = 50.0
    # Socket Mode: how often to ping Slack; a pong missing for half of this ends the connection.
    socket_ping_seconds: float = 5.0

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect over Socket Mode, not HTTP."""
        return bool(self.app_token)

    @property
    def tz(self) -> ZoneInfo:
        """The community's home time zone."""
        return ZoneInfo(self.timezone)

    def require_slack(self) -> None:
        """Raise unless the variables needed to talk to Slack are present.

        The offline shell and the CLI never call this; serving Slack does.

        :raises ConfigError: naming the first problem of :meth:`slack_problems`.
        """
        if problems := self.slack_problems():
            raise ConfigError(problems[0])

    def slack_problems(self) -> list[str]:
        """Every variable serving Slack needs that is missing, one line each with what to do."""
        problems = []
        if not self.bot_token:
            problems.append(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from "
                "your Slack app's OAuth & Permissions page into .env"
            )
        elif not self.bot_token.startswith("xoxb-"):
            problems.append(
                "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (the Bot User OAuth Token on "
                "OAuth & Permissions), not a user or app-level token"
            )
        if self.socket_mode:
            if not self.app_token or not self.app_token.startswith("xapp-"):
                problems.append(
                    "SLACK_APP_TOKEN must be an app-level token starting with xapp-: create one "
                    "with the connections:write scope under Basic Information"
                )
        elif not self.signing_secret:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
                "Basic Information page into .env (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        if not self.shareout_hash_secret:
            problems.append(
                "SHAREOUT_HASH_SECRET is not set: anonymous share-outs need a secret key of at least "
                f"{MIN_SECRET_LENGTH} characters; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it out of the database"
            )
        return problems


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read settings from ``environ`` (default: the process environment plus `.env`).

    :raises ConfigError: on a malformed value, with a one-line explanation.
    """
    if environ is None:
        if dotenv:
            load_dotenv(PROJECT_ROOT / ".env", override=False)
        environ = os.environ

    def get(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    return Settings(
        bot_token=get("SLACK_BOT_TOKEN"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=_api_url(get("SLACK_API_URL")),
        port=_port(get("PORT")),
        database_path=Path(get("DATABASE_PATH") or DEFAULT_DATABASE),
        content_dir=Path(get("CONTENT_DIR") or DEFAULT_CONTENT),
        timezone=_timezone(get("HEART_TIMEZONE")),
        coordinator_ids=_user_ids(get("COORDINATOR_IDS")),
        log_level=_log_level(get("LOG_LEVEL")),
        log_format=_log_format(get("LOG_FORMAT")),
        healthz_token=_healthz_token(get("HEALTHZ_TOKEN")),
        shareout_hash_secret=_secret(get("SHAREOUT_HASH_SECRET")),
        shareout_retention_days=_days(get("SHAREOUT_RETENTION_DAYS")),
        coordinator_group=_usergroup_id(get("COORDINATOR_GROUP")),
        small_count_threshold=_threshold(get("SMALL_COUNT_THRESHOLD")),
        grant_year_start_month=_month(get("GRANT_YEAR_START_MONTH")),
        peerhour_channel=_channel_id(get("PEERHOUR_CHANNEL")),
        reminder_dm_per_second=_dm_rate(get("REMINDER_DM_PER_SECOND")),
        reconcile_seconds=_reconcile_seconds(get("HEART_RECONCILE_SECONDS")),
        heartbeat_seconds=_heartbeat_seconds(get("HEART_HEARTBEAT_SECONDS")),
        public_url=_public_url(get("PUBLIC_URL")),
        connections_per_minute=_connections_rate(get("CONNECTIONS_PER_MINUTE")),
        socket_ping_seconds=_ping_seconds(get("SOCKET_MODE_PING_SECONDS")),
    )


def _public_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
        raise ConfigError(f"PUBLIC_URL must be the deployment's address, like https://heart-bot.example.org (got {value!r})")
    return value.rstrip("/")


def _api_url(value: str | None) -> str:
    if value is None:
        return SLACK_API_DEFAULT
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL such as {SLACK_API_DEFAULT} (got {value!r})")
    # WebClient joins method names with urljoin: without the trailing slash the last
    # path segment ("api") would be dropped.
    return value if value.endswith("/") else value + "/"


def _port(value: str | None) -> int:
    if value is None:
        return 3000
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"PORT must be a number from 1 to 65535 (got {value!r})")
    return int(value)


def _timezone(value: str | None) -> str:
    name = value or "America/New_York"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"HEART_TIMEZONE must be an IANA time zone name such as America/New_York (got {name!r})") from None
    return name


def _user_ids(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [user_id for user_id in ids if not _USER_ID.match(user_id)]
    if bad:
        raise ConfigError(
            "COORDINATOR_IDS must be Slack member ids separated by commas, like U012ABCDEF "
            f"(find one under a profile's ... > Copy member ID); not valid: {', '.join(bad)}"
        )
    return frozenset(ids)


def _usergroup_id(value: str | None) -> str | None:
    if value is not None and not _USERGROUP_ID.match(value):
        raise ConfigError(
            "COORDINATOR_GROUP must be a Slack user group id like S012ABCDEF, not its @handle "
            f"(find it in the group's URL under People > User groups); got {value!r}"
        )
    return value


def _threshold(value: str | None) -> int:
    if value is None:
        return 3
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise ConfigError(
            f"SMALL_COUNT_THRESHOLD must be a whole number from 1 to 100 (got {value!r}); counts below it "
            'are shown as "<N" in reports, and 1 shows every count'
        )
    return int(value)


def _month(value: str | None) -> int:
    if value is None:
        return 7
    if not value.isdigit() or not 1 <= int(value) <= 12:
        raise ConfigError(
            f"GRANT_YEAR_START_MONTH must be a month number from 1 to 12 (got {value!r}); "
            "7 makes a grant year run July to June"
        )
    return int(value)


def _channel_id(value: str | None) -> str | None:
    if value is not None and not re.match(r"^[CG][A-Z0-9]{2,}$", value):
        raise ConfigError(
            "PEERHOUR_CHANNEL must be a Slack channel id like C012ABCDEF, not its #name "
            f"(find it under the channel's name > About); got {value!r}"
        )
    return value


def _number_between(
    name: str, value: str | None, *, default: float, low: float, high: float, why: str, what: str = "a number"
) -> float:
    """A setting that is a number from ``low`` to ``high``; ``why`` tells the operator what to choose."""
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} must be {what} from {low:g} to {high:g} (got {value!r}); {why}")
    return number


def _dm_rate(value: str | None) -> float:
    return _number_between(
        "REMINDER_DM_PER_SECOND", value, default=4.0, low=0.1, high=100,
        why="Slack allows a few hundred messages a minute per workspace, so keep the default 4 unless Slack raised your limits",
    )


def _connections_rate(value: str | None) -> float:
    return _number_between(
        "CONNECTIONS_PER_MINUTE", value, default=50.0, low=1, high=6000,
        why="each introduction opens a group DM, which Slack allows about 50 times a minute, so keep the default 50 "
        "unless Slack raised your limits",
    )


def _reconcile_seconds(value: str | None) -> int:
    if value is None:
        return 60
    if not value.isdigit() or not 1 <= int(value) <= 3600:
        raise ConfigError(f"HEART_RECONCILE_SECONDS must be a whole number of seconds from 1 to 3600 (got {value!r})")
    return int(value)


def _heartbeat_seconds(value: str | None) -> float:
    return _number_between(
        "HEART_HEARTBEAT_SECONDS", value, default=5.0, low=0.1, high=60, what="a number of seconds",
        why="a process silent for three heartbeats is taken for gone, so keep the default 5 unless the database is slow to write",
    )


def _ping_seconds(value: str | None) -> float:
    return _number_between(
        "SOCKET_MODE_PING_SECONDS", value, default=5.0, low=1, high=60, what="a number of seconds",
        why="a silent Socket Mode connection is noticed within about twice this time",
    )


def _log_level(value: str | None) -> str:
    level = (value or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)} (got {value!r})")
    return level


def _log_format(value: str | None) -> str:
    found = (value or "text").lower()
    if found not in _LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json (got {value!r})")
    return found


def _healthz_token(value: str | None) -> str | None:
    if value is not None and len(value) < 16:
        raise ConfigError(
            f"HEALTHZ_TOKEN must be at least 16 characters (got {len(value)}); generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
        )
    return value


def _secret(value: str | None) -> str | None:
    if value is not None and len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"SHAREOUT_HASH_SECRET must be at least {MIN_SECRET_LENGTH} characters (got {len(value)}); generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return value


def _days(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"SHAREOUT_RETENTION_DAYS must be a whole number of days, 1 or more (got {value!r}); leave it unset to keep texts"
        )
    return int(value)


# Slack's libraries log whole request and response bodies at DEBUG, and those carry
# members' words. They stay at INFO whatever LOG_LEVEL says.
_CHATTY_LIBRARIES = ("slack_bolt", "slack_sdk", "urllib3")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the traceback if any."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Set up logging at the configured level (plain text, or JSON lines with ``LOG_FORMAT=json``),
    never letting payloads through."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    # Bolt copies the root level onto each logger it makes ("slack_bolt.App" logs every
    # response body at DEBUG), so the handlers drop those records too.
    for handler in logging.getLogger().handlers:
        handler.addFilter(_quiet_libraries)


# Bolt logs the whole body of a request whose signature fails, at INFO: a member's words, or
# an attacker's flood. bot.web logs the refusal without it.
_BODY_AT_INFO = "slack_bolt.RequestVerification"


def _quiet_libraries(record: logging.LogRecord) -> bool:
    if record.name == _BODY_AT_INFO and record.levelno < logging.WARNING:
        return False
    return record.levelno >= logging.INFO or not record.name.startswith(_CHATTY_LIBRARIES)
