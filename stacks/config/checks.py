"""Rules that relate several fields; run once every field is valid on its own.

Each rule returns `(field path, message)` pairs so that one run reports every problem.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from stacks.config.model import Environment
from stacks.config.subnets import SubnetPlanError, plan_subnets

# Tags the stacks set on every resource; an environment file must not override them.
RESERVED_TAGS = ("Project", "Environment", "ManagedBy", "Repository")

# Graviton families carry a "g" right after the generation number: t4g, m7gd, c7gn, im4gn.
GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g")

Problem = tuple[str, str]


def cross_field_problems(env: Environment) -> list[Problem]:
    return [
        *_zones(env),
        *_subnets(env),
        *_node_groups(env),
        *_database(env),
        *_tags(env),
        *_production_tier(env),
    ]


def _zones(env: Environment) -> Iterator[Problem]:
    zones = env.network.availability_zones
    for index, zone in enumerate(zones):
        if zone[:-1] != env.region:
            yield f"network.availability_zones[{index}]", f"{zone} is not in region {env.region}"
    for zone, count in Counter(zones).items():
        if count > 1:
            yield "network.availability_zones", f"{zone} is listed {count} times"
    if env.network.nat_gateways > len(zones):
        yield (
            "network.nat_gateways",
            f"{env.network.nat_gateways} NAT gateways need as many availability zones; {len(zones)} configured",
        )


def _subnets(env: Environment) -> Iterator[Problem]:
    try:
        plan_subnets(env.network.cidr, len(env.network.availability_zones), env.network.subnet_prefixes.model_dump())
    except SubnetPlanError as error:
        yield error.field, str(error)


def _node_groups(env: Environment) -> Iterator[Problem]:
    names = Counter(group.name for group in env.cluster.node_groups)
    for index, group in enumerate(env.cluster.node_groups):
        where = f"cluster.node_groups[{index}]"
        if names[group.name] > 1:
            yield f"{where}.name", f"{group.name!r} is used by more than one node group"
        if not group.min_size <= group.desired_size <= group.max_size:
            sizes = f"{group.min_size} ≤ {group.desired_size} ≤ {group.max_size}"
            yield f"{where}.desired_size", f"needs min_size ≤ desired_size ≤ max_size, got {sizes}"
        arm = group.ami_type.startswith("AL2023_ARM")
        for position, instance_type in enumerate(group.instance_types):
            graviton = GRAVITON_FAMILY.match(instance_type) is not None
            if arm != graviton:
                yield (
                    f"{where}.instance_types[{position}]",
                    f"{instance_type} does not match ami_type {group.ami_type}",
                )


def _database(env: Environment) -> Iterator[Problem]:
    db = env.database
    if db.max_allocated_storage_gib < db.allocated_storage_gib:
        yield (
            "database.max_allocated_storage_gib",
            f"{db.max_allocated_storage_gib} is below allocated_storage_gib ({db.allocated_storage_gib})",
        )


def _tags(env: Environment) -> Iterator[Problem]:
    for key in env.tags:
        if key in RESERVED_TAGS:
            yield f"tags.{key}", "is set by the stacks for every resource; remove it here"


def _production_tier(env: Environment) -> Iterator[Problem]:
    """A production environment may not quietly lose data or availability."""
    if env.tier != "production":
        return
    required = {
        "database.multi_az": env.database.multi_az,
        "database.deletion_protection": env.database.deletion_protection,
        "database.final_snapshot": env.database.final_snapshot,
    }
    for field, value in required.items():
        if not value:
            yield field, "must be true when tier is production"
    if env.database.backup_retention_days < 7:
        yield "database.backup_retention_days", "must be at least 7 when tier is production"
    zones = len(env.network.availability_zones)
    if env.network.nat_gateways != zones:
        yield "network.nat_gateways", f"must be one per availability zone ({zones}) when tier is production"
