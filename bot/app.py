"""The Bolt app factory: one Bolt ``App`` with every feature's listeners registered."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.runtime import Heart


def web_client(heart: Heart, token: str | None = None) -> WebClient:
    """A WebClient for ``SLACK_API_URL`` that waits out 429s and retries 5xx and drops."""
    return WebClient(
        token=token or heart.settings.bot_token,
        base_url=heart.settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(
    heart: Heart,
    *,
    token: str | None = None,
    signing_secret: str | None = None,
    process_before_response: bool = False,
) -> App:
    """Build the Bolt app for ``heart``.

    ``token`` and ``signing_secret`` override the settings, and ``process_before_response``
    makes each dispatch finish its listener before returning: the offline shell uses
    all three to run requests in-process, one after another.
    """
    import handlers

    client = web_client(heart, token)
    app = App(
        client=client,
        signing_secret=signing_secret or heart.settings.signing_secret,
        process_before_response=process_before_response,
        # Bolt answers url_verification and ssl_check itself, and 404s what no listener
        # matches; the catch-all in handlers.errors turns unknown commands into a reply.
    )
    handlers.register_all(app, heart)
    return app
