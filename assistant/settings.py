"""Settings from the environment or a `.env` file (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.domain.channel_names import check_pattern

SLACK_API_URL = "https://slack.com/api/"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DatabaseSettings(BaseSettings):
    """What `python -m assistant db ...` needs: no Slack tokens."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///escalations.db", description="a SQLAlchemy database URL")


class ContentSettings(BaseSettings):
    """What `python -m assistant playbook ...` needs: no Slack tokens, no database."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    custom_dir: Path | None = Field(
        default=None,
        description="a folder of your own content (flows/playbook.yml, messages/templates/*.j2) "
        "whose files replace the built-in ones",
    )
    default_currency: str = Field(
        default="USD",
        description="the currency of a contract value typed without one (an ISO code: USD, BRL, EUR, MXN…)",
    )
    default_locale: str = Field(
        default="en",
        description="the language of case channels and the feed (en, pt-BR, es…); people read "
        "modals, DMs and the Home tab in their own Slack language",
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
    )

    @field_validator("default_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        if value.upper() not in list_currencies():
            raise ValueError(f"{value!r} is not a currency code (ISO 4217, like USD, BRL, EUR or MXN)")
        return value.upper()

    @field_validator("custom_dir")
    @classmethod
    def _custom_dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value


class WebhookSettings(BaseSettings):
    """Which webhook receivers may be called: what `webhook add` checks too (no Slack tokens)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    webhook_allow_http_loopback: bool = Field(
        default=False,
        description="let webhooks go over plain http to loopback (127.0.0.1, ::1, localhost): "
        "a receiver on this machine; anything else needs https",
    )
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated networks (like 10.1.0.0/16) whose private addresses webhooks "
        "may be sent to: a receiver inside your own network",
    )

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        import ipaddress

        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            return value
        try:
            return [str(ipaddress.ip_network(str(part), strict=False)) for part in value]
        except ValueError as exc:
            raise ValueError(f"{exc} (write networks like 10.1.0.0/16 or fd00::/8)") from None


class Settings(DatabaseSettings, ContentSettings, WebhookSettings):
    slack_bot_token: SecretStr = Field(description="the bot token, starting xoxb-")
    slack_signing_secret: SecretStr = Field(description="the app's signing secret")
    slack_app_token: SecretStr | None = Field(
        default=None, description="the app-level token for Socket Mode, starting xapp-"
    )
    slack_api_url: str = Field(default=SLACK_API_URL, description="the Slack Web API base URL")
    escalations_feed_channel: str | None = Field(
        default=None, description="the channel ID where new escalations are announced"
    )
    channel_name_pattern: str = Field(
        default="esc-{number}-{account}-{summary}",
        description="the case channel name pattern",
    )
    ack_within_minutes: int = Field(
        default=120, ge=5, le=7 * 24 * 60, description="minutes the owner has to acknowledge"
    )
    max_promise_hours: int = Field(
        default=24, ge=1, le=7 * 24, description="how far ahead an update may be promised, in hours"
    )
    min_promise_minutes: int = Field(
        default=5, ge=1, le=240, description="how soon an update may be promised at the earliest, in minutes"
    )
    rca_due_business_days: int = Field(default=5, ge=1, le=30, description="business days to deliver the RCA")
    archive_on_close: bool = Field(default=True, description="archive the case channel when a case closes")
    ack_within_minutes_by_severity: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict, description="per-severity acknowledgement windows, like critical=60,high=120"
    )
    remind_before_ack_minutes: int = Field(default=30, ge=1, description="minutes before the ack deadline")
    remind_before_update_minutes: int = Field(
        default=15, ge=1, description="minutes before a promised update"
    )
    update_grace_minutes: int = Field(
        default=15, ge=0, description="minutes after a missed update before escalating"
    )
    reminder_late_after_seconds: float = Field(
        default=60, ge=0, description="a reminder sent later than this after it was due says it is late"
    )
    quiet_hours: str = Field(default="", description="no reminder DMs in these hours, like 22:00-07:00")
    quiet_hours_by_user: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="per-person quiet hours, like U123=22:00-07:00;U456=23:00-06:00"
    )
    managers_of_owners: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="each owner's manager, told of breaches, like U123=U999,U456=U999"
    )
    escalation_manager_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated Slack user IDs of escalation managers"
    )
    executive_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated Slack user IDs of executives who see the portfolio on their Home tab",
    )
    digest_enabled: bool = Field(default=True, description="post the weekly digest to the feed channel")
    digest_day: str = Field(default="mon", description="the weekday of the weekly digest, like mon")
    digest_time: str = Field(default="09:00", description="the time of the weekly digest, like 09:00")
    digest_timezone: str = Field(default="UTC", description="the timezone of the digest day and time")
    slack_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    slack_max_retries: int = Field(default=4, ge=0, le=10)
    slack_rate_limit_factor: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description="multiplies Slack's published per-method rate limits, which the app paces itself by",
    )
    background_workers: int = Field(
        default=8, ge=1, le=64, description="threads doing background Slack work (the work queue)"
    )
    home_refresh_seconds: float = Field(
        default=10.0, ge=0, description="a person's Home tab is rebuilt at most once in this many seconds"
    )
    provisioning_lease_seconds: float = Field(default=120.0, gt=0)
    reminder_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a claimed reminder is held before another worker may take it",
    )
    repair_interval_seconds: float = Field(
        default=15.0, gt=0, description="how often half-opened cases are looked for and finished"
    )
    log_level: str = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: readable lines; json: one JSON object per line, for a log pipeline"
    )
    block_kit_checks: Literal["full", "limits"] = Field(
        default="limits",
        description="how what the app renders is checked before it is sent: full (slack_sdk's models "
        "and Slack's limits, for tests and development) or limits (Slack's limits alone, cheap)",
    )
    # The customer end (README: "Reaching the customer").
    smtp_url: SecretStr | None = Field(
        default=None,
        description="the SMTP server for e-mail to customers: smtp://user:pass@host:587 (STARTTLS) "
        "or smtps://user:pass@host:465 (TLS)",
    )
    smtp_from: str | None = Field(
        default=None, description="the sender's address, like 'Acme Support <support@acme.com>'"
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="serve /metrics on this port too (a private network's), besides the serving port",
    )
    public_base_url: str | None = Field(
        default=None,
        description="where customers reach the app's pages (the survey), like https://esc.acme.com",
    )
    survey_valid_days: int = Field(default=30, ge=1, le=365, description="how long a survey link works")
    customer_lease_seconds: float = Field(default=60.0, gt=0, description="a delivery attempt's lease")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="per webhook call")
    webhook_disable_after_days: int = Field(
        default=3, ge=1, le=30, description="a webhook endpoint failing this long is disabled"
    )
    api_rate_per_minute: int = Field(
        default=120, ge=1, le=10000, description="calls per minute per API token"
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        from assistant.customer.mail import parse_smtp_url

        parse_smtp_url(value.get_secret_value())  # a ValueError says what is wrong (never the password)
        return value

    @field_validator("smtp_from")
    @classmethod
    def _from_shape(cls, value: str | None) -> str | None:
        from email.utils import parseaddr

        if value and "@" not in parseaddr(value)[1]:
            raise ValueError("must be an e-mail address, like 'Acme Support <support@acme.com>'")
        return value or None

    @property
    def email_enabled(self) -> bool:
        return self.smtp_url is not None and self.smtp_from is not None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("escalations_feed_channel")
    @classmethod
    def _channel_id_shape(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value[:1] not in {"C", "G"} or not value.isalnum():
            raise ValueError("must be a channel ID like C0123456789 (not a #name)")
        return value

    @field_validator("escalation_manager_ids", "executive_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("ack_within_minutes_by_severity", mode="before")
    @classmethod
    def _severity_windows(cls, value: object) -> object:
        pairs = _pairs(value, ",")
        if pairs is None:
            return value
        # The severities are the playbook's (a team's own may not be loaded yet): ids are checked
        # for shape here; the playbook's `ack_within_minutes` is the better place for windows.
        odd = sorted(k for k in pairs if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", k))
        if odd:
            raise ValueError(f"{odd[0]!r} is not a severity id (like critical or high)")
        return {k: int(v) for k, v in pairs.items()}

    @field_validator("quiet_hours_by_user", mode="before")
    @classmethod
    def _quiet_by_user(cls, value: object) -> object:
        pairs = _pairs(value, ";")
        return value if pairs is None else pairs

    @field_validator("managers_of_owners", mode="before")
    @classmethod
    def _managers(cls, value: object) -> object:
        pairs = _pairs(value, ",")
        return value if pairs is None else pairs

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        from assistant.domain.reminders import parse_window

        parse_window(value)  # raises ValueError on a malformed window
        return value

    @field_validator("digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in WEEKDAYS:
            raise ValueError("use a weekday like mon, tue, ... sun")
        return day

    @field_validator("digest_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, sep, minutes = value.strip().partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("use a 24-hour time like 09:00")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("digest_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("use an IANA timezone like Europe/Paris") from None
        return value

    @field_validator("channel_name_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_pattern(value)


def _pairs(value: object, separator: str) -> dict[str, str] | None:
    """'a=1,b=2' from the environment as a dict (None if it is not a string)."""
    if not isinstance(value, str):
        return None
    pairs = {}
    for part in value.split(separator):
        if part.strip():
            key, sep, item = part.partition("=")
            if not sep:
                raise ValueError(f"expected key=value, got {part.strip()!r}")
            pairs[key.strip()] = item.strip()
    return pairs


class SettingsError(Exception):
    """Settings that stop start-up, told in one sentence a person can act on."""


def describe(error: ValidationError) -> str:
    sentences = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "a setting"
        field = Settings.model_fields.get(str(item["loc"][0]).lower()) if item["loc"] else None
        what = f" ({field.description})" if field and field.description else ""
        if item["type"] == "missing":
            sentences.append(f"{name} is missing: set it in the environment or in .env{what}.")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            sentences.append(f"{name} is not valid: {message}{what}.")
    return " ".join(sentences)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
