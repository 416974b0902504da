"""Where the content a CS-ops team may change is found: built in, or in their own CUSTOM_DIR.

The built-in content lives at the top of the repository (`messages/`) and is installed as
the package `assistant_content`, so a checkout and an installed wheel find it the same way.
A folder named by the setting CUSTOM_DIR, with the same layout, replaces it file by file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def content_dir(kind: str) -> Path:
    """The built-in content folder `kind` (messages…), wherever the package is installed."""
    return Path(str(files(f"assistant_content.{kind}")))


def content_folders(custom_dir: Path | None, relative: str) -> list[Path]:
    """Where `relative` (messages/templates…) is looked up: a team's folder first, then ours."""
    ours = content_dir(relative.split("/")[0]).joinpath(*relative.split("/")[1:])
    if custom_dir is not None and (custom_dir / relative).is_dir():
        return [custom_dir / relative, ours]
    return [ours]
