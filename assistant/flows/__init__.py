"""One module per guided flow; each registers its own entry points and submissions."""

from slack_bolt import App

from assistant.components import Components
from assistant.flows import (
    acknowledge,
    affected_accounts,
    case_entry,
    classify,
    close,
    commands,
    contacts,
    follow,
    home,
    intake,
    judgement,
    rca,
    reassign,
    reminders,
    reopen,
    resolve,
    survey,
    timeline,
    update,
)
from assistant.flows.case_flow import CaseFlows

OWNER_FLOWS = (
    acknowledge,
    classify,
    update,
    reassign,
    resolve,
    rca,
    close,
    reopen,
    timeline,
    contacts,
    affected_accounts,
)


def register_all(app: App, components: Components) -> CaseFlows:
    flows = CaseFlows(components)
    intake.register(app, components)
    for flow in OWNER_FLOWS:
        flow.register(app, flows)
    case_entry.register(app, flows)
    reminders.register(app, flows)
    commands.register(app, flows)
    follow.register(app, flows)
    home.register(app, components)
    survey.register(app, components)
    judgement.register(app, components)
    return flows
