"""What the app shows in Slack: Jinja2 templates rendered to validated Block Kit."""
