"""How paths appear in messages: relative to where the user runs the command, when inside it."""

from __future__ import annotations

from pathlib import Path


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
