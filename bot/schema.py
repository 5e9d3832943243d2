"""The list of migration sets that make heart-bot's schema, applied in this order.

A feature that owns tables declares ``migrations = sqlite_utils.Migrations("heart.<feature>")``
in its own module and adds it here.
"""

from bot import events
from bot.engagement import report as engagement
from bot.engagement import rollups
from bot.sessions import core as sessions
from bot.sessions import delivery as reminders
from bot.shareouts import core as shareouts

MIGRATION_SETS = [
    events.migrations,
    shareouts.migrations,
    sessions.migrations,
    reminders.migrations,
    engagement.migrations,  # indexes on the tables above: keep it after them
    rollups.migrations,  # counts of the tables above, kept by triggers: keep it after them
]
