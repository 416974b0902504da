"""Who may see a case's details: private (security, data-breach) cases only their own people."""

from __future__ import annotations

from collections.abc import Iterable


def can_see_details(*, is_private: bool, user_id: str, participants: Iterable[str]) -> bool:
    return not is_private or user_id in set(participants)
