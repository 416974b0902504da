"""The HTTP API under /api/v1: other systems open escalations, add notes, keep accounts current."""
