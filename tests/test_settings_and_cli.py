"""Start-up: settings from the environment or .env; problems stop it with one clear sentence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from assistant.database import alembic_config, current_revision, make_engine
from assistant.settings import SettingsError, load_settings
from slack_standin import StandIn
from tests.harness import ROOT, run_cli

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
VALID = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret-signing"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ESCALATIONS_", "CHANNEL_NAME", "DATABASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_missing_settings_are_named_in_one_sentence(clean_env: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith("SLACK_BOT_TOKEN is missing: set it in the environment or in .env")
    assert "SLACK_SIGNING_SECRET is missing" in message


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SLACK_BOT_TOKEN",
            "xoxp-user-token",
            "SLACK_BOT_TOKEN is not valid: must be a bot token starting xoxb-",
        ),
        (
            "CHANNEL_NAME_PATTERN",
            "esc-{account}",
            "CHANNEL_NAME_PATTERN is not valid: it must contain {number}",
        ),
        (
            "ESCALATIONS_FEED_CHANNEL",
            "#escalations",
            "ESCALATIONS_FEED_CHANNEL is not valid: must be a channel ID",
        ),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is not valid: must be an http(s) URL"),
    ],
)
def test_invalid_settings_are_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    for key, good in VALID.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


def test_settings_come_from_a_dotenv_file(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_SIGNING_SECRET=abc123456\nESCALATION_MANAGER_IDS=U1, U2\n"
    )
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert settings.escalation_manager_ids == ["U1", "U2"]
    assert settings.database_url == "sqlite:///escalations.db"
    assert "xoxb-from-dotenv" not in repr(settings)


def test_serve_without_tokens_says_so_without_a_traceback(tmp_path: Path) -> None:
    result = run_cli(["serve"], {}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: SLACK_BOT_TOKEN is missing")
    assert "Traceback" not in result.stderr


def test_serve_with_a_refused_token_says_so(tmp_path: Path) -> None:
    with StandIn() as standin:
        result = run_cli(
            ["serve", "--port", "0"],
            {**VALID, "SLACK_API_URL": standin.api_url, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            tmp_path,
        )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr and "xoxb-1-2-abc" not in result.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = run_cli(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"database schema at revision {HEAD}" in result.stdout
    engine = make_engine(url)
    assert current_revision(engine) == HEAD
    assert {"escalation", "case_event", "provisioning_step"} <= set(sa.inspect(engine).get_table_names())


def test_socket_mode_with_a_refused_app_token_says_so(tmp_path: Path) -> None:
    with StandIn() as standin:
        env = {
            "SLACK_BOT_TOKEN": standin.workspace.bot_token,
            "SLACK_SIGNING_SECRET": "s3cret-signing",
            "SLACK_APP_TOKEN": "xapp-not-this-one",
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        }
        result = run_cli(["serve"], env, tmp_path)
        opened = standin.workspace.calls_to("apps.connections.open")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert len(opened) == 1  # Socket Mode was chosen, through SLACK_API_URL
    assert "xapp-not-this-one" not in result.stderr


def test_the_example_env_file_is_valid_once_the_tokens_are_filled_in(clean_env: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    (clean_env / ".env").write_text(
        example + "\nSLACK_BOT_TOKEN=xoxb-1-2\nSLACK_SIGNING_SECRET=s3cret-signing\n"
    )
    settings = load_settings()
    assert settings.slack_app_token is None  # left empty: HTTP mode
    assert settings.channel_name_pattern == "esc-{number}-{account}-{summary}"
