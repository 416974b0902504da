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
        return said("visibility.key_closed_there_nothing_left_follow", key=key)
    if user_id == owner_id:
        return said("visibility.you_own_key_already_your_home_tab", key=key)
    if not can_see_details(is_private=is_private, user_id=user_id, participants=participants):
        return said(
            "visibility.key_restricted_case_private_channel",
            key=key,
            owner=owner_id,
        )
    return None
