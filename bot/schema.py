"""The list of migration sets that make heart-bot's schema, applied in this order.

A feature that owns tables declares ``migrations = sqlite_utils.Migrations("heart.<feature>")``
in its own module and adds it here.
"""

from bot import engagement, events, reminders, rollups, sessions, shareouts

MIGRATION_SETS = [
    events.migrations,
    shareouts.migrations,
    sessions.migrations,
    reminders.migrations,
    engagement.migrations,  # indexes on the tables above: keep it after them
    rollups.migrations,  # counts of the tables above, kept by triggers: keep it after them
]
