"""Opening a case in Slack: channel, members, topic, card, DMs, feed.

Every step is recorded done or not done (services.provisioning), so a slow or
failing Slack, or a crash, never loses a case: what is not done is retried by
the repair sweep, and a half-done step is repaired rather than repeated (a
channel we created but never recorded is adopted; a card we posted but never
recorded is found again by its message metadata).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.content.i18n import _
from assistant.domain.channel_names import alternative_name, channel_name
from assistant.domain.intake import LINK_LABELS, LinkKind, person_problem
from assistant.domain.lifecycle import ack_window_minutes
from assistant.domain.practice import Practice
from assistant.domain.provisioning import CRITICAL, NEEDS, Step, ready_steps, step_priority
from assistant.domain.triggers import groups_to_invite, trigger_effects
from assistant.ids import MetadataEvent
from assistant.jobs.case_canvas import CaseCanvas
from assistant.jobs.supervision import Fault, Supervisor
from assistant.jobs.work_queue import Later, WorkQueue
from assistant.models import Escalation, ProvisioningStep, utcnow
from assistant.presenters.case_context import case_context, format_duration
from assistant.rendering.escape import UserText, plain
from assistant.rendering.render import render_message
from assistant.services import accounts, notices
from assistant.services import cases as case_service
from assistant.services import provisioning as records
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import (
    SLACK_ERRORS,
    TRANSIENT_ERRORS,
    error_code,
    is_ambiguous,
    make_webhook_client,
)
from assistant.slack.pacing import POST_MESSAGE
from assistant.slack.people import People, UserGroups

logger = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 20
RELEASE_RETRY_SECONDS = 2.0
# Tell the CSM their case's place in the queue when its channel is this far off.
QUEUE_NOTICE_SECONDS = 10.0
# How long the owner's DM waits for the case channel, to link to it, before it goes without.
OWNER_DM_WAIT_SECONDS = 15.0
# The Slack method each step starts with: the work queue paces the step by it.
STEP_METHODS: dict[Step, str | None] = {
    Step.CHANNEL: "conversations.create",
    Step.INVITE: "conversations.invite",
    Step.TOPIC: "conversations.setTopic",
    Step.PURPOSE: "conversations.setPurpose",
    Step.CARD: POST_MESSAGE,
    Step.PIN: "pins.add",
    Step.BOOKMARKS: "bookmarks.add",
    Step.OWNER_DM: POST_MESSAGE,
    Step.FEED: POST_MESSAGE,
    Step.REPORTER_REPLY: None,  # a response_url first, which Slack does not count
    Step.MANAGERS: POST_MESSAGE,
    Step.ACCOUNT_CSMS: POST_MESSAGE,
    Step.CANVAS: "conversations.canvases.create",
}


@dataclass
class StepResult:
    case_fields: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)


# usergroups.list errors that mean this workspace cannot give us its groups (retrying won't help).
PROVISIONING_LOOP = "provisioning"


def step_item(case_id: int, step: Step) -> str:
    """How the supervisor names one step of one case."""
    return f"step:{case_id}:{step.value}"


GROUPS_UNAVAILABLE = frozenset({"plan_upgrade_required", "missing_scope", "not_allowed_token_type"})


class Provisioner:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        client: WebClient,
        people: People,
        settings: Settings,
        practice: Practice,
        bot_user_id: str,
        queue: WorkQueue,
    ) -> None:
        self.engine = engine
        self.client = client
        self.people = people
        self.settings = settings
        self.practice = practice
        self.bot_user_id = bot_user_id
        self.queue = queue
        # The app's one supervisor (components.py sets it): a step that raises is recorded on itself.
        self.supervisor = Supervisor(engine=engine)
        self.groups = UserGroups(client)
        self.lease = timedelta(seconds=settings.provisioning_lease_seconds)
        self.channel = CaseChannel(
            client=client,
            people=people,
            engine=engine,
            feed=settings.escalations_feed_channel,
            manager_ids=tuple(settings.escalation_manager_ids),
        )
        self.canvas = CaseCanvas(
            client=client,
            engine=engine,
            queue=queue,
            tell_unavailable=lambda error: self.channel.tell_managers_once(
                notices.CANVAS_UNAVAILABLE, error, "canvas_unavailable.json.j2"
            ),
        )
        self.channel.on_refresh = self.canvas.schedule
        # Told of each case once it is usable in Slack (the Home tabs show it then).
        self.on_opened: Callable[[Escalation], None] = lambda case: None
        self._steps: dict[Step, Callable[[Escalation, ProvisioningStep], StepResult]] = {
            Step.CHANNEL: self._create_channel,
            Step.INVITE: self._invite,
            Step.TOPIC: self._set_topic,
            Step.PURPOSE: self._set_purpose,
            Step.CARD: self._post_card,
            Step.PIN: self._pin_card,
            Step.BOOKMARKS: self._bookmark_links,
            Step.OWNER_DM: self._notify_owner,
            Step.FEED: self._announce_in_feed,
            Step.REPORTER_REPLY: self._answer_reporter,
            Step.MANAGERS: self._tell_managers,
            Step.ACCOUNT_CSMS: self._tell_account_csms,
            Step.CANVAS: lambda case, row: StepResult(event=self.canvas.create(case)),
        }

    # -- entry points ---------------------------------------------------------

    def open_new(self, case: Escalation) -> None:
        """Queue a case just stored (all its steps are pending): its channel, and its place in line."""
        assert case.id is not None
        self._queue(case.id, Step.CHANNEL, case)
        # The owner hears once the channel exists, to find it in the DM, or after a while without it.
        self._queue(case.id, Step.OWNER_DM, case, delay=OWNER_DM_WAIT_SECONDS)
        self._queue_place_notice(case.id)

    def _queue_place_notice(self, case_id: int) -> None:
        self.queue.submit(
            f"provision:{case_id}:place",
            partial(self._tell_reporter_of_place, case_id),
            priority=step_priority(case_id, Step.CHANNEL),
        )

    def provision(self, case_id: int) -> None:
        """Queue every step of the case that can run now."""
        self._queue_ready(case_id, set(records.pending_steps(self.engine, case_id)))

    def repair(self) -> list[int]:
        """Queue the steps of half-provisioned cases (after a crash, an outage, a refused step)."""
        interval = timedelta(seconds=self.settings.repair_interval_seconds)
        # An account listed while its step was finishing: the step is owed once more.
        owed = accounts.cases_with_untold_csms(self.engine, older_than=utcnow() - 2 * interval)
        records.rearm_finished(self.engine, owed, Step.ACCOUNT_CSMS)
        repaired = []
        to_repair = records.steps_to_repair(self.engine, retry_interval=interval)
        # A step that raised unexpectedly waits out its back-off; a parked one waits for a person.
        held = self.supervisor.held(
            PROVISIONING_LOOP, [step_item(case_id, s) for case_id, (_, due) in to_repair.items() for s in due]
        )
        self.supervisor.tell_untold()
        for case_id, (pending, due) in to_repair.items():
            due = {s for s in due if step_item(case_id, s) not in held}
            if any(step in due for step in ready_steps(pending)):
                logger.info("repairing provisioning of case %s", case_id)
                self._queue_ready(case_id, pending)
                repaired.append(case_id)
        return repaired

    def _queue_ready(
        self, case_id: int, pending: set[Step], only: set[Step] | None = None, sooner: bool = False
    ) -> None:
        steps = [s for s in ready_steps(pending) if only is None or s in only]
        if steps:
            case = case_service.get_case(self.engine, case_id)
            for step in steps:
                self._queue(case_id, step, case, sooner=sooner)

    def _queue(
        self, case_id: int, step: Step, case: Escalation, delay: float = 0.0, sooner: bool = False
    ) -> None:
        method = STEP_METHODS[step]
        target = None
        if method == POST_MESSAGE:
            # chat.postMessage is limited per channel: the queue needs to know which.
            # (The managers' DMs are several channels: paced by the method alone.)
            target = {
                Step.OWNER_DM: case.owner_id,
                Step.FEED: self.channel.feed,
                Step.MANAGERS: None,
                Step.ACCOUNT_CSMS: None,
            }.get(step, case.channel_id)
        self.queue.submit(
            f"provision:{case_id}:{step.value}",
            partial(self._run_step, case_id, step),
            priority=step_priority(case_id, step),
            delay=delay,
            sooner=sooner,
            method=method,
            channel=target,
        )

    # -- one step -------------------------------------------------------------

    def _run_step(self, case_id: int, step: Step) -> Later | None:
        """Run a step under supervision: one that raises unexpectedly is recorded on the step and
        backed off (parked after a few faults), and the queue goes on with the other cases."""
        outcome: list[Later | None] = [None]
        item = step_item(case_id, step)
        if self.supervisor.may_hold(PROVISIONING_LOOP) and self.supervisor.held(PROVISIONING_LOOP, [item]):
            return None  # waiting out its back-off, or parked: the repair sweep brings it back

        def run() -> None:
            outcome[0] = self._run_step_now(case_id, step)

        self.supervisor.handle(
            PROVISIONING_LOOP,
            item,
            run,
            case_id=case_id,
            on_fault=partial(self._step_faulted, case_id, step),
        )
        return outcome[0]

    def _step_faulted(self, case_id: int, step: Step, fault: Fault) -> None:
        records.mark_failed(self.engine, case_id, step, fault.error)
        self._release(case_id, step)

    def _run_step_now(self, case_id: int, step: Step) -> Later | None:
        """Run a step if nobody else is; queue what it unblocks. A rate-limited step is run again."""
        try:
            row = records.claim_step(self.engine, case_id, step, self.lease)
            if row is None:
                return None  # done already, or another worker has it
            outcome: str | None = "raised"
            try:
                outcome = self._attempt(case_service.get_case(self.engine, case_id), step, row)
            finally:
                if outcome is not None:  # a step done was given back with its record
                    self._release(case_id, step)
            if outcome == "http_429":
                if step == Step.CHANNEL:  # Slack told us to wait: the CSM hears where the case stands
                    self._queue_place_notice(case_id)
                return Later(1.0)  # the pacer holds the method for Slack's Retry-After
            if outcome is None:
                self._after(case_id, step)
            elif step == Step.CHANNEL and row.attempts == 1:
                self._tell_reporter_of_delay(case_service.get_case(self.engine, case_id), outcome)
        except sa.exc.SQLAlchemyError as exc:
            logger.warning(
                "case %s: provisioning paused (%s); the repair sweep resumes it", case_id, type(exc).__name__
            )
        return None

    def _after(self, case_id: int, step: Step) -> None:
        """Queue what a finished step unblocks; tell the Home tabs once the case is usable."""
        pending = set(records.pending_steps(self.engine, case_id))
        unblocked = {s for s in pending if NEEDS[s] == step}
        if step == Step.CHANNEL and Step.OWNER_DM in pending:
            unblocked.add(Step.OWNER_DM)  # it was waiting for the channel, to link to it: now
        if unblocked:
            self._queue_ready(case_id, pending, only=unblocked, sooner=True)
        if step in CRITICAL and not pending.intersection(CRITICAL):
            self.on_opened(case_service.get_case(self.engine, case_id))

    def _release(self, case_id: int, step: Step) -> None:
        """Give the step back; if the database is down, keep trying in the background until it answers,
        so the repair sweep resumes the case within its interval of the database coming back."""
        try:
            records.release_step(self.engine, case_id, step)
        except sa.exc.SQLAlchemyError:
            threading.Thread(target=self._release_later, args=(case_id, step), daemon=True).start()

    def _release_later(self, case_id: int, step: Step) -> None:
        deadline = time.monotonic() + self.lease.total_seconds()
        while time.monotonic() < deadline:
            time.sleep(RELEASE_RETRY_SECONDS)
            try:
                records.release_step(self.engine, case_id, step)
                return
            except sa.exc.SQLAlchemyError:
                continue  # the lease runs out by itself at the deadline

    def _attempt(self, case: Escalation, step: Step, row: ProvisioningStep) -> str | None:
        """Run a step and record how it went: None if done, else the error (a 429 is not recorded)."""
        assert case.id is not None
        try:
            result = self._steps[step](case, row)
        except SLACK_ERRORS as exc:
            code = error_code(exc)
            if code != "http_429":
                logger.warning("case %s: step %s failed (%s); it will be retried", case.key, step, code)
                records.mark_failed(self.engine, case.id, step, code)
            return code
        records.mark_done(self.engine, case.id, step, event=result.event, **result.case_fields)
        return None

    # -- helpers --------------------------------------------------------------

    def _find_own_channel(self, name: str) -> dict[str, Any] | None:
        cursor = None
        while True:
            page = self.client.conversations_list(
                types="public_channel,private_channel",
                limit=1000,
                cursor=cursor,
                exclude_archived=False,
            )
            for channel in page["channels"]:
                if channel["name"] == name:
                    return channel if channel.get("creator") == self.bot_user_id else None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    # -- the steps ------------------------------------------------------------

    def _create_channel(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        assert case.id is not None
        base = channel_name(
            self.settings.channel_name_pattern,
            number=case.id,
            account=case.account_name,
            summary=case.summary,
        )
        # A name we asked for before, without hearing back, may have been created.
        maybe_ours = case.requested_channel_name if row.attempts > 1 else None
        name = case.requested_channel_name or base
        taken: list[str] = []
        for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
            records.remember_channel_name(self.engine, case.id, name)
            try:
                channel = self.client.conversations_create(name=name, is_private=case.is_private)["channel"]
                return StepResult(
                    {"channel_id": channel["id"], "channel_name": channel["name"]},
                    {"name": channel["name"], "private": case.is_private, "names_taken": taken},
                )
            except SLACK_ERRORS as exc:
                if is_ambiguous(exc):
                    # Slack may have created it before the answer was lost: adopt it, never make a second.
                    adopted = self._adopt(case, name)
                    if adopted is not None:
                        return adopted
                    raise
                if not isinstance(exc, SlackApiError) or exc.response.get("error") != "name_taken":
                    raise
            if name == maybe_ours:
                adopted = self._adopt(case, name)
                if adopted is not None:
                    return adopted
            taken.append(name)
            name = (
                alternative_name(base, attempt + 1)
                if attempt < MAX_NAME_ATTEMPTS - 1
                else (alternative_name(base, 0).removesuffix("-0") + "-" + secrets.token_hex(3))
            )
        raise SlackApiError("every channel name was taken", {"ok": False, "error": "name_taken"})

    def _adopt(self, case: Escalation, name: str) -> StepResult | None:
        """The channel we asked for under `name`, if Slack made it and no case has it yet."""
        found = self._find_own_channel(name)
        if found and records.channel_owner(self.engine, found["id"]) is None:
            return StepResult(
                {"channel_id": found["id"], "channel_name": found["name"]},
                {"name": found["name"], "private": case.is_private, "adopted": True},
            )
        return None

    def _invite(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        users = [u for u in case.participants if u != self.bot_user_id]
        effects = trigger_effects(self.practice, case.triggers, case.severity)
        handles = groups_to_invite(self.practice, case.category, effects)
        groups: dict[str, list[str] | None] = {}
        groups_unavailable = None
        try:
            groups = {handle: self.groups.members(handle) for handle in handles}
        except SlackApiError as exc:
            # A workspace without user groups (a free plan) or without the scope: no retry helps.
            if exc.response.get("error") not in GROUPS_UNAVAILABLE:
                raise
            groups_unavailable = exc.response.get("error")
        for members in groups.values():
            users += [u for u in members or [] if u not in users and u != self.bot_user_id]
        try:
            response = self.client.conversations_invite(
                channel=self.channel.channel_id(case), users=",".join(users), force=True
            )
            problems = response.get("errors") or []
        except SlackApiError as exc:
            # Per-person refusals (already in, deactivated...) will not change on retry.
            problems = exc.response.get("errors") or []
            if not problems and exc.response.get("error") != "already_in_channel":
                raise
        not_invited = {p["user"]: p["error"] for p in problems if p.get("error") != "already_in_channel"}
        event: dict[str, Any] = {"users": users, "not_invited": not_invited}
        if handles:
            # A handle the workspace does not have is recorded, not retried: it will not appear.
            event["groups"] = groups
            if groups_unavailable:
                event["groups_unavailable"] = groups_unavailable
        return StepResult(event=event)

    def _set_topic(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        return StepResult(event={"topic": self.channel.set_topic(case)})

    def _set_purpose(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        text = plain(f"{case.key}: {case.summary}", 250)
        self.channel.in_channel(
            case,
            lambda: self.client.conversations_setPurpose(channel=self.channel.channel_id(case), purpose=text),
        )
        return StepResult()

    def _post_card(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        posted = self.channel.post_in_case(
            case, self.channel.card(case), key=f"case:{case.id}:card", event_type=MetadataEvent.CASE_CARD
        )
        if posted is None:
            raise SlackApiError("the card could not be posted", {"ok": False, "error": "card_not_posted"})
        return StepResult({"card_ts": posted.ts}, {"ts": posted.ts})

    def _pin_card(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        try:
            self.client.pins_add(channel=self.channel.channel_id(case), timestamp=case.card_ts or "")
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise
        return StepResult()

    def _bookmark_links(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        """Bookmark the first link (the ticket, usually); every link is on the pinned card.

        One bookmarks.add per case: it is Tier 2 (20 a minute), and a bookmark per link
        would make bookmarks, not channels, what limits opening cases in an outage.
        """
        if not case.links:
            return StepResult(event={"count": 0, "added": 0})
        channel_id = self.channel.channel_id(case)
        kind, url = case.links[0]
        # bookmarks.add cannot be repeated safely: after an unclear failure, look first.
        if row.attempts > 1 and any(
            b.get("link") == url
            for b in self.client.bookmarks_list(channel_id=channel_id).get("bookmarks") or []
        ):
            return StepResult(event={"count": len(case.links), "added": 0})
        self.client.bookmarks_add(
            channel_id=channel_id, title=_(LINK_LABELS[LinkKind(kind)]), type="link", link=url
        )
        return StepResult(event={"count": len(case.links), "added": 1})

    def _notify_owner(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        # Checked again here: at intake Slack may have been too slow to answer in time.
        facts = self.people.get(case.owner_id, self.client).facts
        problem = person_problem(facts, "owner")
        if problem:
            with self.channel.language_of(case.reporter_id):  # the problem too, in the CSM's words
                problem_told = render_message(
                    "owner_unusable.json.j2", case=case_context(case), problem=_(problem)
                )
            self.channel.post_once(
                f"case:{case.id}:owner_unusable", case.reporter_id, problem_told, case_id=case.id
            )
            return StepResult(event={"owner_id": case.owner_id, "owner_unusable": _(problem)})
        # A DM: in the owner's language (case_context's words included).
        with self.channel.language_of(case.owner_id):
            message = render_message(
                "owner_request.json.j2",
                case=case_context(case),
                ack_within=format_duration(ack_window_minutes(case.created_at, case.ack_due_at)),
            )
        posted = self.channel.post_once(f"case:{case.id}:owner_dm", case.owner_id, message, case_id=case.id)
        return StepResult(event={"owner_id": case.owner_id, "given_up": posted is None})

    def _announce_in_feed(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        response = self.channel.post_to_feed(
            render_message("feed_announcement.json.j2", case=case_context(case)),
            key=f"case:{case.id}:feed",
            case_id=case.id,
        )
        if response is None:
            return StepResult(event={"skipped": "no usable ESCALATIONS_FEED_CHANNEL"})
        return StepResult(event={"channel": self.channel.feed, "ts": response["ts"]})

    def _tell_managers(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        """A trigger that calls for the escalation managers at once: each gets a DM, once."""
        effects = trigger_effects(self.practice, case.triggers, case.severity)
        told = []
        for manager in self.settings.escalation_manager_ids:
            with self.channel.language_of(manager):
                notes = [_(note) for note in effects.notes]
                message = render_message("managers_told.json.j2", case=case_context(case), notes=notes)
            if self.channel.post_once(
                f"case:{case.id}:managers:{manager}", manager, message, case_id=case.id
            ):
                told.append(manager)
        return StepResult(event={"managers": told})

    def _tell_account_csms(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        """Each other affected account's CSM hears that the case hits their account: once per
        account (an account added later is told then); the CSM who opened it knows already."""
        told = []
        for row_id, account in accounts.untold_affected(self.engine, case.id or 0):
            csm = account.csm_id
            if csm:  # listed as owed a DM (services.cases.csm_to_tell)
                with self.channel.language_of(csm):
                    message = render_message(
                        "account_csm_told.json.j2", case=case_context(case), account=UserText(account.name)
                    )
                # A failure raises (the step is retried); a refusal for good (a deactivated CSM)
                # leaves nobody to tell.
                if self.channel.post_once(
                    f"case:{case.id}:account_csm:{account.id}", csm, message, case_id=case.id
                ):
                    told.append(csm)
            accounts.mark_csm_told(self.engine, row_id)
        return StepResult(event={"csms": told})

    def _answer_reporter(self, case: Escalation, row: ProvisioningStep) -> StepResult:
        with self.channel.language_of(case.reporter_id):
            message = render_message("reporter_confirmation.json.j2", case=case_context(case))
        if case.reply_url and row.attempts == 1:
            try:
                response = make_webhook_client(case.reply_url, self.settings).send(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
                if response.status_code == 200:
                    return StepResult(event={"via": "response_url"})
                logger.info(
                    "case %s: response_url answered %s; replying by DM", case.key, response.status_code
                )
            except TRANSIENT_ERRORS as exc:
                # It may have arrived; a DM is a second, different place, never the same message twice.
                logger.info("case %s: response_url failed (%s); replying by DM", case.key, error_code(exc))
        self.channel.post_once(f"case:{case.id}:reporter_reply", case.reporter_id, message, case_id=case.id)
        return StepResult(event={"via": "dm"})

    def _tell_reporter_of_delay(self, case: Escalation, error: str) -> None:
        try:
            with self.channel.language_of(case.reporter_id):
                delayed = render_message("provisioning_delayed.json.j2", case=case_context(case), error=error)
            self.channel.post_once(f"case:{case.id}:delay_notice", case.reporter_id, delayed, case_id=case.id)
        except SLACK_ERRORS as exc:
            logger.warning(
                "case %s: could not tell the reporter of the delay (%s)", case.key, error_code(exc)
            )

    def _tell_reporter_of_place(self, case_id: int) -> None:
        """When Slack's limits put the case behind others, its CSM hears at once it is saved, and where."""
        ahead = records.cases_ahead(self.engine, case_id)
        wait = self.queue.pacer.seconds_for(STEP_METHODS[Step.CHANNEL] or "", ahead + 1)
        if wait < QUEUE_NOTICE_SECONDS:
            return
        case = case_service.get_case(self.engine, case_id)
        with self.channel.language_of(case.reporter_id):
            message = render_message(
                "provisioning_queued.json.j2",
                case=case_context(case),
                ahead=ahead,
                wait=format_duration(max(1, round(wait / 60))),
            )
        try:
            self.channel.post_once(f"case:{case_id}:queued", case.reporter_id, message, case_id=case_id)
        except SLACK_ERRORS as exc:
            logger.warning("case %s: could not tell the reporter its place (%s)", case.key, error_code(exc))
