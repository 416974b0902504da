"""Escalation practice as plain data and functions: no Slack, no database."""
