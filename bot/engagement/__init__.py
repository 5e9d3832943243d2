"""What coordinators see of the community's engagement: one report, many faces.

- :mod:`~bot.engagement.report`: every figure of a period, small counts suppressed.
- :mod:`~bot.engagement.rollups`: daily counts kept by SQLite triggers, so a year reads fast.
- :mod:`~bot.engagement.periods`: "last month", "2026-11", a series id... as a period.
- :mod:`~bot.engagement.kept`: a closed period's figures, kept at its first export; every face asks it for a report.
- Faces: :mod:`~bot.engagement.blocks` (Slack), :mod:`~bot.engagement.formats` (the CLI),
  :mod:`~bot.engagement.charts` (a PNG), :mod:`~bot.engagement.exports` (CSV files).

It reads the other features' tables in SQL and imports none of them. Slack reaches it through
``handlers/engagement.py`` (/heart); the CLI through ``python -m bot report``.
"""
