"""The weekly digest: computed from the timeline, posted to the feed channel with its chart.

Posted once per week even with several app instances: the first to record the
week in `digest_run` posts it. A failed post releases the week for a retry.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from slack_sdk import WebClient

from assistant.content.i18n import _, current_locale
from assistant.domain.digest import (
    REPEAT_LOOKBACK,
    ActionItemsOpen,
    Digest,
    OverdueItem,
    compute_digest,
    latest_digest_moment,
)
from assistant.domain.practice import Practice
from assistant.domain.satisfaction import satisfaction_line
from assistant.domain.slack_text import decode_slack_text
from assistant.jobs.work_queue import WorkQueue
from assistant.models import utcnow
from assistant.rendering.escape import UserText, escape_mrkdwn
from assistant.rendering.render import Message, render_message
from assistant.services import action_items as action_item_records
from assistant.services import digest as records
from assistant.services.judgement import judged_between
from assistant.services.satisfaction import satisfaction_between
from assistant.services.voice import voices_between
from assistant.settings import WEEKDAYS, Settings
from assistant.slack.case_channel import CaseChannel

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)
REPEAT_LINES = 10
# A digest missed while the app was down is still posted if it is at most this late.
CATCH_UP_WITHIN = timedelta(hours=24)


def format_span(span: timedelta | None) -> str:
    """45 min, 3 h 20 min, 2 d 4 h: how long something took, for people."""
    if span is None:
        return _("digest.n")
    minutes = round(span.total_seconds() / 60)
    if minutes < 60:
        return _("digest.min_min", min=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _("digest.h_h_min_min", h=hours, min=rest) if rest else _("digest.h_h", h=hours)
    days, hours = divmod(hours, 24)
    return _("digest.d_d_h_h", d=days, h=hours) if hours else _("digest.d_d", d=days)


def format_day(day: date, with_year: bool = False) -> str:
    """'Mon 16 Nov' (and the year), in the language the digest is written in."""
    return format_date(day, "EEE dd MMM y" if with_year else "EEE dd MMM", locale=current_locale())


def digest_context(digest: Digest, practice: Practice) -> dict[str, Any]:
    rate = digest.on_time_rate
    return {
        "first_day": format_day(digest.days[0].day),
        "last_day": format_day(digest.days[-1].day, with_year=True),
        "start": digest.start,
        "end": digest.end,
        "opened": digest.opened,
        "resolved": digest.resolved,
        "closed": digest.closed,
        "still_open": digest.still_open,
        "made": digest.promises_made,
        "kept": digest.promises_kept,
        "delivered_late": digest.promises_delivered_late,
        "on_time": f"{rate:.0%}" if rate is not None else _("digest.n_no_promise_fell_due"),
        "breaches": digest.breaches,
        "ack_target": format_span(digest.ack_target),
        "ack_count": digest.ack_count,
        "ack_median": format_span(digest.ack_median),
        "ack_p90": format_span(digest.ack_p90),
        "ack_within": digest.ack_within_target,
        "resolve_median": format_span(digest.resolve_median),
        "resolve_p90": format_span(digest.resolve_p90),
        "contact_count": digest.first_contact_count,
        "contact_median": format_span(digest.first_contact_median),
        "contact_p90": format_span(digest.first_contact_p90),
        "contact_on_time": digest.first_contact_on_time,
        "by_category": " · ".join(
            f"{_(practice.category_label(c))} {digest.by_category.get(c, 0)}" for c in practice.categories
        ),
        "repeat_accounts": [
            {"account": UserText(r.account), "cases": r.cases} for r in digest.repeat_accounts[:REPEAT_LINES]
        ],
        "repeat_more": len(digest.repeat_accounts) - REPEAT_LINES,
        "restricted_repeats": digest.restricted_repeats,
        "repeated_causes": [
            {"label": _(c.label), "accounts": c.accounts, "cases": c.cases} for c in digest.repeated_causes
        ],
        "lookback_days": REPEAT_LOOKBACK.days,
        "satisfaction": _(satisfaction_line(digest.satisfaction)),
        "judged_escalated": digest.judgements[0],
        "judged_declined": digest.judgements[1],
        "voices": digest.voices.count,
        "voice_accounts": ", ".join(f"{escape_mrkdwn(name, 80)} {n}" for name, n in digest.voices.by_account),
        "items_open": digest.action_items.open,
        "items_overdue": [
            {
                "case_key": i.case_key,
                "account": UserText(i.account) if i.account is not None else None,
                "description": UserText(i.description) if i.description is not None else None,
                "owner_id": i.owner_id,
                "due_on": i.due_on.isoformat(),
            }
            for i in digest.action_items.overdue[:REPEAT_LINES]
        ],
        "items_overdue_count": len(digest.action_items.overdue),
    }


def week_digest(
    engine: sa.Engine, end: datetime, *, zone: tzinfo, ack_target: timedelta, practice: Practice
) -> Digest:
    """The figures of the seven days before `end`, from the database alone (no Slack)."""
    start = end - WEEK
    return compute_digest(
        records.digest_cases(engine, start=start, end=end),
        start=start,
        end=end,
        zone=zone,
        ack_target=ack_target,
        open_at_end=records.open_count(engine),
        cause_areas=practice.cause_areas,
        satisfaction=satisfaction_between(engine, start, end),
        action_items=open_action_items(engine, end, zone),
        judgements=judged_between(engine, start, end),
        voices=voices_between(engine, start, end),
    )


def open_action_items(engine: sa.Engine, end: datetime, zone: tzinfo) -> ActionItemsOpen:
    """The RCA action items open now; overdue: due before the week's end (restricted cases unnamed)."""
    items = action_item_records.open_items(engine)
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    overdue = tuple(
        OverdueItem(
            case_key=i.case_key,
            account=None if i.is_private else i.account,
            description=None if i.is_private else i.description,
            owner_id=i.owner_id,
            due_on=i.due_on,
        )
        for i in items
        if i.due_on < last_day
    )
    return ActionItemsOpen(open=len(items), overdue=overdue)


def digest_as_text(message: Message) -> str:
    """A rendered digest as plain lines (a dry run's output): one field a line, "Title: value"."""
    lines: list[str] = []
    for block in message.blocks:
        if isinstance(block.get("text"), dict):
            lines.extend(block["text"]["text"].split("\n"))
        for field in block.get("fields") or []:
            title, _, value = field["text"].partition("\n")
            lines.append(f"{title}: {value}")
        lines.extend(e["text"] for e in block.get("elements") or [] if isinstance(e.get("text"), str))
        lines.append("")
    # Slack's markup and escaping (dates show their fallback) become what a reader sees.
    return decode_slack_text("\n".join(lines).replace("*", "")).strip() + "\n"


# The digest goes after everything else in the work queue; it may take a minute in a busy hour.
DIGEST_PRIORITY = (3,)
POST_TIMEOUT = 300.0


class DigestPoster:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        client: WebClient,
        channel: CaseChannel,
        settings: Settings,
        practice: Practice,
        ack_target: timedelta,
        queue: WorkQueue,
    ) -> None:
        self.engine = engine
        self.practice = practice
        self.client = client
        self.queue = queue
        self.channel = channel
        self.settings = settings
        self.zone = ZoneInfo(settings.digest_timezone)
        self.ack_target = ack_target
        hour, minute = settings.digest_time.split(":")
        self.weekday, self.hour, self.minute = WEEKDAYS.index(settings.digest_day), int(hour), int(minute)
        # The last due moment whose digest is settled (posted, or found posted): catch-up skips it.
        self._settled: datetime | None = None

    def compute(self, end: datetime) -> Digest:
        return week_digest(
            self.engine, end, zone=self.zone, ack_target=self.ack_target, practice=self.practice
        )

    def message(self, digest: Digest) -> Message:
        return render_message("digest.json.j2", d=digest_context(digest, self.practice))

    def post(self, digest: Digest) -> str | None:
        """Post the digest and its chart to the feed channel; returns the message's ts."""
        response = self.channel.post_to_feed(
            self.message(digest), key=f"digest:{digest.days[-1].day:%Y-%m-%d}:{uuid.uuid4().hex}"
        )
        if response is None:
            logger.warning("no ESCALATIONS_FEED_CHANNEL is set: the weekly digest has nowhere to go")
            return None
        self.client.files_upload_v2(
            channel=self.channel.feed,
            content=_chart(digest),
            filename=f"escalations-{digest.days[-1].day:%Y-%m-%d}.png",
            title=_("digest.cases_week_promises_kept_time"),
        )
        return str(response["ts"])

    def last_scheduled(self, now: datetime) -> datetime:
        return latest_digest_moment(
            now, weekday=self.weekday, hour=self.hour, minute=self.minute, zone=self.zone
        )

    def week_ending(self, moment: datetime) -> datetime:
        """A scheduled digest covers the seven whole local days before its day."""
        local = moment.astimezone(self.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(moment.tzinfo)

    def run_scheduled(self, now: datetime | None = None) -> bool:
        """Post the digest of the week that just ended, unless another instance did; True if posted."""
        end = self.week_ending(self.last_scheduled(now or utcnow()))
        first_use = records.first_use(self.engine)
        if first_use is None or first_use > end - WEEK:
            # A fresh install has no week to report: the first digest covers the first full week of use.
            logger.info("no digest yet: the first full week of use ends after %s", end.date())
            return False
        if not records.claim_week(self.engine, end):
            return False
        try:
            ts = self._in_queue(lambda: self.post(self.compute(end)))
        except Exception:
            records.release_week(self.engine, end)
            raise
        records.mark_posted(self.engine, end, ts)
        return True

    def catch_up(self, now: datetime | None = None) -> bool:
        """Post the latest digest if it was missed (the app or its database down), at most a day late."""
        now = now or utcnow()
        due = self.last_scheduled(now)
        if now - due > CATCH_UP_WITHIN or self._settled == due:
            return False
        posted = self.run_scheduled(now)  # claims the week: a no-op if it was posted
        self._settled = due  # only reached when the database answered
        return posted

    def post_now(self, now: datetime | None = None) -> Digest:
        """`digest --now`: the seven days up to now, posted whatever the schedule."""
        digest = self.compute(now or utcnow())
        self._in_queue(lambda: self.post(digest))
        return digest

    def _in_queue(self, post: Callable[[], str | None]) -> str | None:
        """Post through the work queue (paced with all Slack work, after what is more urgent)."""
        posted: list[str | None] = []
        self.queue.run_all(
            [("digest", lambda: posted.append(post()))], priority=DIGEST_PRIORITY, timeout=POST_TIMEOUT
        )
        if not posted:
            raise TimeoutError("the digest was not posted in time")
        return posted[0]


def _chart(digest: Digest) -> bytes:
    # matplotlib costs ~40 MB and ~0.4 s to import: paid once a week when the chart is drawn, not at start-up.
    from assistant.rendering.chart import digest_chart

    return digest_chart(digest)
