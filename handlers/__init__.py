"""Slack listeners, one module per feature, each with ``register(app)``.

A listener is a module-level function: it turns a Slack payload into a call on a feature
(``bot/<feature>/``), reading the core from Bolt's ``context`` (see :mod:`handlers.common`),
and the result into that feature's Block Kit; it holds no logic of its own and runs no SQL.
``register(app)`` only wires a module's listeners to what they answer.
"""

from slack_bolt import App

from handlers import connections, engagement, errors, glossary, home, members, sessions, shareouts, tipsheets

# The order matters only for ``errors``, whose catch-all command listener must come last.
FEATURES = [glossary, tipsheets, shareouts, engagement, sessions, connections, home, members]


def register_all(app: App) -> None:
    """Register every feature's listeners, then the global error and fallback handlers."""
    for feature in FEATURES:
        feature.register(app)
    errors.register(app)
