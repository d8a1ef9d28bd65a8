"""Shared helpers for reading synthesized stacks."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


def resources(document: Document, kind: str) -> dict[str, dict[str, Any]]:
    """Every resource of one Terraform type in a stack, by its logical name."""
    return dict(document.get("resource", {}).get(kind, {}))


def only(document: Document, kind: str) -> dict[str, Any]:
    found = list(resources(document, kind).values())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def data_sources(document: Document, kind: str) -> dict[str, dict[str, Any]]:
    return dict(document.get("data", {}).get(kind, {}))


def reference(kind: str, name: str, attribute: str) -> str:
    return "${" + f"{kind}.{name}.{attribute}" + "}"
