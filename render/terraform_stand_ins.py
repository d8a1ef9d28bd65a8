"""Which offline stand-in replaces a Terraform `${…}` expression known only after deploy.

Two sources, in this order: the bridge contract's stand-in when the stack's bridge
ConfigMap carries the same expression (so the clusters and the platform charts see one
value), else the table below, chosen by the resource type and attribute the expression
reads, directly or through a CDKTF stack reference. A stand-in has the shape of the real
value; its `{project}`, `{env}`, `{region}` and `{account_id}` are the stack's
(render/terraform_values.py fills them in).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stacks import bridge

EXPRESSION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
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
    # The master secret RDS names itself; since the app has its own credential, only the data
    # stack (the rotation function) reads it.
    (
        "aws_db_instance",
        "master_user_secret[0].secret_arn",
    ): "arn:aws:secretsmanager:{region}:{account_id}:secret:rds!db-" + UUID + "-AbCdEf",
    ("aws_sqs_queue", "arn"): "arn:aws:sqs:{region}:{account_id}:{project}-{env}-stand-in",
    ("aws_sqs_queue", "url"): "https://sqs.{region}.amazonaws.com/{account_id}/{project}-{env}-stand-in",
}


def table_stand_in(expression: str) -> str | None:
    """The first STAND_INS template whose resource type and attribute `expression` reads, else None."""
    for (kind, attribute), template in STAND_INS.items():
        if _names(expression, kind, attribute):
            return template
    return None


def bridge_stand_ins(stack: Mapping[str, Any]) -> dict[str, str]:
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


def _names(expression: str, kind: str, attribute: str) -> bool:
    """True if `expression` reads `attribute` of a `kind` resource, here or through a stack reference."""
    reference = REFERENCE.match(expression)
    if reference and not expression.startswith("data.terraform_remote_state."):
        return (reference["type"], reference["attribute"]) == (kind, attribute)
    remote = REMOTE.match(expression)
    flat_attribute = re.sub(r"[.\[\]]", "", attribute)
    return bool(remote and re.fullmatch(re.escape(kind) + LOGICAL_ID + re.escape(flat_attribute), remote["flat"]))
