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


def by_path(document: Document, kind: str, path: str) -> tuple[str, dict[str, Any]]:
    """The one resource of `kind` whose construct path ends with `path`, with its logical name."""
    matches = [
        (name, body)
        for name, body in resources(document, kind).items()
        if body["//"]["metadata"]["path"].endswith("/" + path)
    ]
    assert len(matches) == 1, f"{kind} at */{path}: found {len(matches)}"
    return matches[0]


def ref(kind: str, name: str, attribute: str) -> str:
    return "${" + f"{kind}.{name}.{attribute}" + "}"


def remote(value: str, stack: str) -> bool:
    """True if `value` is read from another stack's state (a CDKTF stack reference)."""
    return value.startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{stack}.outputs.")
