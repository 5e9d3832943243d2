"""Share-outs: a member's short reflection after a session, kept with their consent.

- :mod:`~bot.shareouts.core`: the tables, checks, saving, editing, deleting, exports, retention.
- :mod:`~bot.shareouts.posts`: the channel posts the bot makes of share-outs, and taking them down.
- :mod:`~bot.shareouts.content`: the form's choices and the crisis phrases (``content/``).
- :mod:`~bot.shareouts.deidentify`: the gentle check for a name or a phone number.
- :mod:`~bot.shareouts.blocks`: the form, confirmations, the safety net, "your share-outs".

A share-out is about a session: this feature reads sessions through :mod:`bot.sessions.core`
(a dependency declared in ``.importlinter``). Slack reaches it through ``handlers/shareouts.py``.
"""
