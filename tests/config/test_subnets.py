"""The subnet plan: every block inside the VPC, none overlapping, aligned, deterministic."""

from __future__ import annotations

import ipaddress
import itertools
import re

import pytest

from stacks.config import plan_subnets
from stacks.config.subnets import SubnetPlanError

PREFIXES = {"public": 24, "private": 19, "database": 24}


@pytest.mark.parametrize(("cidr", "zones"), [("10.0.0.0/16", 2), ("10.0.0.0/16", 3), ("172.16.0.0/16", 4)])
def test_plan_fits_without_overlap(cidr: str, zones: int) -> None:
    vpc = ipaddress.IPv4Network(cidr)
    plan = plan_subnets(vpc, zones, PREFIXES)
    blocks = [*plan.private, *plan.public, *plan.database]
    assert [len(plan.private), len(plan.public), len(plan.database)] == [zones] * 3
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(blocks, 2))
    assert {block.prefixlen for block in plan.private} == {19}


def test_private_subnets_come_first_and_plan_is_stable() -> None:
    vpc = ipaddress.IPv4Network("10.10.0.0/16")
    plan = plan_subnets(vpc, 2, PREFIXES)
    assert [str(block) for block in plan.private] == ["10.10.0.0/19", "10.10.32.0/19"]
    assert plan == plan_subnets(vpc, 2, dict(reversed(PREFIXES.items())))


def test_too_small_vpc_names_the_shortfall() -> None:
    with pytest.raises(SubnetPlanError, match=re.escape("need 34816 addresses; 10.0.0.0/17 has 32768")) as caught:
        plan_subnets(ipaddress.IPv4Network("10.0.0.0/17"), 4, PREFIXES)
    assert caught.value.field == "network.subnet_prefixes"
