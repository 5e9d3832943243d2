"""Slack listeners, one module per feature, each with ``register(app, heart)``.

A listener turns a Slack payload into a call on the core (``bot/``) and the result into
Block Kit; it holds no logic of its own and runs no SQL.
"""

from slack_bolt import App

from bot.runtime import Heart
from handlers import engagement, errors, glossary, home, members, sessions, shareouts, tipsheets

# The order matters only for ``errors``, whose catch-all command listener must come last.
FEATURES = [glossary, tipsheets, shareouts, engagement, sessions, home, members]


def register_all(app: App, heart: Heart) -> None:
    """Register every feature's listeners, then the global error and fallback handlers."""
    for feature in FEATURES:
        feature.register(app, heart)
    errors.register(app, heart)
