"""Canvases as Slack keeps them: a document of sections (each header, paragraph or list item is
one, with its own id), written and edited in markdown (canvases.create, canvases.edit), found by
canvases.sections.lookup."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

_IDS = itertools.count(1)
_HEADER = re.compile(r"^(#{1,3})\s+(.*)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
MAX_MARKDOWN = 1024 * 1024  # 1 MiB per create or change


@dataclass
class Section:
    kind: str  # h1 | h2 | h3 | paragraph | list_item
    markdown: str
    id: str = field(default_factory=lambda: f"temp:C:{next(_IDS):028d}")

    def text(self) -> str:
        """What a reader sees: markup and escapes taken out (what contains_text searches)."""
        plain = re.sub(r"^#{1,3}\s+|^\s*(?:[-*+]|\d+\.)\s+", "", self.markdown)
        plain = re.sub(r"(?<!\\)[*_~`]", "", plain)
        return re.sub(r"\\(.)", r"\1", plain)


def parse(markdown: str) -> list[Section]:
    """Markdown into sections, as CommonMark reads it: each header line, each list item (a bullet
    interrupts a paragraph, a numbered item only from 1), each paragraph (lines until a blank line;
    a line ending in two spaces is a line break inside it); a paragraph underlined with === or ---
    is a header."""
    sections: list[Section] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            sections.append(Section("paragraph", "\n".join(paragraph)))
            paragraph.clear()

    for line in markdown.split("\n"):
        header = _HEADER.match(line)
        underline = re.fullmatch(r" {0,3}(=+|-+)\s*", line)
        if not line.strip():
            close()
        elif header:
            close()
            sections.append(Section(f"h{len(header.group(1))}", line))
        elif underline and paragraph:
            level = "h1" if underline.group(1).startswith("=") else "h2"
            sections.append(Section(level, "\n".join(paragraph)))
            paragraph.clear()
        elif _LIST_ITEM.match(line) and (not paragraph or re.match(r"\s*(?:[-*+]|1\.)\s+\S", line)):
            close()
            sections.append(Section("list_item", line))
        else:
            paragraph.append(line)
    close()
    return sections


@dataclass
class Canvas:
    id: str
    channel_id: str
    title: str
    sections: list[Section]
    edits: int = 0

    def markdown(self) -> str:
        return "\n\n".join(s.markdown for s in self.sections)

    def index_of(self, section_id: str) -> int | None:
        return next((i for i, s in enumerate(self.sections) if s.id == section_id), None)
