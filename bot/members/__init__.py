"""Members and their roles: a member's own data, and who the coordinators are.

- :mod:`~bot.members.data`: everything kept about a member, to download and to delete (each
  feature deletes its own part).
- the Home tab's *About you*: the member's one profile (:mod:`bot.profiles`), asked as connections ask it.
- :mod:`~bot.members.coordinators`: ``COORDINATOR_IDS`` and the ``COORDINATOR_GROUP`` members.
- :mod:`~bot.members.blocks`: the Home tab's "Your data" and what the member is told.

Slack reaches it through ``handlers/members.py``.
"""
