"""The content a CS-ops team may change lives at the top (`messages/`), ships in the wheel, and a
team's own folder (CUSTOM_DIR) replaces it file by file."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.components import Components
from assistant.content.paths import content_dir
from tests.harness import CSM, Harness, team_harness, wait_for

ROOT = Path(__file__).resolve().parents[1]


def test_the_templates_are_content_at_the_top_of_the_repository() -> None:
    assert content_dir("messages") == ROOT / "messages"
    assert (ROOT / "messages/templates/case_card.json.j2").is_file()
    assert not (ROOT / "assistant/messages/templates").exists()


def test_every_engine_package_is_installed() -> None:
    """pyproject lists the packages one by one (the content is mapped beside them): none forgotten."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    for folder in ("assistant", "slack_standin"):
        for init in (ROOT / folder).rglob("__init__.py"):
            assert ".".join(init.parent.relative_to(ROOT).parts) in listed, init


@pytest.mark.slow
def test_the_wheel_carries_the_content(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every content file, so a new kind of file (messages/sentences.yml) cannot be left out.
    content = [
        f"assistant_content/{path.relative_to(ROOT).as_posix()}"
        for folder in ("messages", "flows")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert "assistant_content/messages/sentences.yml" in content
    assert [name for name in content if name not in names] == []
    assert "assistant/migrations/versions/0010_action_items.py" in names
    assert "assistant/migrations/script.py.mako" in names


@pytest.fixture
def customised(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    help_text = {
        "text": "How we escalate at Acme Corp",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Call the duty manager first."}}],
    }
    files = {"messages/templates/help.json.j2": json.dumps(help_text)}
    yield from team_harness(database_url, tmp_path / "ours", files)


def test_a_teams_own_template_replaces_the_built_in_one(customised: Harness) -> None:
    customised.sender.slash_command(CSM, "help", channel_id=customised.general.id)
    answer = wait_for(lambda: customised.workspace.ephemerals_for(CSM), what="the help")[0]
    assert answer.text == "How we escalate at Acme Corp"
    case = customised.escalate(CSM)  # the other templates are the built-in ones
    assert customised.channel_of(case).messages[0].text.startswith("ESC-1")


def test_each_flow_file_has_its_code_and_nothing_else(components: Components) -> None:
    """Every flow file (flows/<flow>.yml) is opened by code of its own, a flow with questions has
    its submission, and no code waits on a flow that has no file; the questions are the file's."""
    from slack_bolt import App

    from assistant.listeners import register_all

    flows = register_all(
        App(token="xoxb-x", signing_secret="x", token_verification_enabled=False), components
    )
    book = components.content.flows
    assert set(flows.openers) == set(book.names)
    assert set(flows.specs) == {name for name in book.names if book[name].fields}
