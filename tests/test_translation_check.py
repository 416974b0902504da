"""The translation check: catalogs that name sources relative to the repository, and no English
in the engine's Python: it names its sentences by id (messages/sentences.yml)."""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent

from babel.messages.pofile import read_po

from assistant.content.locales import ENGLISH, SHIPPED
from assistant.content.translations import catalog_file, check_python, extracted

ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\)")


def test_no_catalog_names_a_machines_own_folders() -> None:
    for locale in SHIPPED:
        if locale == ENGLISH:
            continue
        path = catalog_file(locale)
        text = path.read_text(encoding="utf-8")
        comments = [line for line in text.splitlines() if line.startswith("#:")]
        assert comments, path
        absolute = [c for c in comments if any(ABSOLUTE.match(p) for p in c[2:].split())]
        assert not absolute, f"{path}: absolute source paths, e.g. {absolute[:3]}"
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        assert not [loc for m in catalog for loc, _line in m.locations if ABSOLUTE.match(loc)]


def test_extraction_names_sources_relative_to_the_repository() -> None:
    locations = {loc for m in extracted() for loc, _line in m.locations}
    assert "messages/sentences.yml" in locations
    assert not [loc for loc in locations if loc.endswith(".py")]
    assert any(loc.startswith("messages/templates/") for loc in locations)
    assert any(loc.startswith("flows/") for loc in locations)
    assert not [loc for loc in locations if ABSOLUTE.match(loc) or "\\" in loc]


PLANTED = """
    from assistant.content.i18n import N_, _

    from pkg.helpers import late_problem

    KEPT = {"busy": N_("They are busy."), "away": "They are away.", "known": N_("views.busy")}


    class ActionRefused(Exception):
        pass


    def handle(ack, respond, client, render_message, reason):
        ack(response_action="errors", errors={"when": "Choose a date from today on."})
        respond(text=f"Case {reason} is closed already.", response_type="ephemeral")
        client.chat_postMessage(channel="C1", text=_("Translated, fine."), blocks=[])
        render_message("notice.json.j2", style="primary", text=late_problem(3), title=_("Fine"))
        respond(text=_(KEPT[reason]))
        respond(text=_("views.away"))


    def check(answers):
        errors = {}
        if not answers:
            errors["reason"] = "Say why."
        return errors


    def close(has_rca):
        if not has_rca:
            raise ActionRefused("Record the root-cause analysis first.")


    def tell(respond, text):
        respond(text=text)


    def tell_twice(respond):
        tell(respond, "Nothing to do here.")
        tell(respond, _("Translated, fine."))
"""

HELPERS = """
    def late_problem(hours):
        if hours > 2:
            return f"That is {hours} hours late."
        return None
"""


def test_the_check_finds_english_shown_in_slack_without_translation(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(dedent(PLANTED))
    (package / "helpers.py").write_text(dedent(HELPERS))
    (package / "migrations").mkdir()
    (package / "migrations" / "m1.py").write_text('def up(ack):\n    ack(text="Not checked here.")\n')

    problems = check_python([package], ids=frozenset({"views.busy"}))
    found = {re.search(r"'(.*)'$", p.message).group(1) for p in problems}  # type: ignore[union-attr]
    assert found == {
        "They are busy.",  # words in N_(): they belong in the sentences file, named by id
        "Translated, fine.",  # and in _()
        "Fine",
        "views.away",  # an id no sentence has
        "They are away.",  # looked up by _(KEPT[…]) but not marked with N_()
        "Choose a date from today on.",  # ack(errors=…)
        "Case {} is closed already.",  # respond(text=…)
        "That is {} hours late.",  # returned by a function whose result is rendered
        "Say why.",  # a field error
        "Record the root-cause analysis first.",  # an ActionRefused's message
        "Nothing to do here.",  # a parameter that reaches respond(text=…)
    }
    wheres = {p.where.rsplit(":", 1)[0] for p in problems}
    assert wheres == {
        (package / "views.py").resolve().as_posix(),
        (package / "helpers.py").resolve().as_posix(),
    }
    assert all(
        "English written in Python" in p.message or "no sentence has this id" in p.message for p in problems
    )


def test_the_engines_python_shows_no_english_without_translation() -> None:
    problems = check_python()
    assert not problems, "\n".join(str(p) for p in problems)
