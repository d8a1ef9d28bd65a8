"""A synthesized `helm_release` → the values Terraform's helm provider would hand the chart, offline.

As the provider does (terraform-provider-helm `getValues`): every `values` entry is a
YAML document, merged in order (maps key by key, anything else replaced), then each
`set` and `set_list` is applied as a `--set` expression. `set_sensitive` is refused:
secrets are never rendered.

A value Terraform knows only after deploy is a `${…}` expression. Each is replaced by a
stand-in of the same shape: the bridge contract's stand-in when the bridge ConfigMap
carries the same expression (so the clusters and the platform charts see one value),
else one chosen by what the expression names (resource type and attribute); both live
in render/terraform_stand_ins.py. An expression neither covers is an error: `${…}` text
never reaches a chart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from render import helm
from render.terraform_stand_ins import EXPRESSION, bridge_stand_ins, table_stand_in
from stacks.merge import deep_merge

UNCLOSED = re.compile(r"(?<!\$)\$\{")  # left after every expression is replaced: a malformed one


class ValuesProblem(Exception):
    """One problem with a release's values; the caller says which release."""


@dataclass(frozen=True)
class StackFacts:
    """What every stand-in is filled from, read from the stack's AWS provider and default tags."""

    project: str
    env: str
    region: str
    account_id: str


def stack_facts(stack: Mapping[str, Any]) -> StackFacts:
    try:
        [provider] = stack["provider"]["aws"]
        [tags] = provider["default_tags"]
        [account_id] = provider["allowed_account_ids"]
        return StackFacts(tags["tags"]["Project"], tags["tags"]["Environment"], provider["region"], account_id)
    except (KeyError, TypeError, ValueError):
        raise ValuesProblem(
            "stand-ins need the stack's AWS provider (region, one allowed account, Project and Environment tags)"
        ) from None


def release_values(release: Mapping[str, Any], stack: Mapping[str, Any]) -> dict[str, Any]:
    """The values of one synthesized helm_release, every `${…}` replaced by its stand-in."""
    for sensitive in ("set_sensitive", "set_wo"):
        if release.get(sensitive):
            names = ", ".join(str(entry.get("name")) for entry in release[sensitive])
            raise ValuesProblem(
                f"{sensitive} ({names}): secrets are never rendered; give the chart a Kubernetes Secret instead"
            )
    merged: dict[str, Any] = {}
    for index, text in enumerate(release.get("values") or []):
        if not text:
            continue
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValuesProblem(f"values[{index}]: not valid YAML: {' '.join(str(error).split())}") from None
        if not isinstance(document, dict):
            raise ValuesProblem(f"values[{index}]: not a YAML mapping: {str(text)[:80]}")
        merged = deep_merge(merged, document)
    for entry in release.get("set") or []:
        merged = _set(merged, str(entry.get("name", "")), str(entry.get("value", "")), entry.get("type"))
    for entry in release.get("set_list") or []:
        items = ",".join(str(item) for item in entry.get("value") or [])
        merged = _set(merged, str(entry.get("name", "")), "{" + items + "}", None)
    stand_ins = StandIns(stack)
    resolved: dict[str, Any] = stand_ins.resolve(merged, "values")
    return resolved


def _set(values: dict[str, Any], name: str, value: str, kind: str | None) -> dict[str, Any]:
    """One `set` entry applied as the provider's `getValue` does."""
    if kind == "literal":  # the provider assigns the top-level key, no path parsing, no merge
        try:
            return {**values, name: yaml.safe_load(value)}
        except yaml.YAMLError as error:
            raise ValuesProblem(f"set {name}: not valid YAML: {' '.join(str(error).split())}") from None
    if "[" in name:
        # strvals writes one element of an existing list in place; parsing apart and merging
        # would replace the whole list, so this is refused rather than rendered differently.
        raise ValuesProblem(f"set {name}: a list index in a set name is not rendered offline")
    try:
        if kind == "string":
            return deep_merge(values, helm.parse_set(f"{name}={value}", strings=True))
        if kind in (None, "", "auto"):
            return deep_merge(values, helm.parse_set(f"{name}={value}", strings=False))
    except ValueError as error:
        raise ValuesProblem(f"set {name}: {' '.join(str(error).split())}") from None
    raise ValuesProblem(f"set {name}: unknown type {kind!r} (auto, string or literal)")


class StandIns:
    """`${…}` → offline stand-in for one stack."""

    def __init__(self, stack: Mapping[str, Any]) -> None:
        self._stack = stack
        self._bridge = bridge_stand_ins(stack)

    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            for key in value:
                if "${" in str(key):
                    raise ValuesProblem(f"{path}: key {key} is a Terraform expression")
            return {key: self.resolve(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, f"{path}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, str):
            if "%{" in value.replace("%%{", ""):
                raise ValuesProblem(f"{path}: a Terraform template directive (%{{…}}) has no offline value")
            resolved = EXPRESSION.sub(lambda match: self.stand_in(match[1], path), value)
            if UNCLOSED.search(resolved):
                raise ValuesProblem(f"{path}: a `${{` that does not close: {value}")
            return resolved.replace("$${", "${").replace("%%{", "%{")
        return value

    def stand_in(self, expression: str, path: str) -> str:
        template = self._bridge[expression] if expression in self._bridge else table_stand_in(expression)
        if template is None:
            raise ValuesProblem(
                f"{path}: ${{{expression}}} is known only after deploy and has no offline stand-in "
                "(add the resource type and attribute to render/terraform_stand_ins.py STAND_INS)"
            )
        return self._format(template)

    def _format(self, template: str) -> str:
        facts = stack_facts(self._stack)
        return template.format(project=facts.project, env=facts.env, region=facts.region, account_id=facts.account_id)
