"""The outbox: what heart-bot sends on its own, on a schedule, each exactly once, whichever of its
processes sends it and whatever happens to them.

- :mod:`~bot.outbox.instances`: which processes are alive (an instance id, a heartbeat in the
  database, a lock file the kernel lets go of when a process dies).
- :mod:`~bot.outbox.ledger`: claims on each message, held by a live instance; a dead one's
  are taken over at once.
- :mod:`~bot.outbox.pace`: a pace kept in the database, shared by every process.
- :mod:`~bot.outbox.sender`: posting a claimed message with its delivery key as message
  metadata, through Slack's failures, and finding it again when Slack's answer was lost.

Reminders, notices and post-session prompts (:mod:`bot.sessions.delivery`) and retention
take-downs (:mod:`bot.shareouts.posts`) go through it; any feature that sends on its own can.
"""
