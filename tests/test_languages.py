"""The team's language: each person reads modals, DMs, private answers and the Home tab in their
Slack language (Portuguese, Spanish, English); case channels follow DEFAULT_LOCALE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from assistant.content.i18n import negotiate, speaking
from assistant.content.locales import SHIPPED
from assistant.content.translations import _entry_problem
from assistant.presenters.case_context import format_duration
from tests.harness import CSM, MANAGER, OWNER, FlowButton, Harness, run_cli, start_harness, wait_for


@pytest.mark.parametrize(
    ("slack_locale", "ours"),
    [
        ("pt-BR", "pt_BR"),
        ("pt-PT", "pt_BR"),  # no European Portuguese: the same language
        ("es-419", "es"),
        ("es-ES", "es"),
        ("es-MX", "es"),
        ("en-GB", "en"),
        ("fr-FR", "en"),  # a language we do not have: English
        (None, "en"),
    ],
)
def test_a_slack_locale_falls_back_to_its_language_then_to_english(
    slack_locale: str | None, ours: str
) -> None:
    assert negotiate(slack_locale, SHIPPED) == ours


def test_the_catalogs_are_whole() -> None:
    """CI fails on a sentence without a translation, a fuzzy one, or English left in a template."""
    done = run_cli(["translations", "check"], {}, Path.cwd())
    assert done.returncode == 0, done.stderr
    assert "the catalogs are whole" in done.stdout


def test_a_missing_fuzzy_or_mismatched_translation_is_a_problem() -> None:
    wanted = Message("Keep it under %(num)s characters.")
    assert _entry_problem(wanted, None) == "not translated"
    assert _entry_problem(wanted, Message(wanted.id, "")) == "not translated"
    fuzzy = Message(wanted.id, "Use menos de %(num)s caracteres.", flags=["fuzzy"])
    assert _entry_problem(wanted, fuzzy) == "marked fuzzy: check the translation and remove the flag"
    renamed = Message(wanted.id, "Use menos de %(n)s caracteres.")
    assert _entry_problem(wanted, renamed) == "the placeholders differ from the English (num)"
    assert _entry_problem(wanted, Message(wanted.id, "Use menos de %(num)s caracteres.")) is None


def test_durations_are_written_in_each_language() -> None:
    with speaking("pt_BR"):
        assert (format_duration(60), format_duration(120), format_duration(30)) == (
            "1 hora",
            "2 horas",
            "30 minutos",
        )
    with speaking("es"):
        assert format_duration(120) == "2 horas"
    assert format_duration(60) == "1 hour"


@pytest.fixture
def multilingual(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url)
    running.workspace.users[CSM].locale = "pt-BR"
    running.workspace.users[OWNER].locale = "es-419"
    running.workspace.users[MANAGER].locale = "pt-BR"
    try:
        yield running
    finally:
        running.stop()


def test_each_person_reads_in_their_language_and_the_channel_in_the_teams(multilingual: Harness) -> None:
    harness = multilingual
    view_id = harness.open_intake(CSM)
    view = harness.workspace.views[view_id]
    assert view["title"]["text"] == "Abrir escalonamento"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["summary"]["label"]["text"] == "Resumo em uma linha"
    categories = {o["value"]: o["text"]["text"] for o in blocks["category"]["element"]["options"]}
    assert categories["technical"] == "Técnico"
    assert blocks["owner"]["hint"]["text"].endswith("Ela deve confirmar em até 2 horas.")

    errors = harness.submit_intake(view_id, CSM, summary="", account="").json()["errors"]
    assert errors == {
        "summary": "Escreva um resumo do problema em uma linha.",
        "account": "Informe a conta do cliente.",
    }

    hostile = "<!channel> Acme & *Co* <https://evil.example|click>"
    response = harness.submit_intake(view_id, CSM, account=hostile, stakeholders=[])
    assert response.status == 200 and not response.body
    case = harness.wait_provisioned(wait_for(lambda: harness.case_by_view(view_id), what="the case").id)
    channel = harness.channel_of(case)

    # The CSM's private answer: Portuguese.
    reply = wait_for(lambda: harness.workspace.ephemerals_for(CSM), what="the CSM's answer")
    assert f"ESC-1 está aberto em <#{channel.id}>." == reply[0].text
    # The owner's DM: Spanish, with the customer's text escaped exactly once.
    dm = wait_for(lambda: harness.workspace.dm_messages(OWNER), what="the owner's DM")[0]
    assert dm.text.startswith("Eres responsable de ESC-1 (&lt;!channel&gt; Acme &amp; \\*Co\\*") or (
        "Eres responsable de ESC-1" in dm.text
        and "&lt;!channel&gt;" in dm.text
        and "<!channel>" not in dm.text
    )
    dm_text = json.dumps(dm.blocks, ensure_ascii=False)
    assert "Los clientes confían en un nombre. *Confirma en menos de 2 horas*" in dm_text
    assert '"text": "Confirmar"' in dm_text and "Severidad *Alta*" in dm_text
    assert "<!channel>" not in dm_text
    # The case channel follows DEFAULT_LOCALE (English here).
    card = json.dumps(channel.messages[0].blocks, ensure_ascii=False)
    assert "Technical escalation" in card and "Técnico" not in card

    # The Home tabs: each in its reader's language.
    csm_home = json.dumps(harness.open_home(CSM), ensure_ascii=False)
    assert "Escalonamentos de clientes" in csm_home and "Casos que você abriu" in csm_home
    owner_home = json.dumps(harness.open_home(OWNER), ensure_ascii=False)
    assert "Tus casos" in owner_home and "severidad Alta" in owner_home
    manager_home = json.dumps(harness.open_home(MANAGER), ensure_ascii=False)
    assert "Portfólio" in manager_home and "Técnico 1" in manager_home


def test_an_owner_works_the_case_in_their_language_while_the_channel_keeps_the_teams(
    multilingual: Harness,
) -> None:
    from tests.harness import EXEC, in_hours

    harness = multilingual
    harness.workspace.users[OWNER].locale = "pt-BR"
    harness.workspace.users[EXEC].locale = "es-ES"
    case = harness.escalate(CSM, stakeholders=[EXEC])

    # Someone who may not acknowledge is told so in their language.
    harness.click(EXEC, case, FlowButton.ACKNOWLEDGE)
    assert harness.answer(EXEC) == (
        f"Solo el responsable, <@{OWNER}>, o un gestor de escalamiento puede confirmar este caso."
    )

    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = harness.workspace.views[view_id]
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Confirmar ESC-1",
        "Confirmar",
        "Cancelar",
    )
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Próxima atualização ao cliente até",
        "Confirmação ao cliente (edite antes de enviar)",
        "Como o cliente recebe",
        "Se você mesmo enviou, como (telefone, Zendesk…)",
        "Se você mesmo enviou, quando (se não agora)",
    ]
    # Without contacts or a shared channel, the owner sends it themselves (and says so).
    send_by = next(b for b in view["blocks"] if b.get("block_id") == "send_by")["element"]
    assert [o["text"]["text"] for o in send_by["options"]] == [
        "Eu mesmo enviei (telefone, sistema de chamados, outra ferramenta)"
    ]
    errors = harness.submit(OWNER, view_id, next_update=in_hours(-1), customer_message="").json()["errors"]
    assert errors == {
        "customer_message": "Escreva a confirmação que o cliente vai receber.",
        "next_update": "Escolha um horário daqui a pelo menos 5 minutos.",
    }
    harness.submit(OWNER, view_id, next_update=in_hours(2), customer_message="Estamos nisso.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")

    # What is posted in the case channel stays in the team's language (DEFAULT_LOCALE: English).
    posted = wait_for(
        lambda: [m for m in harness.channel_of(case).messages[1:] if "acknowledged" in m.text.lower()],
        what="the acknowledgement in the channel",
    )
    assert "Confirm" not in posted[0].text

    # A state that does not fit, in the owner's language.
    harness.click(OWNER, case, FlowButton.ACKNOWLEDGE)
    assert harness.answer(OWNER) == (
        "ESC-1 foi confirmado e segue aberto. Publique uma atualização em vez disso."
    )
    view_id = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    classify = harness.workspace.views[view_id]
    assert classify["title"]["text"] == "Classificar ESC-1"
    blocks = {b.get("block_id"): b for b in classify["blocks"]}
    kinds = [o["text"]["text"] for o in blocks["kind"]["element"]["options"]]
    assert kinds == ["Funcional", "Hierárquico", "Automático"]


def test_english_left_in_a_template_is_found(tmp_path: Path) -> None:
    from assistant.content.translations import _english

    template = tmp_path / "t.json.j2"
    template.write_text(
        '{"title": {"type": "plain_text", "text": "Cancel"},\n'
        ' "a": {{ (":wave: " ~ _("Hello %(name)s", name=x) ~ " and welcome")|tojson }},\n'
        ' "b": {{ ngettext("%(num)s case", "%(num)s cases", n)|tojson }}, "c": {{ "plain_text"|tojson }}}\n'
    )
    found = [str(problem) for problem in _english(template)]
    assert found == [
        f"{template}:1: English text without _(): 'Cancel'",
        f"{template}:2: English text without _(): ' and welcome'",
    ]


@pytest.fixture
def portuguese_team(database_url: str) -> Iterator[Harness]:
    """A team in Brazil: its channels in Portuguese; a manager who reads Slack in English."""
    running = start_harness(database_url, default_locale="pt-BR", default_currency="BRL")
    try:
        yield running
    finally:
        running.stop()


def test_a_team_whose_channels_speak_portuguese(portuguese_team: Harness) -> None:
    harness = portuguese_team
    case = harness.escalate(
        CSM, account_value="R$ 120 mil", triggers=["executive_contacted"], stakeholders=[]
    )
    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    for words in (
        "Escalonamento: Técnico",
        "*Severidade*\\nAlta",
        "*Valor da conta*\\nR$\\u00a0120.000",
        "Escalado na hora: O cliente procurou um dos nossos executivos",
        '"text": "Confirmar"',
    ):
        assert words.replace("\\u00a0", "\u00a0") in card, words
    channel = harness.channel_of(case)
    assert channel.topic.startswith("NOVO · severidade Alta · Responsável: Sarah Miller · Confirmação até ")
    feed = harness.feed.messages[0]
    assert feed.text.startswith("Novo escalonamento ESC-1 · Acme:")
    # Hostile text stays escaped exactly once in the team's language too.
    hostile = harness.escalate(CSM, summary="<!here> SSO & *tudo* parado", triggers=[], stakeholders=[])
    card = json.dumps(harness.channel_of(hostile).messages[0].blocks, ensure_ascii=False)
    assert "&lt;!here&gt; SSO &amp; *tudo* parado" in card and "<!here>" not in card
    # The manager's DM is written in the manager's own language (English), not the channel's.
    told = wait_for(lambda: harness.workspace.dm_messages(MANAGER), what="the managers to be told")
    assert "ESC-1 needs the escalation managers now" in told[0].text


def test_reminders_and_breaches_reach_each_person_in_their_language(multilingual: Harness) -> None:
    from datetime import timedelta

    harness = multilingual
    harness.workspace.users[OWNER].locale = "pt-BR"
    harness.workspace.users[MANAGER].locale = "es-419"
    case = harness.escalate(CSM, stakeholders=[])
    deadline = case.ack_due_at
    assert deadline is not None
    dispatcher = harness.components.reminders
    dispatcher.tick(now=deadline - timedelta(minutes=30))
    reminder = wait_for(lambda: harness.workspace.dm_messages(OWNER)[1:], what="the reminder")[-1]
    assert "confirme este caso até" in reminder.text
    assert "Adiar 30 min" in json.dumps(reminder.blocks, ensure_ascii=False)
    in_channel = [m for m in harness.channel_of(case).messages if "please acknowledge this case by" in m.text]
    assert in_channel  # the channel's copy: DEFAULT_LOCALE

    dispatcher.tick(now=deadline + timedelta(seconds=1))
    breach = wait_for(
        lambda: [
            m
            for m in harness.workspace.dm_messages(MANAGER)
            if "Compromiso incumplido" in m.text and "confirmar" in m.text  # not the first hour's
        ],
        what="the breach to the manager",
    )
    assert "No se cumplió el compromiso de confirmar el caso" in json.dumps(
        breach[0].blocks, ensure_ascii=False
    )


def test_the_weekly_digest_in_the_teams_language(harness: Harness, tmp_path: Path) -> None:
    from tests.harness import env_without_slack
    from tests.test_digest import known_week

    known_week(harness.components.engine)
    env = env_without_slack(harness)
    done = run_cli(
        ["digest", "--dry-run", "--week-ending", "2026-11-23"], {**env, "DEFAULT_LOCALE": "pt-BR"}, tmp_path
    )
    assert done.returncode == 0, done.stderr
    for line in (
        "Resumo de escalonamentos · seg. 16 nov. a dom. 22 nov. 2026",
        "Abertos: 3",
        "Compromissos cumpridos no prazo: 60% (3 de 5)",
        "• Acme: 2 escalonamentos",
    ):
        assert line in done.stdout, done.stdout
