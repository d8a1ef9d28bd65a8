"""Carve the VPC CIDR into per-AZ subnets, deterministically.

Largest blocks are placed first so every block lands on its natural boundary and
nothing is wasted between them; the same config always yields the same plan, so a
re-ordered YAML file never renumbers (and replaces) a subnet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

TIERS = ("private", "public", "database")


class SubnetPlanError(ValueError):
    """The requested subnets do not fit the VPC; the message says by how much."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SubnetPlan:
    private: tuple[ipaddress.IPv4Network, ...]
    public: tuple[ipaddress.IPv4Network, ...]
    database: tuple[ipaddress.IPv4Network, ...]


def plan_subnets(vpc: ipaddress.IPv4Network, zone_count: int, prefixes: dict[str, int]) -> SubnetPlan:
    for tier in TIERS:
        if prefixes[tier] < vpc.prefixlen:
            raise SubnetPlanError(
                f"network.subnet_prefixes.{tier}",
                f"/{prefixes[tier]} is larger than the VPC itself ({vpc})",
            )
    needed = sum(zone_count * 2 ** (32 - prefixes[tier]) for tier in TIERS)
    if needed > vpc.num_addresses:
        raise SubnetPlanError(
            "network.subnet_prefixes",
            f"{zone_count} zones × (private /{prefixes['private']}, public /{prefixes['public']}, "
            f"database /{prefixes['database']}) need {needed} addresses; {vpc} has {vpc.num_addresses}",
        )
    blocks = sorted(
        ((prefixes[tier], TIERS.index(tier), zone) for tier in TIERS for zone in range(zone_count)),
    )
    placed: dict[str, list[ipaddress.IPv4Network]] = {tier: [] for tier in TIERS}
    cursor = int(vpc.network_address)
    for prefix, tier_index, _zone in blocks:
        subnet = ipaddress.IPv4Network((cursor, prefix))
        placed[TIERS[tier_index]].append(subnet)
        cursor = int(subnet.broadcast_address) + 1
    return SubnetPlan(**{tier: tuple(nets) for tier, nets in placed.items()})
