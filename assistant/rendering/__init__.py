"""Rendering the templates (messages/templates): Block Kit JSON, escaping, Slack's limits, the chart."""
