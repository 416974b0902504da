"""Response templates (`messages/responses/<language>.yml`): starting drafts the acknowledgement and
update forms offer, per problem type (a category of the playbook, or `any`) and language. A team's
CUSTOM_DIR/messages/responses/<language>.yml replaces ours for that language."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.content.paths import content_folders
from assistant.content.playbook import PlaybookProblem

# Where each form's drafts are listed.
ACKNOWLEDGEMENT, UPDATE = "acknowledgement", "update"
# Drafts for every problem type, after the type's own.
ANY = "any"
ENGLISH = "en"
# Slack shows 75 characters of an option's text, and 100 options at most.
LABEL_MAX = 75
PER_FORM_MAX = 100


class ResponseTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=LABEL_MAX)
    text: str = Field(min_length=1, max_length=2500)

    @field_validator("text")
    @classmethod
    def _promises_a_time(cls, text: str) -> str:
        if "{time}" not in text:
            raise ValueError("every draft promises the next update: put {time} where the time goes")
        return text

    def filled(self, *, account: str, owner: str, time: str) -> str:
        # str.replace, not str.format: a draft may hold braces of its own.
        return self.text.replace("{account}", account).replace("{owner}", owner).replace("{time}", time)


class ResponseLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    acknowledgement: dict[str, tuple[ResponseTemplate, ...]] = {}
    update: dict[str, tuple[ResponseTemplate, ...]] = {}

    def offered(self, form: str, category: str) -> list[ResponseTemplate]:
        """The category's drafts, then those for any case (each id once)."""
        by_type: dict[str, tuple[ResponseTemplate, ...]] = getattr(self, form)
        found: dict[str, ResponseTemplate] = {}
        for template in (*by_type.get(category, ()), *by_type.get(ANY, ())):
            found.setdefault(template.id, template)
        return list(found.values())[:PER_FORM_MAX]


class ResponseFileError(ValueError):
    pass


def _file_of(custom_dir: Path | None, language: str) -> Path | None:
    for folder in content_folders(custom_dir, "messages/responses"):
        path = folder / f"{language}.yml"
        if path.is_file():
            return path
    return None


@cache
def read_library(path: Path) -> ResponseLibrary:
    try:
        return ResponseLibrary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise ResponseFileError(f"{path}: {exc}") from exc


def library(custom_dir: Path | None, locale: str) -> ResponseLibrary:
    """The drafts in `locale` (pt_BR), else its language's (pt), else English's."""
    for language in dict.fromkeys((locale.replace("-", "_"), locale.split("_")[0].split("-")[0], ENGLISH)):
        path = _file_of(custom_dir, language)
        if path is not None:
            return read_library(path)
    return ResponseLibrary()


def check_libraries(custom_dir: Path | None) -> list[PlaybookProblem]:
    """Every response file in effect, read: the problems found (none: all good)."""
    problems = []
    for folder in content_folders(custom_dir, "messages/responses"):
        for path in sorted(folder.glob("*.yml")):
            try:
                read_library(path)
            except ResponseFileError as exc:
                problems.append(PlaybookProblem(path, 1, str(exc).removeprefix(f"{path}: ")))
    return problems
