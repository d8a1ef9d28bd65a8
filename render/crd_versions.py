"""Which versions of a CRD an object may use: served, and not deprecated.

The API server refuses a version the CRD does not define or does not serve, and answers
a deprecated one with a warning (the CRD's `deprecationWarning`, or "<group>/<version>
<Kind> is deprecated"). Here a deprecated version is an error: Flux and External
Secrets stop serving what they deprecate, so the manifest is already due for a change.
The replacement offered is the storage version, or else the newest served version that
is not deprecated, newest by Kubernetes' version priority (v2 > v1 > v1beta2 > v1alpha1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Version:
    name: str
    served: bool
    storage: bool
    deprecated: bool
    warning: str | None
    schema: dict[str, Any]


def version_problems(group: str, kind: str, versions: dict[str, Version], wanted: str, origin: str) -> list[str]:
    """[] when `wanted` may be used, else the one line that says why not and what to use."""
    served = [f"{group}/{name}" for name in by_priority(versions) if versions[name].served]
    version = versions.get(wanted)
    if version is None or not version.served:
        state = "is not a version of" if version is None else "is no longer served for"
        return [f"apiVersion: {group}/{wanted} {state} {kind} ({origin}); served: {', '.join(served) or 'none'}"]
    if not version.deprecated:
        return []
    warning = version.warning or f"{group}/{wanted} {kind} is deprecated"
    better = replacement(versions)
    use = f"; use {group}/{better}" if better else "; no served version replaces it"
    return [f"apiVersion: {group}/{wanted} {kind} is deprecated ({origin}): {warning!r}{use}"]


def replacement(versions: dict[str, Version]) -> str | None:
    current = [name for name in by_priority(versions) if versions[name].served and not versions[name].deprecated]
    storage = [name for name in current if versions[name].storage]
    preferred = storage or current
    return preferred[0] if preferred else None


def by_priority(versions: dict[str, Version]) -> list[str]:
    return sorted(versions, key=_priority)


def _priority(name: str) -> tuple[int, int, int, str]:
    """Sort key, highest priority first: GA before beta before alpha, larger numbers first, others last by name."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", name)
    if match is None:
        return (3, 0, 0, name)
    stability = {None: 0, "beta": 1, "alpha": 2}[match[2]]
    return (stability, -int(match[1]), -int(match[3] or 0), name)
