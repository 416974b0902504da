"""Workflow Builder steps (issue 24, part 4): custom steps declared in the manifest's `functions`,
so a CS-ops person builds intake from a Zendesk or Salesforce workflow without code.

- **Open an escalation** (`open_escalation`): the intake's rules, the same case as `/escalate`
  (one per step run, however often Slack delivers it); outputs the case key and, once it exists,
  its channel.
- **Post a customer update** (`post_customer_update`): the update flow itself (flows/post_update.yml:
  who may, in which states, the promise's rules), sent to the customer by e-mail or their Slack
  Connect channel.
- **Get an escalation's status** (`get_escalation_status`): status, owner, next promise, channel;
  a private case's details are not given to workflows.

Slack's event is answered at once; the work runs in the background queue. Every run ends: with
its outputs, or with a clear error (`functions.completeError`), never left hanging."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from slack_bolt.context.complete import Complete
from slack_bolt.context.fail import Fail

from assistant.components import Components
from assistant.content.i18n import _
from assistant.domain.communications import Route
from assistant.domain.intake import IntakeForm, validate_intake
from assistant.domain.practice import Category, Severity
from assistant.domain.text import clean_tree
from assistant.jobs import step_runs
from assistant.jobs.work_queue import Later
from assistant.listeners.case_flow import CaseFlows, CaseRef
from assistant.listeners.customer_side import audience_of
from assistant.listeners.intake import owner_tier_error, people_errors
from assistant.models import KEY_PREFIX, Escalation
from assistant.presenters.case_context import case_context, case_promise
from assistant.services.cases import case_numbered, get_case, open_case
from assistant.slack.client import SLACK_ERRORS, error_code
from assistant.slack.people import zone_of

logger = logging.getLogger(__name__)

OPEN_ESCALATION = "open_escalation"
POST_CUSTOMER_UPDATE = "post_customer_update"
GET_STATUS = "get_escalation_status"
# How long "Open an escalation" waits for the case channel to exist before completing without it.
CHANNEL_WAIT_SECONDS = 30.0
# An error Slack shows in the workflow's activity: a sentence, never a stack trace.
MAX_ERROR = 500


class StepProblem(Exception):
    """Why a step run cannot complete: said to the workflow's builder as its error."""


def person_of(value: Any) -> str:
    """The person a `slack#/types/user_context` input carries: Slack fills it in from who ran the
    workflow, so a builder cannot name someone else (a plain user id input could be anyone)."""
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def case_of_key(components: Components, key: Any) -> Escalation:
    text = str(key or "").strip().upper()
    number = text.removeprefix(KEY_PREFIX)
    case = case_numbered(components.engine, int(number)) if number.isdigit() else None
    if case is None:
        raise StepProblem(_("workflow_steps.no_such_case", key=str(key or "")[:40]))
    return case


def problems_sentence(problems: dict[str, str]) -> str:
    return "; ".join(f"{field}: {problem}" for field, problem in problems.items())


def open_escalation(components: Components, execution_id: str, inputs: dict[str, Any]) -> Escalation:
    """A case from the step's inputs, by the intake's rules; the same run delivered twice is one case."""
    practice = components.content.practice
    errors: dict[str, str] = {}
    category = str(inputs.get("category") or "technical").strip().lower()
    severity = str(inputs.get("severity") or "high").strip().lower()
    if category not in practice.categories:
        errors["category"] = _("workflow_steps.one_of", choices=", ".join(practice.categories))
    if severity not in practice.severities:
        errors["severity"] = _("workflow_steps.one_of", choices=", ".join(practice.severities))
    reporter = str(inputs.get("requested_by") or "")
    owner = str(inputs.get("owner") or "") or None
    contacts = [
        c.strip() for c in str(inputs.get("contacts") or "").replace(";", ",").split(",") if c.strip()
    ]
    # The contacts' language and zone: as said, else the team's language and the CSM's zone.
    language = str(inputs.get("contacts_language") or components.settings.default_locale).replace("-", "_")
    zone_name = str(inputs.get("contacts_time_zone") or "") or (
        zone_of(components.people.get(reporter, components.client)) if reporter else None
    )
    form = IntakeForm(
        account=str(inputs.get("account") or ""),
        summary=str(inputs.get("summary") or ""),
        description=str(inputs.get("description") or ""),
        category=Category(category) if "category" not in errors else None,
        severity=Severity(severity) if "severity" not in errors else None,
        owner_id=owner,
        contacts_text="\n".join(contacts),
        contact_locale=language,
        contact_zone=zone_name or "UTC",
    )
    intake, problems = validate_intake(form, practice, components.settings.default_currency)
    for field, wrong in problems.items():
        errors.setdefault(field.value, _(wrong))
    for field, message in people_errors(components, owner, []).items():
        errors.setdefault(field.value, message)
    if intake is not None and "owner" not in errors:
        tier = owner_tier_error(components, owner, intake.severity)
        if tier:
            errors["owner"] = tier
    if not reporter:
        errors["requested_by"] = _("workflow_steps.say_who_asks")
    if errors or intake is None:
        raise StepProblem(problems_sentence(errors))
    opened = open_case(
        components.engine,
        intake=intake,
        practice=practice,
        reporter_id=reporter,
        team_id=components.team_id,
        intake_view_id=f"step:{execution_id}"[:64],
        origin_channel_id=None,
        reply_url=None,
        ack_within=components.ack_window(intake.triggers, intake.severity),
        policy=components.reminder_policy,
    )
    if opened.created:
        components.open_in_slack(opened.case)
        components.wake_for_acknowledgement(opened.case)
    return opened.case


def post_customer_update(components: Components, flows: CaseFlows, inputs: dict[str, Any]) -> Escalation:
    """The update flow run from the step's inputs: the customer hears it by e-mail, else in their
    Slack Connect channel; a case with neither is refused (a workflow cannot say it sent it)."""
    case = case_of_key(components, inputs.get("case_key"))
    actor = person_of(inputs.get("posted_by"))
    if not actor:
        raise StepProblem(_("workflow_steps.say_who_posts"))
    when = inputs.get("next_update_at")
    try:
        promise = datetime.fromtimestamp(float(when), UTC) if when not in (None, "") else None
    except (TypeError, ValueError):
        promise = None
    if promise is None:
        raise StepProblem(_("workflow_steps.say_next_update"))
    audience = audience_of(components, case, actor)
    route = next((r for r in (Route.EMAIL, Route.SLACK_CONNECT) if r in audience.routes), None)
    if route is None:
        raise StepProblem(_("workflow_steps.no_route", key=case.key))
    ref = CaseRef(case_id=case.id or 0, drafted="", locale=audience.locale, zone=audience.tz)
    values = {
        # What changed, for the people following the case: as the workflow says, else its update.
        "internal": str(inputs.get("internal_note") or inputs.get("update") or ""),
        "customer_update": str(inputs.get("update") or ""),
        "next_update": promise,
        "send_by": route.value,
    }
    changed, problems = flows.run_given("post_update", case, actor, values, ref)
    if changed is None:
        raise StepProblem(problems_sentence(problems))
    return changed


def status_outputs(components: Components, inputs: dict[str, Any]) -> dict[str, Any]:
    """A case's status for a workflow. A private case's details are never given: the next step
    could post them anywhere (a channel, a shared one, an e-mail)."""
    case = case_of_key(components, inputs.get("case_key"))
    if case.is_private:
        raise StepProblem(_("workflow_steps.private_case", key=case.key))
    context = case_context(case)
    promise = case_promise(case)
    outputs: dict[str, Any] = {
        "case_key": case.key,
        "status": context["status"],
        "owner": case.owner_id,
        "account": case.account_name,
        "summary": case.summary,
        "next_promise": f"{_(promise[0])} {promise[1]:%Y-%m-%d %H:%M} UTC" if promise else "",
    }
    if promise:
        outputs["next_promise_at"] = int(promise[1].timestamp())
    if case.channel_id:
        outputs["channel"] = case.channel_id
    return outputs


class StepRun:
    """One run of a step, in the background: its work, then exactly one completion."""

    def __init__(self, components: Components, complete: Complete, fail: Fail, execution_id: str) -> None:
        self.components, self.complete, self.fail, self.execution_id = (
            components,
            complete,
            fail,
            execution_id,
        )

    def finish(self, work: Callable[[], dict[str, Any] | None]) -> None:
        """Run `work` (None: it completes itself later); a problem, or a bug, fails the step."""
        try:
            outputs = work()
        except StepProblem as exc:
            self._fail(str(exc))
            return
        except Exception:
            logger.exception("workflow step %s failed", self.execution_id)
            self._fail(_("workflow_steps.went_wrong"))
            return
        if outputs is not None:
            self._complete(outputs)

    def _complete(self, outputs: dict[str, Any]) -> None:
        step_runs.finish(self.components.engine, self.execution_id, outputs=outputs, error=None)
        try:
            self.complete(outputs=outputs)
        except SLACK_ERRORS as exc:  # the run ended on Slack's side (time-out, cancelled)
            logger.warning("workflow step %s: not completed (%s)", self.execution_id, error_code(exc))

    def _fail(self, error: str) -> None:
        said = error[:MAX_ERROR] or _("workflow_steps.went_wrong")
        step_runs.finish(self.components.engine, self.execution_id, outputs=None, error=said)
        try:
            self.fail(error=said)
        except SLACK_ERRORS as exc:
            logger.warning("workflow step %s: not failed (%s)", self.execution_id, error_code(exc))


def complete_with_channel(run: StepRun, case_id: int, started: float) -> Later | None:
    """The opened case's outputs once its channel exists (or, after CHANNEL_WAIT_SECONDS, without)."""
    case = get_case(run.components.engine, case_id)
    waited = time.monotonic() - started
    if not case.channel_id and waited < CHANNEL_WAIT_SECONDS:
        return Later(1.0)
    run.finish(lambda: {"case_key": case.key, **({"channel": case.channel_id} if case.channel_id else {})})
    return None


def update_outputs(components: Components, flows: CaseFlows, inputs: dict[str, Any]) -> dict[str, Any]:
    case = post_customer_update(components, flows, inputs)
    due = case.next_update_due_at
    return {"case_key": case.key, **({"next_update_at": int(due.timestamp())} if due else {})}


def register(app: Any, components: Components, flows: CaseFlows) -> None:
    def step(name: str, work: Callable[[StepRun, dict[str, Any]], Later | None]) -> None:
        """A custom step: each run claimed once (a run Slack delivers again is skipped), its inputs
        cleaned as a form's text, its work in the background queue."""

        @app.function(name)
        def run_step(inputs: dict[str, Any], complete: Complete, fail: Fail, body: dict[str, Any]) -> None:
            execution_id = str(body["event"]["function_execution_id"])
            if not step_runs.claim(components.engine, execution_id, name):
                logger.info("workflow step %s: delivered again, done once already", execution_id)
                return
            cleaned = cast(dict[str, Any], clean_tree(dict(inputs or {})))  # no NUL, no invisible-only
            run = StepRun(components, complete, fail, execution_id)
            components.work.submit(f"step:{name}:{execution_id}", partial(work, run, cleaned))

        run_step.__name__ = f"run_{name}"  # Bolt names the listener in its logs

    def open_then_wait_for_channel(run: StepRun, inputs: dict[str, Any]) -> Later | None:
        opened: list[Escalation] = []

        def work() -> None:  # completes once the channel exists (complete_with_channel)
            opened.append(open_escalation(components, run.execution_id, inputs))

        run.finish(work)
        if opened:
            waiting = partial(complete_with_channel, run, opened[0].id or 0, time.monotonic())
            components.work.submit(f"step:channel:{run.execution_id}", waiting)
        return None

    step(OPEN_ESCALATION, open_then_wait_for_channel)
    step(
        POST_CUSTOMER_UPDATE,
        lambda run, inputs: run.finish(partial(update_outputs, components, flows, inputs)),
    )
    step(GET_STATUS, lambda run, inputs: run.finish(partial(status_outputs, components, inputs)))
