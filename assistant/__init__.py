"""Slack-native customer-escalation assistant."""

__version__ = "0.1.0"
