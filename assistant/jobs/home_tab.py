"""The App Home tab: a person's own cases, the cases they follow, and for leaders the portfolio.

Built from the database on every publish (Slack keeps no state we rely on) and
refreshed for the people a case involves whenever it changes. It always fits
Slack's 100 blocks: long lists are summarised and paginated.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from slack_sdk import WebClient

from assistant.content.i18n import _, speaking
from assistant.content.registry import installed
from assistant.domain.accounts import account_key
from assistant.domain.portfolio import CaseFacts, Filters, week_start
from assistant.domain.practice import Practice
from assistant.domain.satisfaction import satisfaction_line
from assistant.domain.status import STATUS_LABELS
from assistant.ids import COMMAND, CaseAction, HomeAction
from assistant.jobs.action_items import item_context
from assistant.jobs.supervision import describe
from assistant.jobs.work_queue import WorkQueue
from assistant.models import Escalation, utcnow
from assistant.presenters.case_buttons import action_ids, card_actions
from assistant.presenters.case_context import guidance_words
from assistant.rendering.escape import UserText
from assistant.rendering.render import render_view
from assistant.rendering.validate import InvalidPayload
from assistant.services.accounts import portfolio_facts
from assistant.services.action_items import open_items
from assistant.services.digest import promises_between
from assistant.services.followers import followed_by, followers_of
from assistant.services.portfolio import (
    breaches_since,
    cases_of,
    home_state,
    home_viewers,
    portfolio_view,
    save_home_state,
)
from assistant.services.satisfaction import satisfaction_between
from assistant.services.sponsorship import sponsorships
from assistant.settings import Settings
from assistant.slack.client import OUTAGE_ERRORS, error_code
from assistant.slack.people import People

logger = logging.getLogger(__name__)

MY_ROWS = 10
FOLLOWED_ROWS = 10
REPORTED_ROWS = 5
LIST_LINES = 8
PAGE_SIZE = 10
SPONSOR_LINES = 15
ALL = "all"  # the "any" choice of a filter (Slack options need a value)


# Home refreshes come after opening cases in the work queue: a case matters more than a tab.
HOME_PRIORITY = (2,)


# A person's open RCA action items shown on their Home tab (the soonest due).
ACTION_ITEM_ROWS = 5
# The customer-satisfaction line on the portfolio covers this many days.
SATISFACTION_PERIOD = timedelta(days=30)


class HomeTab:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        client: WebClient,
        settings: Settings,
        practice: Practice,
        queue: WorkQueue,
        people: People,
    ) -> None:
        self.engine = engine
        self.practice = practice
        self.people = people  # whose language each tab is written in
        self.client = client
        self.settings = settings
        self.queue = queue
        # When each person's tab was last rebuilt (monotonic), to rebuild it at most once a window.
        self._published: dict[str, float] = {}
        self.leaders = frozenset(settings.escalation_manager_ids) | frozenset(settings.executive_ids)
        self.zone = ZoneInfo(settings.digest_timezone)

    def sees_portfolio(self, user_id: str) -> bool:
        return user_id in self.leaders

    def view(self, user_id: str, filters: Filters, page: int, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        followed = set(followed_by(self.engine, user_id))
        mine = cases_of(self.engine, user_id, list(followed))
        owned = [c for c in mine if c.owner_id == user_id]
        following = [c for c in mine if c.id in followed and c.owner_id != user_id]
        reported = [c for c in mine if c.owner_id != user_id and c.id not in followed]
        context: dict[str, Any] = {
            "command": COMMAND,
            "guidance": guidance_words(self.practice),
            "owned": self.rows(owned[:MY_ROWS], user_id, followed, now),
            "owned_more": len(owned) - MY_ROWS,
            "following": self.rows(following[:FOLLOWED_ROWS], user_id, followed, now),
            "following_more": len(following) - FOLLOWED_ROWS,
            "reported": self.rows(reported[:REPORTED_ROWS], user_id, followed, now),
            "reported_more": len(reported) - REPORTED_ROWS,
            "portfolio": None,
            "action_items": [
                {**item_context(item), "overdue": item.escalated}
                for item in open_items(self.engine, owner_id=user_id, limit=ACTION_ITEM_ROWS)
            ],
            "actions": action_ids(installed().flows),
            "home": HomeAction,
            "now": now,
        }
        if self.sees_portfolio(user_id):
            context["portfolio"] = self.portfolio(user_id, filters, page, followed, now)
        return render_view("home.json.j2", **context)

    def portfolio(
        self, user_id: str, filters: Filters, page: int, followed: set[int], now: datetime
    ) -> dict[str, Any]:
        summary = portfolio_view(
            self.engine,
            viewer=user_id,
            followed=followed,
            filters=filters,
            now=now,
            breaches=breaches_since(self.engine, week_start(now, self.zone)),
            page=page,
            size=PAGE_SIZE,
            lines=LIST_LINES,
        )
        shown = summary.page
        oldest = summary.oldest
        practice = self.practice
        return {
            "summary": summary,
            "by_category": " · ".join(
                f"{_(practice.category_label(c))} {summary.by_category.get(c, 0)}"
                for c in practice.categories
            ),
            "by_severity": " · ".join(
                f"{_(practice.severity_label(s))} {summary.by_severity.get(s, 0)}"
                for s in practice.severities
            ),
            "due_soon": self.lines(summary.due_soon.items, now),
            "due_soon_more": summary.due_soon.count - LIST_LINES,
            "overdue": self.lines(summary.overdue.items, now),
            "overdue_more": summary.overdue.count - LIST_LINES,
            "unacknowledged": self.lines(summary.unacknowledged.items, now),
            "unacknowledged_more": summary.unacknowledged.count - LIST_LINES,
            "oldest": self.rows([oldest], user_id, followed, now)[0] if oldest else None,
            "rows": self.rows(shown.items, user_id, followed, now),
            "page": {"number": shown.number, "count": shown.count},
            "filters": self.filter_controls(filters, summary.accounts),
            "filtered": filters.active,
            "sponsorships": self.sponsorship_lines(),
            "satisfaction": _(
                satisfaction_line(satisfaction_between(self.engine, now - SATISFACTION_PERIOD, now))
            ),
            "satisfaction_days": SATISFACTION_PERIOD.days,
            "promises": promises_between(self.engine, now - SATISFACTION_PERIOD, now),
        }

    def rows(
        self,
        cases: Iterable[CaseFacts],
        user_id: str,
        followed: set[int],
        now: datetime,
        with_accounts: bool = True,
    ) -> list[dict[str, Any]]:
        rows = []
        cases = list(cases)
        accounts = (
            portfolio_facts(self.engine, [(c.id, c.account_key) for c in cases], now) if with_accounts else {}
        )
        for case in cases:
            next_button = card_actions(installed().flows, case.status)["buttons"][0]
            if case.owner_id == user_id:
                accessory = {**next_button, "style": "primary"}
            elif case.id in followed:
                accessory = {"action_id": CaseAction.UNFOLLOW.value, "label": _("home_tab.unfollow")}
            elif user_id not in case.participants:
                accessory = {"action_id": CaseAction.FOLLOW.value, "label": _("home_tab.follow")}
            else:
                accessory = None
            rows.append(
                {
                    "value": str(case.id),
                    "key": case.key,
                    "account": UserText(case.account),
                    "summary": UserText(case.summary),
                    "status": _(STATUS_LABELS[case.status]),
                    "severity": _(self.practice.severity_label(case.severity)),
                    "owner_id": case.owner_id,
                    "yours": case.owner_id == user_id,
                    "channel_id": case.channel_id,
                    "promise": {"label": _(case.promise[0]), "at": case.promise[1]} if case.promise else None,
                    "overdue": case.overdue(now),
                    "created_at": case.created_at,
                    "accessory": accessory,
                    "account_facts": accounts.get(case.id),
                }
            )
        return rows

    def lines(self, cases: list[CaseFacts], now: datetime) -> list[dict[str, Any]]:
        # One line each, without the account's (the template shows them in short).
        return self.rows(cases[:LIST_LINES], "", set(), now, with_accounts=False)

    def filter_controls(self, filters: Filters, accounts: list[str]) -> dict[str, Any]:
        def choice(options: list[tuple[str, Any]], current: str | None) -> dict[str, Any]:
            anything = {"value": ALL, "label": _("home_tab.any")}
            every = [anything] + [{"value": v, "label": label} for v, label in options]
            # Slack takes 100 options; a chosen one past that is still offered.
            shown = every[:99] + [o for o in every[99:] if o["value"] == current][:1]
            return {"options": shown, "initial": current or ALL}

        practice = self.practice

        return {
            "category": choice(
                [(c.value, _(practice.category_label(c))) for c in practice.categories], filters.category
            ),
            "severity": choice(
                [(s.value, _(practice.severity_label(s))) for s in practice.severities], filters.severity
            ),
            "owner": filters.owner_id,
            "account": choice([(account_key(a), UserText(a)) for a in accounts], filters.account),
            "tag": choice([(t, _(label)) for t, label in practice.tags.items()], filters.tag)
            if practice.tags
            else None,
        }

    def sponsorship_lines(self) -> dict[str, Any]:
        rows = sponsorships(self.engine)
        return {
            "rows": [
                {"account": UserText(r.account_name), "sponsor_id": r.sponsor_id, "since": r.enrolled_at}
                for r in rows[:SPONSOR_LINES]
            ],
            "more": len(rows) - SPONSOR_LINES,
        }

    def publish(
        self, user_id: str, filters: Filters | None = None, page: int | None = None, *, opened: bool = False
    ) -> None:
        """Show `user_id` their Home tab, keeping (or changing) their filters and page.

        `opened`: they opened it, so it is refreshed for them from now on.
        """
        saved_filters, saved_page = home_state(self.engine, user_id, self.practice)
        changed = filters is not None or page is not None
        filters = saved_filters if filters is None else filters
        page = saved_page if page is None else page
        if opened or changed:
            save_home_state(self.engine, user_id, filters, page)
        # Written in the reader's language: the rows' words as much as the template's.
        with speaking(self.people.locale(user_id)):
            try:
                view = self.view(user_id, filters, page)
            except InvalidPayload as exc:
                # Never leave someone with no Home tab: a payload bug shows a short one instead.
                # (Where, never the payload's text: it holds customers' words.)
                logger.error(
                    "the Home tab of %s did not fit Slack's rules (%s); publishing a short one",
                    user_id,
                    describe(exc),
                )
                view = render_view("home_fallback.json.j2", command=COMMAND)
        self.client.views_publish(user_id=user_id, view=view)

    def involved(self, case: Escalation, also: Iterable[str] = ()) -> set[str]:
        followers = followers_of(self.engine, [case.id or 0]).get(case.id or 0, set())
        people = {*case.participants, *followers, *self.leaders, *also}
        # Only people who have opened their Home tab have one to refresh.
        return home_viewers(self.engine, people)

    def refresh_for(self, case: Escalation, also: Iterable[str] = ()) -> None:
        """Refresh the Home tab of everyone the case involves (and `also` others), in the background.

        Each person's tab is rebuilt at most once per HOME_REFRESH_SECONDS however many
        cases change: a refresh asked for while one waits is the same refresh.
        """
        self.queue.submit(
            f"home:case:{case.id}:{uuid.uuid4().hex}",
            partial(self._refresh_involved, case, tuple(also)),
            priority=HOME_PRIORITY,
        )

    def _refresh_involved(self, case: Escalation, also: tuple[str, ...]) -> None:
        window = self.settings.home_refresh_seconds
        for user_id in sorted(self.involved(case, also)):
            last = self._published.get(user_id)
            self.queue.submit(
                f"home:{user_id}",
                partial(self._refresh, user_id),
                priority=HOME_PRIORITY,
                method="views.publish",
                delay=0.0 if last is None else max(0.0, last + window - time.monotonic()),
            )

    def _refresh(self, user_id: str) -> None:
        self._published[user_id] = time.monotonic()
        try:
            self.publish(user_id)
        except OUTAGE_ERRORS as exc:  # Slack or the database: the next change refreshes it again
            logger.warning("Home tab refresh for %s failed (%s)", user_id, error_code(exc))
