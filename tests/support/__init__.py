"""What the tests share: the shell run as a member runs it, sessions and communities written straight
to SQLite, and a local Socket Mode endpoint. The bot run over HTTP is :mod:`bot.offline.server`."""
