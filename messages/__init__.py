"""Content, not code: the Jinja2 Block Kit templates of everything the app shows in Slack.

A CS-ops team may change these. The engine (`assistant/messages/`) renders and validates
them; a team's own copies in `CUSTOM_DIR/messages/templates/` replace them file by file.
Installed as the package `assistant_content.messages` (see pyproject.toml), so an installed
wheel carries them as a checkout does.
"""
