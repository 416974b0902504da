"""One module per guided flow; each registers its own entry points and submissions."""

from slack_bolt import App

from assistant.components import Components
from assistant.flows import home, intake


def register_all(app: App, components: Components) -> None:
    intake.register(app, components)
    home.register(app, components)
