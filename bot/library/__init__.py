"""The library: the Glossary of Mental Health Terms and the tip sheets.

- :mod:`~bot.library.entries`: categories, glossary entries and tip sheets as editors write them.
- :mod:`~bot.library.loaders`: reading and checking them from ``content/``.
- Search: :mod:`~bot.library.glossary` (names, typos, a choice for ambiguous words, an honest
  "not yet"), reading queries through :mod:`~bot.library.query` (question wording, stems,
  comparisons) and ranking meaning with :mod:`~bot.library.ranking` (SQLite FTS5 and BM25, a
  confidence per entry); :mod:`~bot.library.tipsheets` (sheets and their sections).
- :mod:`~bot.library.mrkdwn`: Markdown as Slack's mrkdwn.
- :mod:`~bot.library.glossary_blocks` and :mod:`~bot.library.tipsheet_blocks`: their Block Kit.

Slack reaches it through ``handlers/glossary.py`` and ``handlers/tipsheets.py``.
"""
