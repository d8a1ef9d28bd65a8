"""renovate.json's custom regex managers, applied here as Renovate applies them
(lib/modules/manager/custom/regex: every matchString with the `g` flag; `recursive` runs
each pattern on the previous one's match and keeps the named groups of all of them;
`<field>Template` wins over the group of the same name).

The patterns are RE2 (what Renovate compiles them with) and JavaScript syntax: named groups
are `(?<name>…)`. They are checked to stay inside what RE2 accepts, then translated to
Python's `re` with ASCII classes, as RE2's are.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.policy.renovate_pins import Pin, normalized, registry_url

# What RE2 refuses and JavaScript accepts: lookaround, backreferences, atomic and
# possessive forms. Renovate's validator compiles with JavaScript's RegExp where re2 is
# not built (make installs without it), so this check stands in for RE2.
NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\\k<|\(\?>|[*+?}][+]")
TEMPLATE = re.compile(r"\{\{\{?\s*(\w+)\s*\}?\}\}")


@dataclass(frozen=True)
class Manager:
    index: int
    file_patterns: tuple[str, ...]
    match_strings: tuple[str, ...]
    strategy: str
    templates: dict[str, str]

    @property
    def name(self) -> str:
        return f"customManagers[{self.index}]"

    def selects(self, file: str) -> bool:
        """managerFilePatterns: `/…/` is a regex searched in the path, anything else a glob."""
        for pattern in self.file_patterns:
            if pattern.startswith("/") and pattern.endswith("/") and len(pattern) > 1:
                if re.search(python_pattern(pattern[1:-1]), file):
                    return True
            elif fnmatch.fnmatchcase(file, pattern):
                return True
        return False


def managers(config: Path) -> list[Manager]:
    found = []
    for index, raw in enumerate(json.loads(config.read_text()).get("customManagers", [])):
        templates = {k.removesuffix("Template"): v for k, v in raw.items() if k.endswith("Template")}
        found.append(
            Manager(
                index,
                tuple(raw.get("managerFilePatterns", [])),
                tuple(raw["matchStrings"]),
                raw.get("matchStringsStrategy", "any"),
                templates,
            )
        )
    return found


def re2_problems(pattern: str) -> list[str]:
    return [f"{pattern!r}: {found[0]!r} is not RE2 syntax" for found in NOT_RE2.finditer(pattern)]


def python_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern), re.ASCII)


def matches(manager: Manager, file: str, text: str) -> Iterator[Pin]:
    """The dependencies `manager` extracts from `text`, as inventory pins."""
    patterns = [python_pattern(p) for p in manager.match_strings]
    if manager.strategy == "any":
        for pattern in patterns:
            for found in pattern.finditer(text):
                yield _dependency(manager, file, _groups(found))
    elif manager.strategy == "recursive":
        yield from _recursive(manager, file, text, patterns, {})
    else:
        raise NotImplementedError(f"{manager.name}: matchStringsStrategy {manager.strategy!r} is not emulated")


def _recursive(
    manager: Manager, file: str, text: str, patterns: list[re.Pattern[str]], groups: dict[str, str]
) -> Iterator[Pin]:
    if not patterns:
        yield _dependency(manager, file, groups)
        return
    for found in patterns[0].finditer(text):
        yield from _recursive(manager, file, found[0], patterns[1:], {**groups, **_groups(found)})


def _groups(found: re.Match[str]) -> dict[str, str]:
    return {k: v for k, v in found.groupdict().items() if v is not None}


def _dependency(manager: Manager, file: str, groups: dict[str, str]) -> Pin:
    fields: dict[str, Any] = dict(groups)
    for field, template in manager.templates.items():
        if "{{#" in template or "{{/" in template:
            raise NotImplementedError(f"{manager.name}: template {template!r} uses helpers the test does not emulate")
        fields[field] = TEMPLATE.sub(lambda m: str(groups.get(m[1], "")), template)
    datasource = str(fields.get("datasource", "?"))
    package = str(fields.get("packageName") or fields.get("depName", "?"))
    if datasource == "pypi":
        package = normalized(package)
    registry = registry_url(str(fields["registryUrl"])) if fields.get("registryUrl") else ""
    return Pin(file, datasource, package, str(fields.get("currentValue", "?")), registry, custom=True)
