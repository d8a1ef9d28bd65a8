"""Helm's way of layering values: maps merge key by key, anything else is replaced.

One function for the add-on units (defaults, then a per-environment escape hatch), the
offline render of the platform releases (values, then `set`) and of HelmReleases
(valuesFrom, then spec.values): Helm's mergeMaps and fluxcd/pkg's chartutil MergeMaps
behave alike for values read from YAML or JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`overrides` wins; nested mappings merge key by key, everything else is replaced."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
