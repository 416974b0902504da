"""`python -m assistant serve | db upgrade | db current`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from assistant.content.registry import Content
    from assistant.settings import ContentSettings

logger = logging.getLogger("assistant")


def _secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token]
    return [v.get_secret_value() for v in values if v is not None]


def serve(settings: Settings, host: str, port: int, threads: int) -> None:
    from assistant.app import create_app
    from assistant.jobs.scheduler import create_scheduler
    from assistant.logs import configure_logging
    from assistant.server import (
        HttpServer,
        component_health,
        health_server_app,
        mounted_apps,
        wsgi_app,
    )
    from assistant.tracing import configure_tracing

    configure_logging(settings.log_level, _secrets(settings), log_format=settings.log_format)
    if configure_tracing():
        logger.info("tracing to %s", os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    app, components = create_app(settings)
    stopping = threading.Event()
    # SIGTERM (a deploy, a container stop) ends the app as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    scheduler = create_scheduler(components)
    scheduler.start()
    health = component_health(components)
    server: HttpServer | None = None
    socket_mode: Any = None
    if settings.metrics_port is not None:  # /metrics on a port of its own (a private network's)
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=host, registry=components.metrics)
        logger.info("metrics on port %s", settings.metrics_port)
    try:
        if settings.slack_app_token is not None:
            from assistant.socket_mode import close_socket_mode, connect_socket_mode

            # No Slack endpoint in Socket Mode, but the health checks are served all the same.
            server = HttpServer(
                health_server_app(health, mounted_apps(components)),
                host,
                port,
                threads=2,
            ).start_in_thread()
            logger.info("health checks on %s/healthz; connecting to Slack in Socket Mode", server.url)
            socket_mode = connect_socket_mode(app, settings)
        else:
            secret = settings.slack_signing_secret.get_secret_value()
            server = HttpServer(
                wsgi_app(app, secret, health, components.in_flight, mounted_apps(components)),
                host,
                port,
                threads,
            ).start_in_thread()
            logger.info("listening on %s", server.url)
        while not stopping.wait(0.5):
            pass
        logger.info("stopping")
    finally:
        if socket_mode is not None:
            close_socket_mode(socket_mode)
        if server is not None:
            server.stop()
        # Waits for a running tick or sweep to finish and settle what it claimed.
        scheduler.shutdown(wait=True)
        components.close()
        logger.info("stopped")


def _database() -> sa.Engine:
    """The database a command works on (DATABASE_URL), migrated: the same as the app's."""
    from assistant.database import make_engine, migrate
    from assistant.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings().database_url)
    migrate(engine)
    return engine


def db_command(settings_url: str, action: str) -> None:
    from assistant.database import current_revision, make_engine, migrate

    engine = make_engine(settings_url)
    if action == "upgrade":
        migrate(engine)
    print(f"database schema at revision {current_revision(engine)}")


def _write_out(output: str, write: Callable[[IO[str]], None]) -> None:
    """`write` to standard output (-), or to the file `output`: customer data, so readable by
    its owner only (0600), even where the umask is lax."""
    if output == "-":
        write(sys.stdout)
        return
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:  # a folder that does not exist, one not ours to write in…
        raise SettingsError(f"--output {output}: {exc.strerror or exc}") from None
    os.fchmod(descriptor, 0o600)  # a file that was there keeps its mode through O_CREAT: set it
    with open(descriptor, "w", encoding="utf-8", newline="") as file:
        write(file)


def _content_settings() -> ContentSettings:
    """CUSTOM_DIR, DEFAULT_CURRENCY…: a wrong one is one sentence (SettingsError), as for the app."""
    from pydantic import ValidationError

    from assistant.settings import ContentSettings, describe

    try:
        return ContentSettings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None


def _team_content() -> Content:
    """The team's own content (CUSTOM_DIR), read and installed as the app does at start-up: their
    intake questions are the export's custom:<id> columns, their judgement rules the import's."""
    from assistant.content.playbook import PlaybookError
    from assistant.content.registry import install_folder

    settings = _content_settings()
    try:
        return install_folder(settings.custom_dir, settings.default_locale)
    except PlaybookError as exc:
        raise SettingsError(str(exc)) from None


def export_command(
    fmt: str, since: date | None, output: str, what: str = "cases", tag: str | None = None
) -> None:
    from assistant.services.export import (
        COMMUNICATION_COLUMNS,
        columns,
        communication_rows,
        export_rows,
        write_csv,
        write_json,
    )

    content = _team_content()
    questions = content.questions
    if tag is not None and what == "communications":
        print("error: --tag filters cases, not communications", file=sys.stderr)
        raise SystemExit(2)
    if tag is not None and tag not in content.practice.tags:
        print(
            f"error: no tag {tag!r}; the playbook's tags: {', '.join(content.practice.tags) or 'none'}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    engine = _database()
    start = datetime.combine(since, time(), tzinfo=UTC) if since else None
    # Streamed: memory stays flat whatever the history.
    rows = (
        communication_rows(engine, start)
        if what == "communications"
        else export_rows(engine, start, questions, tag=tag)
    )

    def write(rows: Any, out: Any) -> None:
        if fmt == "json":
            write_json(rows, out)
        else:
            write_csv(rows, out, COMMUNICATION_COLUMNS if what == "communications" else columns(questions))

    _write_out(output, lambda out: write(rows, out))


def digest_command(settings: Settings) -> None:
    """`digest --now`: post the last seven days to the feed channel."""
    from assistant.components import create_components
    from assistant.logs import configure_logging

    configure_logging(settings.log_level, _secrets(settings), log_format=settings.log_format)
    # The team's content, as the app installs it: its templates and words as much as its practice.
    components = create_components(settings, content=_team_content())
    try:
        poster = components.digest
        print(poster.message(poster.post_now()).text)
    finally:
        components.close()


def quarterly_command(quarter: str) -> int:
    """`digest --quarter [2026Q4]`: the quarterly review as text, from the database alone."""
    from assistant.content.i18n import _, speaking
    from assistant.content.registry import install_folder
    from assistant.database import make_engine, migrate
    from assistant.domain.quarterly import last_full_quarter, quarter_named
    from assistant.jobs.digest import digest_as_text
    from assistant.listeners.close import IMPROVEMENT_AREAS
    from assistant.presenters.quarterly import quarterly_context
    from assistant.rendering.render import render_message
    from assistant.services.quarterly import quarterly_review

    today = datetime.now(UTC).date()
    label = last_full_quarter(today) if quarter == "last" else quarter.upper().replace("-", "")
    try:
        quarter_named(label)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = load_settings(slack_bot_token="xoxb-not-used", slack_signing_secret="not-used")
    content = install_folder(settings.custom_dir, settings.default_locale)
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        review = quarterly_review(engine, label)
    finally:
        engine.dispose()
    with speaking(settings.default_locale):
        areas = {a["value"]: _(a["label"]) for a in IMPROVEMENT_AREAS}
        message = render_message(
            "quarterly_review.json.j2", q=quarterly_context(review, content.practice, areas)
        )
    print(digest_as_text(message), end="")
    return 0


def digest_dry_run(week_ending: date | None, chart: str | None) -> None:
    """`digest --dry-run`: the whole digest as text from the database alone; no Slack token needed."""
    from zoneinfo import ZoneInfo

    from assistant.content.registry import install_folder
    from assistant.database import make_engine, migrate
    from assistant.jobs.digest import digest_as_text, digest_context, week_digest
    from assistant.rendering.render import render_message

    # The digest's settings (zone, targets, database) without Slack's: a dry run never calls Slack.
    settings = load_settings(slack_bot_token="xoxb-not-used", slack_signing_secret="not-used")
    content = install_folder(settings.custom_dir, settings.default_locale)  # as the feed reads it
    zone = ZoneInfo(settings.digest_timezone)
    if week_ending is None:
        end = datetime.now(UTC)
    else:
        end = datetime.combine(week_ending, time(0, 0), zone).astimezone(UTC)
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        digest = week_digest(
            engine,
            end,
            zone=zone,
            ack_target=timedelta(minutes=settings.ack_within_minutes),
            practice=content.practice,
        )
    finally:
        engine.dispose()
    print(
        digest_as_text(render_message("digest.json.j2", d=digest_context(digest, content.practice))), end=""
    )
    if chart:
        from assistant.rendering.chart import digest_chart

        with open(chart, "wb") as out:
            out.write(digest_chart(digest))
        print(f"chart written to {chart}")


def playbook_command(action: str, folder: str | None) -> int:
    """`playbook show`: the playbook in effect; `playbook check [DIR]`: a team's folder, checked."""
    from pathlib import Path

    import yaml

    from assistant.content.flow_files import flow_names, load_flows
    from assistant.content.playbook import (
        INTAKE_FILE,
        PlaybookError,
        flows_file,
        load_intake_questions,
        load_playbook,
        playbook_path,
    )
    from assistant.settings import ContentSettings

    if folder and not Path(folder).is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 1
    target = Path(folder) if folder else ContentSettings().custom_dir
    problems: list[str] = []
    playbook = None
    try:
        playbook = load_playbook(target)
    except PlaybookError as exc:
        problems += [str(p) for p in exc.problems]
    try:
        load_intake_questions(target)
    except PlaybookError as exc:
        problems += [str(p) for p in exc.problems]
    try:
        load_flows(target)
    except PlaybookError as exc:
        problems += [str(p) for p in exc.problems]
    if problems or playbook is None:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing was changed.", file=sys.stderr)
        return 1
    if action == "show":
        print(f"# {playbook_path(target)}")
        print(yaml.safe_dump(playbook.model_dump(mode="json"), sort_keys=False, allow_unicode=True), end="")
    else:
        print(f"{playbook_path(target)}: the playbook is valid")
        print(f"{flows_file(INTAKE_FILE, target)}: the intake questions are valid")
        print(f"{flows_file('*.yml', target).parent}: the flows ({', '.join(flow_names())}) are valid")
        if target is not None and (target / "messages/templates").is_dir():
            print(f"templates: {target}/messages/templates (yours replace ours by name)")
    return 0


def translations_command(action: str) -> int:
    """`translations extract`: bring the catalogs up to date with the sources;
    `translations check`: exit 1 with every missing, fuzzy or mismatched translation."""
    from assistant.content.translations import check_catalogs, update_catalogs

    if action == "extract":
        for path in update_catalogs():
            print(f"{path}: updated")
        return 0
    problems = check_catalogs()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the translations", file=sys.stderr)
        return 1
    print("the catalogs are whole, and every template's sentences go through them")
    return 0


def accounts_command(
    action: str, file: str | None, fmt: str | None, dry_run: bool, output: str, encoding: str | None = None
) -> int:
    """`accounts import FILE [--dry-run] [--encoding E]` and `accounts export`: the directory,
    without Slack."""
    from assistant.content.i18n import _
    from assistant.domain.account_rows import UnreadableFile, read_account_file
    from assistant.services.accounts import export_accounts, import_accounts
    from assistant.services.export import write_csv

    engine = _database()
    if action == "export":
        exported = list(export_accounts(engine))

        def write(out: IO[str]) -> None:
            if fmt == "json":
                json.dump(exported, out, ensure_ascii=False, indent=1)
                out.write("\n")
            else:  # as the case export writes CSV: no cell a spreadsheet would run as a formula
                write_csv(exported, out, list(dict.fromkeys(k for row in exported for k in row)) or ["name"])

        _write_out(output, write)
        return 0
    assert file is not None
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {file}: {exc.strerror}", file=sys.stderr)
        return 2
    json_format = (fmt or ("json" if file.endswith(".json") else "csv")) == "json"
    try:
        rows, problems = read_account_file(
            data,
            json_format=json_format,
            default_currency=_content_settings().default_currency,
            encoding=encoding,
        )
    except UnreadableFile as exc:
        # Not read whole (its encoding, a cell past the CSV limit…): nothing of it is imported.
        print(_(exc.sentence), file=sys.stderr)
        print("the file was not imported")
        return 1
    report = import_accounts(engine, rows, rules=_team_content().practice.judgement, dry_run=dry_run)
    for problem in [*map(_, problems), *report.problems]:
        print(problem, file=sys.stderr)
    bad = len(problems) + len(report.problems)
    verb = "would be" if dry_run else "were"
    print(
        f"{report.created} accounts {verb} created, {report.updated} updated, {report.unchanged} unchanged; "
        f"{bad} row(s) refused; {report.raised} signal(s) for a CSM's judgement"
        + (" (nothing was written: --dry-run)" if dry_run else "")
    )
    return 1 if bad else 0


def _encoding(name: str) -> str:
    """`--encoding`: a codec Python has (cp1252, latin-1, utf-16…)."""
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        raise argparse.ArgumentTypeError(f"“{name}” is not an encoding (like utf-8 or cp1252)") from None
    return name


def _comma_list(text: str) -> list[str]:
    """`a, b,c` as typed on the command line: ["a", "b", "c"]."""
    return [item.strip() for item in text.split(",") if item.strip()]


def token_command(action: str, name: str | None, scopes: str) -> int:
    """`api-token create|revoke|list`: tokens for other systems (shown once, stored hashed)."""
    from assistant.api import tokens

    engine = _database()
    if action == "list":
        for listed in tokens.listed(engine):
            state = f"revoked {listed.revoked_at:%Y-%m-%d}" if listed.revoked_at else "live"
            print(f"{listed.name}\t{','.join(listed.scopes)}\t{state}")
        return 0
    if not name:
        print(f"error: api-token {action} needs --name", file=sys.stderr)
        return 2
    try:
        if action == "revoke":
            tokens.revoke(engine, name)
            print(f"revoked {name}")
            return 0
        token = tokens.create(engine, name, _comma_list(scopes))
    except tokens.TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(token)
    print(f"(the token of {name}: shown this once; only its hash is kept)", file=sys.stderr)
    return 0


def webhook_command(
    action: str, target: str | None, events: str, secret: str | None, since: date | None
) -> int:
    """`webhook add URL | list | remove ID | replay [ID] --since DATE`: case events to other systems."""
    from pydantic import ValidationError

    from assistant.domain.webhooks import shown_url
    from assistant.services import webhooks
    from assistant.settings import WebhookSettings, describe

    subscription_id: int | None = None
    if action in {"remove", "replay"} and target is not None:
        # A number a database column holds (a larger one is no id of ours either).
        if not target.isascii() or not target.isdecimal() or int(target) > 2**31 - 1:
            print(f"error: {target!r} is not a subscription id (a number: see webhook list)", file=sys.stderr)
            return 2
        subscription_id = int(target)
    engine = _database()
    if action == "list":
        for sub in webhooks.subscriptions(engine):
            state = f"disabled {sub.disabled_at:%Y-%m-%d}" if sub.disabled_at else "live"
            # A user name or password stored before they were refused is never printed.
            print(f"{sub.id}\t{shown_url(sub.url)}\t{','.join(sub.events)}\t{state}")
        return 0
    if action == "replay":
        if since is None:
            print("error: webhook replay needs --since YYYY-MM-DD", file=sys.stderr)
            return 2
        start = datetime.combine(since, time(), tzinfo=UTC)
        count = webhooks.replay(engine, start, subscription_id)
        print(f"{count} deliveries queued again")
        return 0
    if action == "remove":
        if subscription_id is None:
            print("error: webhook remove needs the subscription id", file=sys.stderr)
            return 2
        found = webhooks.remove(engine, subscription_id)
        print(f"removed {subscription_id}" if found else f"no subscription {subscription_id}")
        return 0 if found else 1
    if not target:
        print("error: webhook add needs the URL", file=sys.stderr)
        return 2
    try:
        allowed = WebhookSettings()
    except ValidationError as exc:  # said in a sentence, as at start-up
        raise SettingsError(describe(exc)) from None
    try:
        policy = webhooks.policy_of(allowed)
        sub_id, sub_secret = webhooks.subscribe(engine, target, _comma_list(events), secret, policy=policy)
    except webhooks.SubscriptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"subscription {sub_id}: {shown_url(target.strip())}")
    print(f"signing secret (verify webhook-signature with it): {sub_secret}")
    return 0


def work_command(action: str, fault_id: int | None) -> int:
    """What background work failed unexpectedly (parked, or waiting out a back-off); a parked item
    tried again once its cause is fixed."""
    from assistant.services import work_faults

    engine = _database()
    if action == "list":
        faults = work_faults.open_faults(engine)
        for fault in faults:
            state = "parked" if fault.parked_at else f"next try {fault.next_try_at:%Y-%m-%d %H:%M} UTC"
            case = f" ESC-{fault.case_id}" if fault.case_id else ""
            what = f"{fault.item}{case}\t{fault.faults} fault(s)\t{state}"
            print(f"{fault.id}\t{fault.loop}\t{what}\t{fault.last_error}")
        if not faults:
            print("No background work is failing.")
        return 0
    if fault_id is None:
        print("error: work retry needs the fault's id (see: work list)", file=sys.stderr)
        return 2
    retried = work_faults.retry(engine, fault_id)
    if retried is None:
        print(f"error: no fault {fault_id} (see: work list)", file=sys.stderr)
        return 1
    said = (
        "nothing is owed any more: marked resolved"
        if not retried.rearmed
        else "tried again now"
        if retried.at_once
        else "tried again at its loop's next pass"
    )
    print(f"{retried.fault.item}: {said}.")
    return 0


def signal_command(account: str, kind: str, detail: str, at: date | None) -> int:
    """`accounts signal`: a QBR held or missed, a stakeholder gone; the judgement tier looks at it."""
    from assistant.domain.judgement import SignalKind
    from assistant.services.accounts import find_account
    from assistant.services.judgement import add_signal

    engine = _database()
    found = find_account(engine, account)
    if found is None:
        print(f"error: no account {account!r} (a name, or SYSTEM:ID like crm:0015A)", file=sys.stderr)
        return 1
    moment = datetime.combine(at, time(12), tzinfo=UTC) if at else datetime.now(UTC)
    rules = _team_content().practice.judgement
    raised = add_signal(engine, found.id or 0, SignalKind(kind), at=moment, detail=detail, rules=rules)
    print(f"{kind} recorded for {found.name}; {raised} signal(s) for a CSM's judgement")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant", description="Customer-escalation assistant for Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="run the app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)"
    )
    serve_parser.add_argument("--host", default="0.0.0.0")
    serve_parser.add_argument("--port", type=int, default=3000)
    serve_parser.add_argument("--threads", type=int, default=16)
    db_parser = commands.add_parser("db", help="database schema")
    db_parser.add_argument("action", choices=["upgrade", "current"])
    export_parser = commands.add_parser("export", help="cases with their timings, for BI tools")
    export_parser.add_argument("--format", choices=["csv", "json"], default="csv")
    export_parser.add_argument("--since", type=date.fromisoformat, default=None, help="YYYY-MM-DD (UTC)")
    export_parser.add_argument("--output", default="-", help="a file, or - for standard output")
    export_parser.add_argument(
        "--tag", default=None, help="only the cases carrying this internal tag (its id)"
    )
    export_parser.add_argument(
        "--what",
        choices=["cases", "communications"],
        default="cases",
        help="cases (one row each, with timings), or every message to a customer",
    )
    digest_parser = commands.add_parser("digest", help="the weekly digest, posted to the feed channel")
    digest_mode = digest_parser.add_mutually_exclusive_group(required=True)
    digest_mode.add_argument("--now", action="store_true", help="post the digest of the last seven days now")
    digest_mode.add_argument(
        "--dry-run", action="store_true", help="print the digest as text instead (no Slack token needed)"
    )
    digest_mode.add_argument(
        "--quarter",
        nargs="?",
        const="last",
        default=None,
        metavar="2026Q4",
        help="print the quarterly review (the last full quarter, or the one named), from the database alone",
    )
    digest_parser.add_argument(
        "--week-ending",
        type=date.fromisoformat,
        default=None,
        help="with --dry-run: YYYY-MM-DD; the week is the seven days before it (default: the last seven)",
    )
    digest_parser.add_argument(
        "--chart", default=None, help="with --dry-run: write the chart (PNG) to this file"
    )
    playbook_parser = commands.add_parser(
        "playbook", help="the practice the app follows (flows/playbook.yml)"
    )
    playbook_parser.add_argument("action", choices=["show", "check"])
    playbook_parser.add_argument(
        "folder", nargs="?", default=None, help="a team's content folder (default: CUSTOM_DIR, else ours)"
    )
    translations_parser = commands.add_parser(
        "translations", help="the catalogs under messages/locale (extract the sentences, check them)"
    )
    translations_parser.add_argument("action", choices=["extract", "check"])
    accounts_parser = commands.add_parser(
        "accounts", help="the account directory: import a CSV or JSON file (upsert), export it"
    )
    accounts_parser.add_argument("action", choices=["import", "export", "signal"])
    accounts_parser.add_argument("file", nargs="?", default=None, help="with import: the CSV or JSON file")
    accounts_parser.add_argument("--format", choices=["csv", "json"], default=None)
    accounts_parser.add_argument(
        "--dry-run", action="store_true", help="say what would change; change nothing"
    )
    accounts_parser.add_argument(
        "--output", default="-", help="with export: a file, or - for standard output"
    )
    accounts_parser.add_argument(
        "--encoding",
        type=_encoding,
        default=None,
        help="with import: the file's encoding when it is not UTF-8 (Excel's plain CSV: cp1252)",
    )
    accounts_parser.add_argument(
        "--account", default=None, help="with signal: the account's name, or SYSTEM:ID (crm:0015A)"
    )
    accounts_parser.add_argument(
        "--kind", choices=["qbr_held", "qbr_missed", "stakeholder_left"], default=None, help="with signal"
    )
    accounts_parser.add_argument(
        "--detail", default="", help="with signal: who left (decision_maker, champion) or a note"
    )
    accounts_parser.add_argument(
        "--at", type=date.fromisoformat, default=None, help="with signal: YYYY-MM-DD"
    )
    token_parser = commands.add_parser("api-token", help="tokens other systems call the API with")
    token_parser.add_argument("action", choices=["create", "revoke", "list"])
    token_parser.add_argument("--name", default=None, help="who uses it, like zendesk")
    token_parser.add_argument(
        "--scopes",
        default="",
        help="with create: escalations:read,escalations:write,accounts:write "
        "(escalations:read_private: private cases in full too)",
    )
    work_parser = commands.add_parser("work", help="background work that failed: list, or retry ID")
    work_parser.add_argument("action", choices=["list", "retry"])
    work_parser.add_argument(
        "fault_id", nargs="?", type=int, default=None, help="with retry: the id from list"
    )
    webhook_parser = commands.add_parser("webhook", help="case events sent to other systems (signed)")
    # One parser per action: `replay --since DATE 1` and `replay 1 --since DATE` read alike.
    webhook_actions = webhook_parser.add_subparsers(dest="action", required=True)
    webhook_add = webhook_actions.add_parser("add", help="subscribe an https endpoint")
    webhook_add.add_argument("target", metavar="URL", help="the receiver, https://host/path")
    webhook_add.add_argument("--events", default="all", help="event types, comma-separated, or all")
    webhook_add.add_argument(
        "--secret", default=None, help="a whsec_ key, base64 of 24 to 64 bytes (default: one is made)"
    )
    webhook_actions.add_parser("list", help="the subscriptions")
    webhook_remove = webhook_actions.add_parser("remove", help="end a subscription")
    webhook_remove.add_argument("target", metavar="ID", help="its id (see webhook list)")
    webhook_replay = webhook_actions.add_parser("replay", help="send again what happened since a date")
    webhook_replay.add_argument(
        "target", metavar="ID", nargs="?", default=None, help="one subscription (default all)"
    )
    webhook_replay.add_argument(
        "--since", metavar="DATE", type=date.fromisoformat, required=True, help="YYYY-MM-DD (UTC)"
    )
    webhook_parser.set_defaults(target=None, events="all", secret=None, since=None)
    args = parser.parse_args(argv)
    if args.command == "accounts" and args.action == "import" and not args.file:
        parser.error("accounts import needs the FILE to import")
    if args.command == "accounts" and args.action == "signal" and not (args.account and args.kind):
        parser.error("accounts signal needs --account and --kind")

    try:
        if args.command == "playbook":
            return playbook_command(args.action, args.folder)
        if args.command == "translations":
            return translations_command(args.action)
        if args.command == "webhook":
            return webhook_command(args.action, args.target, args.events, args.secret, args.since)
        if args.command == "work":
            return work_command(args.action, args.fault_id)
        if args.command == "api-token":
            return token_command(args.action, args.name, args.scopes)
        if args.command == "accounts" and args.action == "signal":
            return signal_command(args.account, args.kind, args.detail, args.at)
        if args.command == "accounts":
            return accounts_command(
                args.action, args.file, args.format, args.dry_run, args.output, args.encoding
            )
        if args.command == "export":
            export_command(args.format, args.since, args.output, args.what, args.tag)
            return 0
        if args.command == "db":
            from assistant.settings import DatabaseSettings

            db_command(DatabaseSettings().database_url, args.action)
            return 0
        if args.command == "digest" and args.quarter:
            return quarterly_command(args.quarter)
        if args.command == "digest" and args.dry_run:
            digest_dry_run(args.week_ending, args.chart)
            return 0
        settings = load_settings()
        if args.command == "digest":
            digest_command(settings)
            return 0
        serve(settings, args.host, args.port, args.threads)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
