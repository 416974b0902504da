"""One module per guided flow. An owner flow's module declares its opener (`open_flow`) and its
submission (`SPEC`), registered here under its name (`FLOW`); a module's `register` wires only
its other listeners."""

from typing import Protocol

from slack_bolt import App

from assistant.components import Components
from assistant.listeners import (
    acknowledge,
    action_plan,
    affected_accounts,
    approvals,
    assistant_chat,
    assistant_panel,
    case_details,
    case_entry,
    case_links,
    channel_marks,
    classify,
    close,
    commands,
    concession,
    contacts,
    follow,
    home,
    intake,
    judgement,
    post_update,
    rca,
    reassign,
    reminders,
    reopen,
    resolve,
    response_templates,
    survey,
    task_force,
    timeline,
    voice,
    workflow_steps,
)
from assistant.listeners.case_flow import CaseFlows, FlowSpec, FlowStart


class OwnerFlow(Protocol):
    """An owner flow's module: its name (flows/<FLOW>.yml) and its opener; a flow with questions
    also declares its submission, `SPEC` (a FlowSpec)."""

    FLOW: str

    def open_flow(self, start: FlowStart) -> None: ...


OWNER_FLOWS: tuple[OwnerFlow, ...] = (
    acknowledge,
    classify,
    post_update,
    reassign,
    resolve,
    rca,
    close,
    reopen,
    timeline,
    contacts,
    affected_accounts,
    task_force,
    action_plan,
    concession,
)


def register_all(app: App, components: Components) -> CaseFlows:
    flows = CaseFlows(components)
    intake.register(app, components)
    for module in OWNER_FLOWS:
        flows.register(module.FLOW, module.open_flow)
        spec: FlowSpec | None = getattr(module, "SPEC", None)
        if spec is not None:
            flows.on_submit(spec)
    missing = set(flows.book.names) ^ set(flows.openers)
    if missing:  # a flow file without its code, or code without its file: the engine's own mistake
        raise RuntimeError(f"flows without both a file and code: {', '.join(sorted(missing))}")
    close.register(app, components)  # the satisfaction asked once a case is closed
    case_entry.register(app, flows)
    reminders.register(app, components)
    reassign.register(app, flows)  # a manager taking a case over
    rca.register(app, flows)  # "Add another" action item
    action_plan.register(app, flows)  # "Add another" step
    approvals.register(app, components)  # an approver's decision
    response_templates.register(app, components)  # a starting draft chosen
    channel_marks.register(app, components)  # a channel's message onto the timeline
    assistant_panel.register(app, components)  # ask it in Slack's assistant panel (before DMs)
    assistant_chat.register(app, components)  # ask it: a DM, or @Escalations
    case_links.register(app, components)  # case links unfurled wherever they are posted
    commands.register(app, flows)
    follow.register(app, components)
    case_details.register(app, components)
    home.register(app, components)
    survey.register(app, components)
    judgement.register(app, components)
    voice.register(app, components)
    workflow_steps.register(app, components, flows)  # Workflow Builder's custom steps
    return flows
