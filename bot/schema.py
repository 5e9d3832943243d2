"""The list of migration sets that make heart-bot's schema, applied in this order.

A feature that owns tables declares ``migrations = sqlite_utils.Migrations("heart.<feature>")``
in its own module and adds it here.
"""

from bot import engagement, events, reminders, sessions, shareouts

MIGRATION_SETS = [
    events.migrations,
    shareouts.migrations,
    sessions.migrations,
    reminders.migrations,
    engagement.migrations,  # indexes on the tables above: keep it after them
]
