"""The library: the Glossary of Mental Health Terms and the tip sheets.

- :mod:`~bot.library.entries`: categories, glossary entries and tip sheets as editors write them.
- :mod:`~bot.library.loaders`: reading and checking them from ``content/``.
- Search: :mod:`~bot.library.glossary` (exact, typo-tolerant, fuzzy, in definitions) and
  :mod:`~bot.library.tipsheets`.
- :mod:`~bot.library.mrkdwn`: Markdown as Slack's mrkdwn.
- :mod:`~bot.library.glossary_blocks` and :mod:`~bot.library.tipsheet_blocks`: their Block Kit.

Slack reaches it through ``handlers/glossary.py`` and ``handlers/tipsheets.py``.
"""
