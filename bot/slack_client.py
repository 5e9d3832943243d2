"""The WebClients heart-bot calls Slack's Web API with: from listeners (:func:`web_client`), and for
scheduled fan-outs that pace and retry themselves (:func:`delivery_client`)."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

_last_success: list[float] = []  # when Slack last answered a call of this process with ok


class TrackedWebClient(WebClient):
    """slack_sdk's WebClient, noting when a call last succeeded (for ``/healthz?verbose=1``)."""

    def api_call(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        response = super().api_call(*args, **kwargs)  # raises SlackApiError unless Slack said ok
        _last_success[:] = [time.time()]
        return response


def last_success() -> float | None:
    """When Slack last answered one of this process's calls with ok (a Unix time), or None."""
    return _last_success[0] if _last_success else None


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient for ``SLACK_API_URL`` that waits out 429s and retries 5xx and drops."""
    return TrackedWebClient(
        token=token or settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def delivery_client(token: str | None, base_url: str) -> WebClient:
    """A WebClient with no retry handlers of its own: the sender paces and retries itself
    (:mod:`bot.pacing`).

    Its timeout is generous: a timed-out post may have reached Slack and is sent again.
    """
    return TrackedWebClient(token=token, base_url=base_url, timeout=15, retry_handlers=[])
