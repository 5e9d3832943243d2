"""heart-bot: the Slack app of the HEART Collective's peer-support community."""

__version__ = "0.1.0"
