"""heart-bot's error vocabulary: each is a problem a person can fix, with a one-line message."""


class HeartError(Exception):
    """Base class: the message is written for the person who has to act on it."""


class ConfigError(HeartError):
    """A configuration variable is missing or malformed."""


class ContentError(HeartError):
    """Content under content/ is invalid; the message names the file, entry and problem."""
