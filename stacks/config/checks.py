"""Rules that relate several fields.

A rule runs as soon as the top-level sections it reads are valid on their own, so a
file with a bad CIDR still hears about its node-group sizes in the same run. Each rule
yields `(field path, message)` pairs.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from stacks.config.addon_versions import ADDON_VERSIONS, supported_minors
from stacks.config.model import (
    KMS_KEY_ARN,
    Cluster,
    Database,
    Dns,
    Network,
    Observability,
    Platform,
    StateBackend,
)
from stacks.config.subnets import SubnetPlanError, plan_subnets
from stacks.naming import ci_role_arn

# Tags the stacks set on every resource; an environment file must not override them.
RESERVED_TAGS = ("Project", "Environment", "ManagedBy", "Repository")

# Graviton families carry a "g" right after the generation number: t4g, m7gd, c7gn, im4gn.
GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g")

Problem = tuple[str, str]
Rule = Callable[..., Iterator[Problem]]


def cross_field_problems(sections: Mapping[str, Any]) -> list[Problem]:
    """Run every rule whose inputs (its parameter names) are among the valid `sections`."""
    problems: list[Problem] = []
    for rule in RULES:
        needs = list(inspect.signature(rule).parameters)
        if all(name in sections for name in needs):
            problems.extend(rule(**{name: sections[name] for name in needs}))
    return problems


def _zones(region: str, network: Network) -> Iterator[Problem]:
    zones = network.availability_zones
    for index, zone in enumerate(zones):
        if zone[:-1] != region:
            yield f"network.availability_zones[{index}]", f"{zone} is not in region {region}"
    for zone, count in Counter(zones).items():
        if count > 1:
            yield "network.availability_zones", f"{zone} is listed {count} times"
    if network.nat_gateways > len(zones):
        yield (
            "network.nat_gateways",
            f"{network.nat_gateways} NAT gateways need as many availability zones; {len(zones)} configured",
        )


def _subnets(network: Network) -> Iterator[Problem]:
    try:
        plan_subnets(network.cidr, len(network.availability_zones), network.subnet_prefixes.model_dump())
    except SubnetPlanError as error:
        yield error.field, str(error)


def _node_groups(cluster: Cluster) -> Iterator[Problem]:
    names = Counter(group.name for group in cluster.node_groups)
    for index, group in enumerate(cluster.node_groups):
        where = f"cluster.node_groups[{index}]"
        if names[group.name] > 1:
            yield f"{where}.name", f"{group.name!r} is used by more than one node group"
        if not group.min_size <= group.desired_size <= group.max_size:
            sizes = f"{group.min_size} ≤ {group.desired_size} ≤ {group.max_size}"
            yield f"{where}.desired_size", f"needs min_size ≤ desired_size ≤ max_size, got {sizes}"
        arm = group.ami_type.startswith("AL2023_ARM")
        for position, instance_type in enumerate(group.instance_types):
            if arm != (GRAVITON_FAMILY.match(instance_type) is not None):
                yield (
                    f"{where}.instance_types[{position}]",
                    f"{instance_type} does not match ami_type {group.ami_type}",
                )


def _kubernetes_version(cluster: Cluster) -> Iterator[Problem]:
    """A minor is deployable only with reviewed add-on versions (stacks/config/addon_versions.py)."""
    if cluster.kubernetes_version not in ADDON_VERSIONS:
        yield (
            "cluster.kubernetes_version",
            f"{cluster.kubernetes_version!r} has no EKS add-on versions in stacks/config/addon_versions.py "
            f"(supported: {', '.join(supported_minors())}); add its row first (docs/runbooks/upgrade-kubernetes.md)",
        )


def _storage(database: Database) -> Iterator[Problem]:
    if database.max_allocated_storage_gib < database.allocated_storage_gib:
        yield (
            "database.max_allocated_storage_gib",
            f"{database.max_allocated_storage_gib} is below allocated_storage_gib ({database.allocated_storage_gib})",
        )


# Role names PostgreSQL refuses ("pg_" prefix, "public") or RDS keeps for itself (rdsadmin,
# rds_superuser, rds_iam, …): https://www.postgresql.org/docs/current/sql-createrole.html,
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.html
RESERVED_ROLE_PREFIXES = ("pg_", "rds")
RESERVED_ROLES = ("public",)


def _app_user(database: Database) -> Iterator[Problem]:
    """The app's role and its alternate are neither the master user nor a reserved role."""
    name = database.app_user.name
    roles = (name, f"{name}_clone")
    if database.master_username in roles:
        yield (
            "database.app_user.name",
            f"{name!r} (or its alternate {name}_clone) is the master user; the app must have a role of its own",
        )
    if name in RESERVED_ROLES or name.startswith(RESERVED_ROLE_PREFIXES):
        yield "database.app_user.name", f"{name!r} is reserved by PostgreSQL or RDS (public, pg_…, rds…)"


def _reserved_tags(tags: dict[str, str]) -> Iterator[Problem]:
    for key in tags:
        if key in RESERVED_TAGS:
            yield f"tags.{key}", "is set by the stacks for every resource; remove it here"


def _production_tier(tier: str, network: Network, database: Database) -> Iterator[Problem]:
    """A production environment may not quietly lose data or availability."""
    if tier != "production":
        return
    required = {
        "database.multi_az": database.multi_az,
        "database.deletion_protection": database.deletion_protection,
        "database.final_snapshot": database.final_snapshot,
    }
    for field, value in required.items():
        if not value:
            yield field, "must be true when tier is production"
    if database.backup_retention_days < 7:
        yield "database.backup_retention_days", "must be at least 7 when tier is production"
    zones = len(network.availability_zones)
    if network.nat_gateways != zones:
        yield "network.nat_gateways", f"must be one per availability zone ({zones}) when tier is production"


def _production_secrets(tier: str, platform: Platform) -> Iterator[Problem]:
    """A production secret deleted by mistake can still be restored."""
    if tier == "production" and platform.secret_recovery_days < 7:
        yield "platform.secret_recovery_days", "must be at least 7 when tier is production"


def _admin_principals(project: str, name: str, account_id: str, cluster: Cluster) -> Iterator[Problem]:
    """Every principal gets one access entry; a second entry for the same one fails the apply."""
    ci_roles = {
        ci_role_arn(account_id=account_id, project=project, environment=name, role=role): role
        for role in ("deploy", "plan")
    }
    seen: set[str] = set()
    for index, arn in enumerate(cluster.admin_principal_arns):
        where = f"cluster.admin_principal_arns[{index}]"
        if arn in ci_roles:
            yield where, f"{arn} is the CI {ci_roles[arn]} role, which has its own access entry; remove it here"
        elif arn in seen:
            yield where, f"{arn} is listed twice; EKS allows one access entry per principal"
        seen.add(arn)


def _state_key(account_id: str, region: str, state: StateBackend) -> Iterator[Problem]:
    """S3 encrypts with a KMS key of the bucket's own account and region only."""
    match = KMS_KEY_ARN.match(state.kms_key_arn or "")
    if match is None:
        return
    if match["account"] != account_id:
        yield "state.kms_key_arn", f"is in account {match['account']}, not in this environment's {account_id}"
    bucket_region = state.region or region
    if match["region"] != bucket_region:
        yield "state.kms_key_arn", f"is in region {match['region']}, the state bucket in {bucket_region}"


def _zone_holds_domain(domain: str, dns: Dns) -> Iterator[Problem]:
    if dns.hosted_zone == "create" and dns.zone_name not in (None, domain):
        yield "dns.zone_name", "only an existing zone is looked up by name; a created zone is named after domain"
    zone = dns.zone_name or domain
    if domain != zone and not domain.endswith("." + zone):
        yield "dns.zone_name", f"{zone} cannot hold names under {domain}"


def _flux_git_access(repository: str, platform: Platform) -> Iterator[Problem]:
    """Flux can read (and, with image automation, push to) the repository it syncs.

    The credential's kind must fit the URL's scheme: Flux reads an SSH identity only for
    ssh:// URLs, and username/password or a GitHub App only for https:// ones.
    """
    flux = platform.flux
    credential = flux.git_credential
    url = flux.sync_url(repository=repository)
    ssh_url = url.startswith("ssh://")
    if credential is None:
        if ssh_url:
            yield "platform.flux.git_credential", f"{url} needs one of type ssh (GitHub has no anonymous SSH)"
        elif flux.image_automation:
            yield "platform.flux.git_credential", "image_automation pushes new tags with it; set one with write access"
    elif (credential.type == "ssh") != ssh_url:
        scheme = "ssh://" if credential.type == "ssh" else "https://"
        yield "platform.flux.git_credential.type", f"{credential.type} needs an {scheme} platform.flux.url, got {url}"


def _observability(tier: str, observability: Observability) -> Iterator[Problem]:
    """Production is watched, and somebody hears about it."""
    if tier == "production" and not observability.enabled:
        yield "observability.enabled", "must be true when tier is production"
    if observability.enabled and tier == "production" and not observability.alert_emails:
        yield "observability.alert_emails", "needs at least one address when tier is production: alerts go nowhere"
    for address, count in Counter(observability.alert_emails).items():
        if count > 1:
            yield "observability.alert_emails", f"{address} is listed {count} times"


def _free_storage_alarm(database: Database, observability: Observability) -> Iterator[Problem]:
    """The free-storage alarm can only fire below what the database has."""
    limit = observability.thresholds.database_free_storage_gib
    if observability.enabled and limit >= database.allocated_storage_gib:
        yield (
            "observability.thresholds.database_free_storage_gib",
            f"{limit} is not below database.allocated_storage_gib ({database.allocated_storage_gib}): "
            "it would always fire",
        )


RULES: tuple[Rule, ...] = (
    _zones,
    _subnets,
    _node_groups,
    _kubernetes_version,
    _storage,
    _app_user,
    _reserved_tags,
    _production_tier,
    _production_secrets,
    _admin_principals,
    _state_key,
    _zone_holds_domain,
    _flux_git_access,
    _observability,
    _free_storage_alarm,
)
