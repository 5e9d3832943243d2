"""Peer support hours: series of sessions, RSVPs, DM reminders, calendar files.

- :mod:`~bot.sessions.core`: the tables (series, occurrences, RSVPs, subscriptions) and every
  query and change on them; :mod:`~bot.sessions.recurrence`: when a series' sessions fall.
- :mod:`~bot.sessions.form`: the checks a new series passes, whether it comes from the Slack
  modal, the CLI or ``content/sessions.yml`` (:mod:`~bot.sessions.content`).
- :mod:`~bot.sessions.ics`: a session as an .ics file and a Google Calendar link.
- :mod:`~bot.sessions.blocks`: the Block Kit of /peerhour, its posts, reminders and forms.
- Reminders: :mod:`~bot.sessions.slots` plans what each session owes and when,
  the ledger in :mod:`bot.claims` sends each message once, :mod:`~bot.sessions.delivery` sends
  through :mod:`bot.sender`, and :mod:`~bot.sessions.scheduler` runs it all while the bot serves.

Slack reaches it through ``handlers/sessions.py``; the CLI's ``sessions`` commands call the same core.
"""
