"""heart-bot without Slack: for trying it, testing it and measuring it.

- :mod:`~bot.offline.shell`: ``python -m bot shell``, slash commands typed, replies read as text.
- :mod:`~bot.offline.localslack`: a local stand-in for Slack's Web API and response URLs.
- :mod:`~bot.offline.slack_requests`: requests built and signed as Slack builds and signs them.
- :mod:`~bot.offline.render`: Block Kit as plain text.
- :mod:`~bot.offline.server`: the bot in its own process, as the Procfile starts it, over HTTP.
"""
