"""A rendering problem, located by file (or Kustomization), object and field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RenderError(Exception):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def describe(source: str, obj: dict[str, Any]) -> str:
    """`<source>: <Kind> <namespace>/<name>`."""
    metadata = obj.get("metadata") or {}
    name = f"{metadata['namespace']}/{metadata.get('name')}" if metadata.get("namespace") else metadata.get("name")
    return f"{source}: {obj.get('kind')} {name}"


def located(source: str, obj: dict[str, Any], message: str) -> str:
    return f"{describe(source, obj)}: {message}"
