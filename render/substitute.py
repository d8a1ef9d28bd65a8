"""Flux post-build variable substitution: `${var}`, `${var:=default}`, `${var:-default}`.

Stricter than Flux on purpose: a variable with no value and no default is an error here
(Flux would substitute an empty string), so a typo is caught before it reaches a cluster.
`$${var}` stays as the literal `${var}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

VARIABLE = re.compile(r"(\$)?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[=-]([^}]*))?\}")
DISABLED = "kustomize.toolkit.fluxcd.io/substitute"


def substitute(obj: dict[str, Any], values: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The object with variables replaced, and the names of variables that had no value."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if annotations.get(DISABLED) == "disabled":
        return obj, []
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        if name in values:
            return values[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    text = VARIABLE.sub(replace, yaml.safe_dump(obj, sort_keys=False))
    return yaml.safe_load(text), missing
