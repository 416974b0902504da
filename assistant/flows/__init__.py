"""One module per guided flow; each registers its own entry points and submissions."""

from slack_bolt import App

from assistant.components import Components
from assistant.flows import acknowledge, case_entry, commands, home, intake
from assistant.flows.case_flow import CaseFlows


def register_all(app: App, components: Components) -> None:
    flows = CaseFlows(components)
    intake.register(app, components)
    acknowledge.register(app, flows)
    case_entry.register(app, flows)
    commands.register(app, flows)
    home.register(app, components)
