"""The composition root: `create_app(settings)` builds everything; nothing happens at import."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.response import BoltResponse

from assistant.components import Components, create_components
from assistant.content.playbook import PlaybookError
from assistant.content.registry import install_folder
from assistant.listeners import register_all
from assistant.listeners.middleware import register_middleware, release_failed_submission
from assistant.rendering.validate import use_block_kit_checks
from assistant.settings import Settings, SettingsError

logger = logging.getLogger(__name__)


class _ClientWins(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client wins: it does, on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_app(settings: Settings, components: Components | None = None) -> tuple[App, Components]:
    try:
        # Loaded once: the components carry it, and it is the content in effect for the
        # templates and what is rendered without components at hand.
        content = install_folder(settings.custom_dir, settings.default_locale)
    except PlaybookError as exc:
        raise SettingsError(f"the playbook has problems; nothing was started:\n{exc}") from None
    use_block_kit_checks(settings.block_kit_checks)  # for the whole process, as the content is
    components = components or create_components(settings, content=content)
    bolt_logger = logging.getLogger("assistant.bolt")
    if not any(isinstance(f, _ClientWins) for f in bolt_logger.filters):  # once, however many apps
        bolt_logger.addFilter(_ClientWins())
    app = App(
        client=components.client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # create_components already asked Slack who we are (auth.test), once.
        token_verification_enabled=False,
        # Answer Slack at ack(), then keep working: Slack wants a reply within 3 s.
        process_before_response=False,
        listener_executor=components.listener_executor,
        logger=bolt_logger,
    )

    @app.error
    def handle_errors(error: Exception, body: dict[str, Any]) -> BoltResponse:
        """Log a failure (a bug with its traceback; an outage in one line); Slack shows its generic error."""
        kind = body.get("type") or "command"
        if isinstance(error, sa.exc.SQLAlchemyError):
            logger.warning(
                "a %s request failed: the database is unavailable (%s)", kind, type(error).__name__
            )
        else:
            logger.error("listener failed for a %s request", kind, exc_info=error)
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # then nothing was claimed either
            release_failed_submission(components.engine, body)
        return BoltResponse(status=500, body="")

    register_middleware(app, components.engine)
    register_all(app, components)
    return app, components
