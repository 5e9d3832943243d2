"""Monthly connections: once a month, heart-bot introduces a member to another member, across
the sectors the HEART Collective exists to connect (a school to a community health center, an
agency to a family), in a group DM with just them.

- :mod:`~bot.connections.core`: the tables, members' profiles and switches (join, pause, skip,
  leave, never pair me with), coordinators' switches, answers, and a member's own data.
- :mod:`~bot.connections.content`: the topics on offer and the conversation starters
  (``content/connections.yml``, over the share-out form's sectors and themes and the tip sheets).
- :mod:`~bot.connections.schedule`: when rounds start (default: the first Monday of each month
  at 10:00 in ``HEART_TIMEZONE``).
- :mod:`~bot.connections.pairing`: who meets whom, deterministic for a seed and fair over rounds.
- :mod:`~bot.connections.timing`: a meeting time inside every member's working hours.
- :mod:`~bot.connections.rounds`: each round's groups, decided once and kept.
- :mod:`~bot.connections.blocks`: the /connect panel, the profile form, the introduction, the
  follow-up and past connections.
- :mod:`~bot.connections.sending`: introductions and follow-ups, each sent once (the claims
  ledger, :mod:`bot.claims`) at Slack's pace (:mod:`bot.pacing`).
- :mod:`~bot.connections.scheduler`: all of it while the bot serves.

Slack reaches it through ``handlers/connections.py``; the CLI's ``connections`` commands and
the coordinators' report (``bot/engagement``, which reads these tables in SQL) use the same core.
"""
