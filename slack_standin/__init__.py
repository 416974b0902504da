"""A Slack stand-in for tests, benchmarks and demos: a local HTTP server speaking the Web API.

It keeps workspace state (users, channels, members, messages, pins, bookmarks,
views), refuses what Slack refuses (missing arguments, bad tokens, invalid
Block Kit, unknown channels) with Slack's own error codes, and can be told to
be slow or to fail (429 with Retry-After, 5xx, any error code).
"""

from slack_standin.server import StandIn
from slack_standin.workspace import Workspace

__all__ = ["StandIn", "Workspace"]
