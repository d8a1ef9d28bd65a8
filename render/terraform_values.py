"""A synthesized `helm_release` → the values Terraform's helm provider would hand the chart, offline.

As the provider does (terraform-provider-helm `getValues`): every `values` entry is a
YAML document, merged in order (maps key by key, anything else replaced), then each
`set` and `set_list` is applied as a `--set` expression. `set_sensitive` is refused:
secrets are never rendered.

A value Terraform knows only after deploy is a `${…}` expression. Each is replaced by a
stand-in of the same shape: the bridge contract's stand-in when the bridge ConfigMap
carries the same expression (so the clusters and the platform charts see one value),
else one chosen by what the expression names (resource type and attribute). An
expression neither covers is an error: `${…}` text never reaches a chart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import helm_python
import yaml

from stacks import bridge

EXPRESSION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
UNCLOSED = re.compile(r"(?<!\$)\$\{")  # left after every expression is replaced: a malformed one
# `data.aws_vpc.main.id`, `aws_iam_role.x.arn`, `aws_db_instance.x.master_user_secret[0].secret_arn`
REFERENCE = re.compile(
    r"^(?:data\.)?(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)\.(?P<attribute>[A-Za-z0-9_.\[\]]+)$"
)
# A CDKTF stack reference: the producing stack's output named after the expression without `.[]`.
REMOTE = re.compile(
    r"^data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.cross-stack-output-(?P<flat>[A-Za-z0-9_-]+)$"
)
LOGICAL_ID = "[A-Za-z][A-Za-z0-9_-]*_[0-9A-F]{8}"  # CDKTF's `<path>_<hash>`
UUID = "00000000-0000-4000-8000-000000000000"

# (resource type, attribute) → stand-in, formatted with the stack's facts.
STAND_INS: dict[tuple[str, str], str] = {
    ("aws_route53_zone", "zone_id"): bridge.CONTRACT["hosted_zone_id"].offline,
    ("aws_route53_zone", "arn"): "arn:aws:route53:::hostedzone/" + bridge.CONTRACT["hosted_zone_id"].offline,
    ("aws_vpc", "id"): bridge.CONTRACT["vpc_id"].offline,
    ("aws_subnet", "id"): "subnet-0123456789abcdef0",
    ("aws_security_group", "id"): "sg-0123456789abcdef0",
    ("aws_iam_role", "arn"): "arn:aws:iam::{account_id}:role/{project}-{env}-stand-in",
    ("aws_iam_role", "name"): "{project}-{env}-stand-in",
    ("aws_acm_certificate", "arn"): bridge.CONTRACT["certificate_arn"].offline,
    ("aws_acm_certificate_validation", "certificate_arn"): bridge.CONTRACT["certificate_arn"].offline,
    ("aws_kms_key", "arn"): f"arn:aws:kms:{{region}}:{{account_id}}:key/{UUID}",
    ("aws_kms_key", "key_id"): UUID,
    (
        "aws_secretsmanager_secret",
        "arn",
    ): "arn:aws:secretsmanager:{region}:{account_id}:secret:{project}/{env}/stand-in-AbCdEf",
    ("aws_eks_cluster", "name"): bridge.CONTRACT["cluster_name"].offline,
    ("aws_eks_cluster", "arn"): "arn:aws:eks:{region}:{account_id}:cluster/" + bridge.CONTRACT["cluster_name"].offline,
    ("aws_eks_cluster", "endpoint"): "https://0123456789ABCDEF0123456789ABCDEF.gr7.{region}.eks.amazonaws.com",
    ("aws_ecr_repository", "repository_url"): bridge.CONTRACT["ecr_repository_url"].offline,
    ("aws_ecr_repository", "arn"): "arn:aws:ecr:{region}:{account_id}:repository/{project}/{env}/app",
    ("aws_db_instance", "address"): bridge.CONTRACT["db_host"].offline,
    ("aws_db_instance", "port"): bridge.CONTRACT["db_port"].offline,
    ("aws_db_instance", "master_user_secret[0].secret_arn"): bridge.CONTRACT["db_secret_arn"].offline,
    ("aws_sqs_queue", "arn"): "arn:aws:sqs:{region}:{account_id}:{project}-{env}-stand-in",
    ("aws_sqs_queue", "url"): "https://sqs.{region}.amazonaws.com/{account_id}/{project}-{env}-stand-in",
}


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
        merged = merge(merged, document)
    for entry in release.get("set") or []:
        merged = _set(merged, str(entry.get("name", "")), str(entry.get("value", "")), entry.get("type"))
    for entry in release.get("set_list") or []:
        items = ",".join(str(item) for item in entry.get("value") or [])
        merged = _set(merged, str(entry.get("name", "")), "{" + items + "}", None)
    stand_ins = StandIns(stack)
    resolved: dict[str, Any] = stand_ins.resolve(merged, "values")
    return resolved


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: a map into a map merges key by key; anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


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
            return merge(values, helm_python.parse_set_string_values(f"{name}={value}"))
        if kind in (None, "", "auto"):
            return merge(values, helm_python.parse_set_string(f"{name}={value}"))
    except helm_python.HelmValuesError as error:
        raise ValuesProblem(f"set {name}: {' '.join(str(error).split())}") from None
    raise ValuesProblem(f"set {name}: unknown type {kind!r} (auto, string or literal)")


class StandIns:
    """`${…}` → offline stand-in for one stack."""

    def __init__(self, stack: Mapping[str, Any]) -> None:
        self._stack = stack
        self._bridge = _bridge_expressions(stack)

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
        if expression in self._bridge:
            return self._format(self._bridge[expression])
        for (kind, attribute), template in STAND_INS.items():
            if _names(expression, kind, attribute):
                return self._format(template)
        raise ValuesProblem(
            f"{path}: ${{{expression}}} is known only after deploy and has no offline stand-in "
            "(add the resource type and attribute to render/terraform_values.py STAND_INS)"
        )

    def _format(self, template: str) -> str:
        facts = stack_facts(self._stack)
        return template.format(project=facts.project, env=facts.env, region=facts.region, account_id=facts.account_id)


def _names(expression: str, kind: str, attribute: str) -> bool:
    """True if `expression` reads `attribute` of a `kind` resource, here or through a stack reference."""
    reference = REFERENCE.match(expression)
    if reference and not expression.startswith("data.terraform_remote_state."):
        return (reference["type"], reference["attribute"]) == (kind, attribute)
    remote = REMOTE.match(expression)
    flat_attribute = re.sub(r"[.\[\]]", "", attribute)
    return bool(remote and re.fullmatch(re.escape(kind) + LOGICAL_ID + re.escape(flat_attribute), remote["flat"]))


def _bridge_expressions(stack: Mapping[str, Any]) -> dict[str, str]:
    """Expression → the bridge contract's stand-in, for each bridge key whose value is one expression."""
    found: dict[str, str] = {}
    for config_map in stack.get("resource", {}).get("kubernetes_config_map_v1", {}).values():
        if config_map.get("metadata", {}).get("name") != bridge.NAME:
            continue
        for key, value in config_map.get("data", {}).items():
            whole = EXPRESSION.fullmatch(str(value))
            entry = bridge.CONTRACT.get(key)
            if whole and entry and entry.offline:
                found[whole[1]] = entry.offline
    return found
