"""One register per reader (issue 23). Spanish speaks to the team with tú (modals, buttons, hints,
refusals, DMs, channel posts, the Home tab) and to the customer with usted (the e-mails and their
subjects, the drafts and letters, the survey page, their Slack Connect channel). Portuguese says
você to both, never tu nor o senhor, and puts a comma before "e" joining clauses whose subjects
differ."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from assistant.content.translations import catalog_file

# Who reads a sentence, as data. The customer reads: the sentences of these id groups (the drafts
# and letters, the survey, the promised time as their letter says it) ...
CUSTOMER_ID_GROUPS = frozenset({"communications", "customer_side", "customer_time", "survey"})
# ... and every sentence of these templates (the e-mail, the survey page, their Slack Connect channel).
CUSTOMER_TEMPLATES = frozenset(
    {
        "messages/templates/email.html.j2",
        "messages/templates/email.txt.j2",
        "messages/templates/survey_page.html.j2",
        "messages/templates/customer_connect_message.json.j2",
    }
)
# Ids in those groups that only the team reads: the send modal's ways, preview and refusals, and
# the refusal of a click on the customer's survey buttons by one of our own people.
TEAM_READ_IDS = frozenset(
    {
        "communications.text_promises_next_update_at_said",
        "customer_side.e_mail_recipients",
        "customer_side.post_as_you_customer_slack_connect",
        "customer_side.i_sent_myself_phone_ticketing_system",
        "customer_side.don_t_send_internal_note_keeps_no",
        "customer_side.e_mail_from_sender_recipients",
        "customer_side.way_sending_not_available_now_choose",
        "customer_side.text_goes_several_customers_each",
        "customer_side.time_not_come_yet_say_when_you_sent",
        "customer_side.before_case_opened",
        "customer_side.accounts_get_letter_their_own_each",
        "survey.only_customer_answers_count_here",
    }
)
# Sentences of team templates that the customer hears: the question the reporter asks them.
CUSTOMER_READ_MSGIDS = frozenset(
    {
        "On a scale of 1 to 5, how satisfied are you with how we handled this issue? What could we "
        "have done better?",
    }
)

# Spanish usted (imperatives, pronouns) where the team reads, and tú where the customer reads.
USTED = re.compile(
    r"\b(usted|ustedes|elija|escriba|escríbalo|diga|dígalo|registre|regístrelo|responda|reemplace"
    r"|indique|añada|añádalo|invite|invítela|inténtelo|pida|siga|escale|haga|llámelo|quítela"
    r"|reenvíelos)\b",
    re.IGNORECASE,
)
TU = re.compile(
    r"\b(tú|tu|tus|te|ti|contigo|elige|escribe|responde|puedes|quieres|tienes|eres|estás|haz|di"
    r"|dinos|escríbenos|envíanos)\b",
    re.IGNORECASE,
)
# Portuguese: você for everyone.
NOT_VOCE = re.compile(r"\b(tu|teu|tua|teus|tuas|contigo|o senhor|a senhora|os senhores)\b", re.IGNORECASE)
# What is no prose: placeholders, code, Slack tokens and commands (/invite @Escalations).
NOT_PROSE = re.compile(r"%\(\w+\)[sd]|%[sd]|`[^`]*`|<[^>]*>|/\w+|@\w+")

# Portuguese sentences whose clauses, with different subjects, are joined by ", e ".
PT_COMMA_BEFORE_E = {
    "Reply to this message and we will walk you through what happened and what we are changing.": (
        "Responda a esta mensagem, e explicaremos"
    ),
    "It has expired or is not complete. Reply to our last e-mail and we will send you a new one.": (
        "Responda ao nosso último e-mail, e enviaremos um novo."
    ),
    "One text for all of them, without this customer's name or details: each gets it in a letter "
    "of its own. Leave it empty and each gets our neutral text in its own language.": (
        "Deixe vazio, e cada uma recebe"
    ),
    "We are aware of a problem that affects your service, and I have personally taken ownership "
    "of it.": "serviço, e eu assumi pessoalmente",
}


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def ids_of(message: Message) -> list[str]:
    return [c.removeprefix("id: ") for c in message.auto_comments if c.startswith("id: ")]


def msgid_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def translations(message: Message) -> list[str]:
    strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
    return [s for s in strings if isinstance(s, str) and s]


def customer_reads(message: Message) -> bool:
    if msgid_of(message) in CUSTOMER_READ_MSGIDS:
        return True
    if any(path in CUSTOMER_TEMPLATES for path, _line in message.locations):
        return True
    return any(i.split(".")[0] in CUSTOMER_ID_GROUPS and i not in TEAM_READ_IDS for i in ids_of(message))


def prose(text: str) -> str:
    return NOT_PROSE.sub(" ", text)


def spanish_breaks(catalog: Catalog) -> list[str]:
    """Each Spanish translation in the wrong register for its reader."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        customer = customer_reads(message)
        wrong = TU if customer else USTED
        for text in translations(message):
            hit = wrong.search(prose(text))
            if hit:
                reader = "customer (usted)" if customer else "team (tú)"
                found.append(f"{reader}: {hit.group(0)!r} in {text!r}")
    return found


def portuguese_breaks(catalog: Catalog) -> list[str]:
    """Each Portuguese translation that says tu or o senhor."""
    return [
        f"{hit.group(0)!r} in {text!r}"
        for message in catalog
        if message.id
        for text in translations(message)
        if (hit := NOT_VOCE.search(prose(text)))
    ]


def missing_commas(catalog: Catalog) -> list[str]:
    """Each named Portuguese sentence without its comma before "e"."""
    found = []
    for msgid, expected in PT_COMMA_BEFORE_E.items():
        message = catalog.get(msgid)
        assert message is not None, f"no sentence {msgid!r} in the catalog"
        text = " ".join(translations(message))
        if expected not in text:
            found.append(f"{expected!r} not in {text!r}")
    return found


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    return read_catalog(catalog_file("es"), "es")


@pytest.fixture(scope="module")
def portuguese() -> Catalog:
    return read_catalog(catalog_file("pt_BR"), "pt_BR")


def test_the_reader_rule_names_only_what_exists(spanish: Catalog) -> None:
    """The rule's exceptions name sentences the catalog has, and it finds both readers."""
    ids = {i for message in spanish for i in ids_of(message)}
    assert ids >= TEAM_READ_IDS, sorted(TEAM_READ_IDS - ids)
    msgids = {msgid_of(message) for message in spanish if message.id}
    assert msgids >= CUSTOMER_READ_MSGIDS, sorted(CUSTOMER_READ_MSGIDS - msgids)
    locations = {path for message in spanish for path, _line in message.locations}
    assert locations >= CUSTOMER_TEMPLATES, sorted(CUSTOMER_TEMPLATES - locations)
    readers = [customer_reads(message) for message in spanish if message.id]
    assert readers.count(True) >= 30
    assert readers.count(False) >= 500


def test_spanish_says_tu_to_the_team_and_usted_to_the_customer(spanish: Catalog) -> None:
    breaks = spanish_breaks(spanish)
    assert not breaks, "\n".join(breaks)


def test_portuguese_says_voce_to_everyone(portuguese: Catalog) -> None:
    breaks = portuguese_breaks(portuguese)
    assert not breaks, "\n".join(breaks)


def test_portuguese_puts_a_comma_before_e_joining_different_subjects(portuguese: Catalog) -> None:
    missing = missing_commas(portuguese)
    assert not missing, "\n".join(missing)


def test_the_markers_tell_the_registers_apart() -> None:
    """The markers see a register's words, not the placeholders, code or Slack commands around them."""
    assert USTED.search(prose("Invite la app primero."))
    assert not USTED.search(prose("Invita la app a ese canal (/invite @Escalations)."))
    assert TU.search(prose("Elige tu idioma."))
    assert TU.search(prose("Si lo enviaste tú"))
    assert not TU.search(prose("Su caso está resuelto; tuvimos que actualizar el servicio."))
    assert not TU.search(prose("Su caso `%(command)s te` está resuelto: %(te)s"))
    assert NOT_VOCE.search(prose("O senhor pode responder."))
    assert not NOT_VOCE.search(prose("Você pode responder; tudo certo."))
