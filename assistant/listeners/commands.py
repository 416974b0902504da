"""`/escalate`: open an escalation, or run a case verb inside a case channel, or get help."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from assistant.components import Components
from assistant.content.flow_files import FlowBook
from assistant.content.i18n import N_, _
from assistant.domain.commands import Ask, CommandText, read_command
from assistant.domain.status import Status
from assistant.domain.visibility import can_see_details
from assistant.ids import COMMAND
from assistant.listeners.case_flow import CaseFlows, in_their_language, say
from assistant.listeners.follow import set_following
from assistant.listeners.intake import open_intake as open_intake_modal
from assistant.listeners.voice import open_voice
from assistant.models import Escalation
from assistant.presenters.case_context import case_context, guidance_words
from assistant.rendering.render import Message, render_message
from assistant.services import lifecycle
from assistant.services.accounts import account_facts
from assistant.services.cases import case_numbered, open_cases
from assistant.services.lifecycle import case_in_channel
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)
# How help names who may run a flow (flows/<flow>.yml `who`).
WHO_WORDS = {
    "owner": N_("commands.owner"),
    "reporter": N_("commands.reporter"),
    "manager": N_("commands.escalation_manager"),
    "admin": N_("commands.admin"),
    "involved": N_("commands.anyone_case"),
    "participant": N_("commands.anyone"),
}


def help_rows(book: FlowBook) -> list[dict[str, str]]:
    """The verbs for `/escalate help`, from the flows' files: the word, what it does, who may."""
    return [
        {"word": row["word"], "does": _(row["does"]), "who": ", ".join(_(WHO_WORDS[w]) for w in row["who"])}
        for row in book.help_rows()
    ]


LIST_ROWS = 20


def case_view(case: Escalation, user_id: str) -> dict[str, Any]:
    """A case as the list and the status show it to `user_id` (details only if they may see them)."""
    context = case_context(case)
    context["visible"] = can_see_details(
        is_private=case.is_private, user_id=user_id, participants=case.participants
    )
    context["followable"] = context["visible"] and case.status != Status.CLOSED and user_id != case.owner_id
    return context


def show_help(components: Components, book: FlowBook, respond: Respond) -> None:
    """`/escalate help`: the practice's words and every verb the flows' files declare."""
    message = render_message(
        "help.json.j2",
        command=COMMAND,
        guidance=guidance_words(components.content.practice),
        verbs=help_rows(book),
    )
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral")


def show_list(
    components: Components, respond: Respond, user_id: str, *, everyone: bool, tag: str = ""
) -> None:
    """`/escalate list` (the person's open cases) or `list all` (every open case, managers only);
    `tag:<id>`: only those carrying that internal tag."""
    tags = components.content.practice.tags
    if tag and tag not in tags:
        known = ", ".join(f"`{t}`" for t in tags) or "—"
        say(respond, _("commands.no_such_tag", tag=tag, tags=known))
        return
    if everyone and user_id not in components.settings.escalation_manager_ids:
        say(
            respond,
            _(
                "commands.command_list_all_escalation_managers",
                command=COMMAND,
            ),
        )
        return
    # One row more than shown: whether to say there are more.
    cases = open_cases(
        components.engine, involving=None if everyone else user_id, limit=LIST_ROWS + 1, tag=tag or None
    )
    title = _("commands.all_open_escalations") if everyone else _("commands.your_open_escalations")
    if tag:
        title = _("commands.title_tagged", title=title, tag=_(tags[tag]))
    message = case_list_message(title, cases, user_id)
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral")


def case_list_message(title: str, cases: list[Escalation], user_id: str) -> Message:
    """A list of cases as `user_id` may see them; `cases` holds one more than shown, if there are
    more (the list says so)."""
    return render_message(
        "case_list.json.j2",
        title=title,
        command=COMMAND,
        more=len(cases) > LIST_ROWS,
        cases=[case_view(c, user_id) for c in cases[:LIST_ROWS]],
    )


def case_status_message(components: Components, case: Escalation, user_id: str) -> Message:
    """A case's state, its last update and its account, as `user_id` may see them."""
    updates = lifecycle.updates_of(components.engine, case.id or 0)
    return render_message(
        "case_status.json.j2",
        case=case_view(case, user_id),
        last_update=updates[-1].at if updates else None,
        account=account_facts(components.engine, case),
    )


def find_case(components: Components, respond: Respond, asked: CommandText, usage: str) -> Escalation | None:
    """The case the text names, or None once the person is told how to name one."""
    case = None
    if asked.case_number is not None:
        case = case_numbered(components.engine, asked.case_number)
    elif asked.channel_id:
        case = case_in_channel(components.engine, asked.channel_id)
    if case is None:
        found = ""
        if asked.case_number is not None:
            found = _("commands.i_found_no_case_esc_number", number=asked.case_number) + " "
        elif asked.channel_id:
            found = _("commands.not_case_channel", channel=asked.channel_id) + " "
        say(respond, f"{found}{usage}")
    return case


def show_status(components: Components, respond: Respond, user_id: str, asked: CommandText) -> None:
    """`/escalate status ESC-42`: the case's state, its last update and its account."""
    case = find_case(
        components,
        respond,
        asked,
        _("commands.use_command_status_esc_42_command", command=COMMAND),
    )
    if case is None:
        return
    message = case_status_message(components, case, user_id)
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral")


def follow_by_key(components: Components, respond: Respond, user_id: str, asked: CommandText) -> None:
    """`/escalate follow ESC-42` (or `unfollow`): the case named by its key or its channel."""
    case = find_case(
        components,
        respond,
        asked,
        _(
            "commands.use_command_verb_esc_42_command_list",
            command=COMMAND,
            verb=asked.word,
        ),
    )
    if case is not None:
        say(respond, set_following(components, case, user_id, on=asked.ask == Ask.FOLLOW).text)


def run_verb(
    flows: CaseFlows, client: WebClient, respond: Respond, command: dict[str, Any], asked: CommandText
) -> None:
    """`/escalate <verb> [ESC-42]`: the flow on the case named, else on the channel's own case."""
    components = flows.components
    if asked.case_number is None and not asked.channel_id:
        case = case_in_channel(components.engine, command.get("channel_id") or "")
        if case is None:
            say(
                respond,
                _(
                    "commands.command_verb_works_inside_case",
                    command=COMMAND,
                    verb=asked.word,
                ),
            )
            return
    else:
        case = find_case(
            components, respond, asked, _("commands.command_list_shows_your_cases", command=COMMAND)
        )
    if case is None or case.id is None:
        return
    # CaseFlows.start checks who may run it on the case now, as every other way in does.
    flows.start(
        client=client,
        respond=respond,
        case_id=case.id,
        flow=flows.book.named(asked.word) or asked.word,
        actor_id=command["user_id"],
        trigger_id=command["trigger_id"],
    )


def did_you_mean(respond: Respond, asked: CommandText) -> None:
    """A word close to a verb: suggest the verb rather than open an escalation titled with a typo."""
    key = f" ESC-{asked.case_number}" if asked.case_number is not None else ""
    say(
        respond,
        _(
            "commands.did_you_mean_suggestion_command_help",
            suggestion=" ".join((COMMAND, asked.word)) + key,
            command=COMMAND,
        ),
    )


def open_intake(components: Components, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
    """`/escalate [summary]`: the intake modal, or a sentence if Slack would not open it."""
    try:
        open_intake_modal(client, command, components.settings.ack_within_minutes, components.content)
    except SLACK_ERRORS as exc:
        # Slack refused the form (too busy, or the trigger ran out): the CSM must not be left guessing.
        logger.warning("the intake form could not be opened (%s)", error_code(exc))
        say(
            respond,
            _(
                "commands.slack_busy_did_not_open_escalation",
                command=COMMAND,
            ),
        )


def open_voice_modal(
    components: Components, client: WebClient, respond: Respond, command: dict[str, Any], said: str
) -> None:
    """`/escalate voc [what they said]`: the voice of the customer's form (no case is opened)."""
    try:
        open_voice(client, command, said)
    except SLACK_ERRORS as exc:
        logger.warning("the voice-of-the-customer form could not be opened (%s)", error_code(exc))
        say(respond, _("voice.slack_busy_did_not_open_form", command=COMMAND))


def answer_command(flows: CaseFlows, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
    """Route `/escalate [text]` (already acknowledged): help, a list, a case verb, or the intake modal."""
    components = flows.components
    asked = read_command(command.get("text") or "", flows.book.words())
    user_id = command["user_id"]
    if asked.ask == Ask.HELP:
        show_help(components, flows.book, respond)
    elif asked.ask == Ask.LIST:
        show_list(components, respond, user_id, everyone=asked.everyone, tag=asked.text)
    elif asked.ask in {Ask.FOLLOW, Ask.UNFOLLOW}:
        follow_by_key(components, respond, user_id, asked)
    elif asked.ask == Ask.STATUS:
        show_status(components, respond, user_id, asked)
    elif asked.ask == Ask.VOICE:
        open_voice_modal(components, client, respond, command, asked.text)
    elif asked.ask == Ask.DID_YOU_MEAN:
        did_you_mean(respond, asked)
    elif asked.ask == Ask.VERB:
        run_verb(flows, client, respond, command, asked)
    else:
        open_intake(components, client, respond, command)


def register(app: App, flows: CaseFlows) -> None:
    @app.command(COMMAND)
    @in_their_language(flows.components.people)
    def handle_escalate_command(
        ack: Ack, body: dict[str, Any], command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Route `/escalate [text]`: help, a case verb, or the intake modal (in the person's language)."""
        ack()
        answer_command(flows, client, respond, command)
