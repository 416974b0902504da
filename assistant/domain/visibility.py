"""Who may see a case's details: private (security, data-breach) cases only their own people."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.domain.sentences import Sentence, said


def can_see_details(*, is_private: bool, user_id: str, participants: Iterable[str]) -> bool:
    return not is_private or user_id in set(participants)


def follow_refusal(
    *, key: str, closed: bool, is_private: bool, user_id: str, owner_id: str, participants: Iterable[str]
) -> Sentence | None:
    """Why `user_id` may not follow a case, or None."""
    if closed:
        return said(
            "%(key)s is closed: there is nothing left to follow. Its timeline stays in its channel.", key=key
        )
    if user_id == owner_id:
        return said("You own %(key)s: it is already on your Home tab and you are in its channel.", key=key)
    if not can_see_details(is_private=is_private, user_id=user_id, participants=participants):
        return said(
            "%(key)s is a restricted case with a private channel: ask its owner <@%(owner)s> for access.",
            key=key,
            owner=owner_id,
        )
    return None
