"""`/escalate Acme SSO outage` (and the message shortcut) opens the intake form prefilled: the
same form the template draws for that text, built from the blank form rendered once, so the
command does not render and check 6 KB of Block Kit each time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.content.i18n import speaking
from assistant.content.registry import installed
from assistant.domain.intake import DESCRIPTION_MAX, SUMMARY_MAX
from assistant.listeners.intake import IntakeMetadata, _blank_intake_modal, _render_intake_modal, intake_modal
from assistant.rendering.validate import check_view

METADATA = IntakeMetadata(origin_channel_id="C0GENERAL1", reply_url="https://hooks.example/commands/1")
HOSTILE = [
    "Acme SSO outage",
    "<!channel> *bold* & <https://evil.example|click>",
    "  spaced   out\ttext  ",
    "Falha no SSO — clientes não conseguem entrar 😱",
    "x" * (SUMMARY_MAX + 40),
    "{{ 7*7 }} %(name)s \u202e",
]


def drawn_by_the_template(summary: str, description: str = "", source_url: str | None = None) -> dict:
    return _render_intake_modal(
        installed(), METADATA.model_dump_json(exclude_none=True), 120, summary, description, source_url
    )


def prefilled(summary: str, description: str = "", source_url: str | None = None) -> dict:
    return intake_modal(
        content=installed(),
        metadata=METADATA,
        ack_within_minutes=120,
        summary=summary,
        description=description,
        source_url=source_url,
    )


def test_the_prefilled_form_is_the_one_the_template_draws_in_each_language() -> None:
    for locale in ("en", "pt_BR", "es"):
        with speaking(locale):
            for text in HOSTILE:
                assert prefilled(text) == drawn_by_the_template(text), (locale, text)
            long_description = "d&<" * DESCRIPTION_MAX
            link = "https://standin.slack.com/archives/C0GENERAL1/p1700000000000100"
            assert prefilled("Outage", long_description, link) == drawn_by_the_template(
                "Outage", long_description, link
            )


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.text(max_size=400))
def test_any_text_prefills_a_valid_form_equal_to_the_templates(summary: str, description: str) -> None:
    view = prefilled(summary, description)
    assert view == drawn_by_the_template(summary, description)
    check_view(view)


def test_prefilled_commands_render_the_form_once() -> None:
    _blank_intake_modal.cache_clear()
    for n in range(20):
        view = prefilled(f"Outage number {n}", f"Details {n}")
        summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
        assert summary["element"]["initial_value"] == f"Outage number {n}"
    assert _blank_intake_modal.cache_info().misses == 1  # rendered and checked once
    blank = intake_modal(content=installed(), metadata=METADATA, ack_within_minutes=120)
    assert "initial_value" not in str(blank)  # a prefill never leaks into the shared blank form
