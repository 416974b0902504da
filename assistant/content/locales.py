"""Which languages we can write in: ours (the catalogs we ship) and a team's own
(CUSTOM_DIR/messages/locale/<name>), and the one we choose for a Slack locale."""

from __future__ import annotations

from pathlib import Path

from assistant.content.paths import content_folders

ENGLISH = "en"
# The languages we ship, as gettext names them (the catalogs' folder names).
SHIPPED = ("en", "pt_BR", "es")
CATALOG = "LC_MESSAGES/messages.po"


def available_locales(custom_dir: Path | None) -> tuple[str, ...]:
    """The locales with a catalog, ours and the team's (read when the content is loaded)."""
    names = set(SHIPPED)
    for folder in content_folders(custom_dir, "messages/locale"):
        if folder.is_dir():
            names.update(p.parent.parent.name for p in folder.glob(f"*/{CATALOG}"))
    return tuple(sorted(names))


def negotiate(slack_locale: str | None, have: tuple[str, ...]) -> str:
    """Our locale for a Slack locale ("pt-BR", "es-419", "es-ES", "fr-FR"): the same locale if
    we have it, else another of its language, else English."""
    if not slack_locale:
        return ENGLISH
    wanted = slack_locale.replace("-", "_")
    if wanted in have:
        return wanted
    language = wanted.split("_")[0].lower()
    if language in have:
        return language
    return next((h for h in have if h.split("_")[0].lower() == language), ENGLISH)


def catalog_path(locale: str, custom_dir: Path | None = None) -> Path | None:
    """The catalog for `locale`: a team's own first, else ours."""
    for folder in content_folders(custom_dir, "messages/locale"):
        path = folder / locale / CATALOG
        if path.is_file():
            return path
    return None
