"""Asking the account's CSM about a signal of the 24-hour judgement tier: a DM, once per signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa

from assistant.content.i18n import _, current_locale
from assistant.domain.judgement import CONCERN_WORDS, Concern, JudgementRules
from assistant.domain.money import format_money
from assistant.ids import CaseAction
from assistant.jobs.supervision import Supervisor
from assistant.models import Account, JudgementRequest
from assistant.rendering.escape import escape_mrkdwn
from assistant.rendering.render import Message, render_message
from assistant.services import judgement
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)


def concern_words(
    request: JudgementRequest,
    account: Account,
    rules: JudgementRules,
    escape: Callable[[str, int], str] = escape_mrkdwn,
) -> dict[str, str]:
    """What happened and why it matters, in the current language; the account's words go through
    `escape` (mrkdwn for a message; as they are for a form's field, which escapes them itself).
    `rules`: the practice's judgement (the threshold the health fell below)."""
    what, why = CONCERN_WORDS[Concern(request.concern)]
    value = format_money(account.contract_value, account.currency, current_locale()) or "—"
    values: dict[str, Any] = {
        "account": escape(account.name, 200),
        "value": value,
        "below": rules.health_below,
        **{k: escape(str(v), 100) for k, v in request.detail.items()},
    }
    facts = [_("judgement.contract_value_value", value=value)]
    if account.renewal_on:
        facts.append(_("judgement.renewal_date", date=account.renewal_on.isoformat()))
    if account.health is not None:
        facts.append(_("judgement.health_now_score", score=account.health))
    return {"what": _(what) % values, "why": _(why) % values, "facts": " · ".join(facts)}


JUDGEMENT_LOOP = "judgement"


class JudgementAsker:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        channel: CaseChannel,
        settings: Settings,
        rules: JudgementRules,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.rules = rules
        self.supervisor = supervisor or Supervisor(engine=engine)
        self.engine = engine
        self.channel = channel
        self.settings = settings

    def sweep(self) -> int:
        """Ask what was raised and not asked yet; how many were asked."""
        asked: list[int] = []
        pending = judgement.to_ask(self.engine)
        # One that raised unexpectedly waits out its back-off (or, parked, for a person).
        held = self.supervisor.held(JUDGEMENT_LOOP, [f"judgement:{r.id}" for r, _ in pending])
        for request, account in pending:
            item = f"judgement:{request.id}"
            if item not in held:
                self.supervisor.handle(JUDGEMENT_LOOP, item, partial(self._ask, request, account, asked))
        return len(asked)

    def _ask(self, request: JudgementRequest, account: Account, asked: list[int]) -> None:
        # The account's CSM judges; an account without one, the escalation managers' first.
        who = account.csm_id or next(iter(self.settings.escalation_manager_ids), None)
        if who is None:
            return  # nobody to ask yet: asked once the account has a CSM
        try:
            with self.channel.language_of(who):
                message = self.question(request, account, self.rules)
            self.channel.post_once(f"judgement:{request.id}", who, message, case_id=None)
        except SLACK_ERRORS as exc:
            logger.warning("could not ask about judgement %s (%s); next sweep", request.id, error_code(exc))
            return
        judgement.mark_asked(self.engine, request.id or 0, who)
        asked.append(request.id or 0)

    @staticmethod
    def question(request: JudgementRequest, account: Account, rules: JudgementRules) -> Message:
        return render_message(
            "judgement_question.json.j2",
            **concern_words(request, account, rules),
            request_id=request.id,
            actions=CaseAction,
        )
