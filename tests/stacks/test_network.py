"""The network stack: what an auditor of the VPC would check first."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import Environment
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, only, ref, resources

ENVS = ENVIRONMENT_NAMES


@pytest.mark.parametrize("env", ENVS)
def test_subnets_follow_the_plan_and_carry_load_balancer_tags(stacks: dict[str, Document], env: str) -> None:
    subnets = resources(stacks[f"{env}-network"], "aws_subnet").values()
    by_tier: dict[str, list[dict[str, Any]]] = {}
    for subnet in subnets:
        by_tier.setdefault(subnet["tags"]["tier"], []).append(subnet)
        assert subnet["map_public_ip_on_launch"] is False
    cluster_tag = f"kubernetes.io/cluster/acme-{env}-eks"
    assert all(
        s["tags"]["kubernetes.io/role/elb"] == "1" and s["tags"][cluster_tag] == "shared" for s in by_tier["public"]
    )
    assert all(
        s["tags"]["kubernetes.io/role/internal-elb"] == "1" and s["tags"][cluster_tag] == "shared"
        for s in by_tier["private"]
    )
    assert all(not any(key.startswith("kubernetes.io/") for key in s["tags"]) for s in by_tier["database"])


@pytest.mark.parametrize(("env", "nat_count"), [("dev", 1), ("prod", 3)])
def test_nat_gateways_per_config(stacks: dict[str, Document], env: str, nat_count: int) -> None:
    assert len(resources(stacks[f"{env}-network"], "aws_nat_gateway")) == nat_count


def test_prod_private_subnets_leave_through_their_own_zone(stacks: dict[str, Document]) -> None:
    network = stacks["prod-network"]
    for zone in ("eu-west-1a", "eu-west-1b", "eu-west-1c"):
        nat_name, _ = by_path(network, "aws_nat_gateway", f"nat-{zone}")
        _, route = by_path(network, "aws_route", f"private-{zone}-default-route")
        assert route["nat_gateway_id"] == ref("aws_nat_gateway", nat_name, "id")


@pytest.mark.parametrize("env", ENVS)
def test_database_subnets_have_no_route_out(stacks: dict[str, Document], env: str) -> None:
    network = stacks[f"{env}-network"]
    table_name, table = by_path(network, "aws_route_table", "database-routes")
    assert "route" not in table
    routes_of_table = [r for r in resources(network, "aws_route").values() if table_name in r["route_table_id"]]
    assert routes_of_table == []


@pytest.mark.parametrize("env", ENVS)
def test_default_security_group_is_closed(stacks: dict[str, Document], env: str) -> None:
    group = only(stacks[f"{env}-network"], "aws_default_security_group")
    assert "ingress" not in group and "egress" not in group


@pytest.mark.parametrize("env", ENVS)
def test_flow_logs_capture_all_traffic_into_an_encrypted_group(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    network = stacks[f"{env}-network"]
    flow_log = only(network, "aws_flow_log")
    group_name, group = by_path(network, "aws_cloudwatch_log_group", "flow-logs/log-group")
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination"] == ref("aws_cloudwatch_log_group", group_name, "arn")
    assert group["retention_in_days"] == environments[env].network.flow_log_retention_days
    assert group["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.parametrize("env", ENVS)
def test_s3_endpoint_serves_private_and_database_routes(stacks: dict[str, Document], env: str) -> None:
    network = stacks[f"{env}-network"]
    endpoint = only(network, "aws_vpc_endpoint")
    tables = {
        name for name, body in resources(network, "aws_route_table").items() if "public" not in body["tags"]["Name"]
    }
    assert endpoint["vpc_endpoint_type"] == "Gateway"
    assert {r.split(".")[1] for r in endpoint["route_table_ids"]} == tables
