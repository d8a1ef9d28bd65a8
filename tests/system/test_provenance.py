"""Provenance invariant: a bridge value typed into the platform stack is reported."""

from __future__ import annotations

from system import provenance
from system.facts import SystemFacts
from tests.system.conftest import FactsFactory


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in provenance.check(facts)]


def bridge_data(facts: SystemFacts) -> dict[str, str]:
    [config_map] = facts.stack("platform")["resource"]["kubernetes_config_map_v1"].values()
    data: dict[str, str] = config_map["data"]
    return data


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_a_hard_coded_vpc_id_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    bridge_data(facts)["vpc_id"] = "vpc-0123456789abcdef0"
    assert lines(facts) == [
        "dev-platform: cluster-vars.vpc_id: provenance: is 'vpc-0123456789abcdef0', "
        "not read from dev-network's outputs (the contract's producer)"
    ]


def test_a_value_from_the_wrong_stack_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    data = bridge_data(facts)
    data["db_host"] = data["vpc_id"]
    assert lines(facts) == [
        f"prod-platform: cluster-vars.db_host: provenance: is {data['vpc_id']!r}, "
        "not read from prod-data's outputs (the contract's producer)"
    ]


def test_a_platform_value_that_is_not_a_resource_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    bridge_data(facts)["certificate_arn"] = "arn:aws:acm:eu-west-1:111111111111:certificate/copied"
    assert lines(facts) == [
        "dev-platform: cluster-vars.certificate_arn: provenance: is "
        "'arn:aws:acm:eu-west-1:111111111111:certificate/copied', not a resource of dev-platform (the contract's producer)"
    ]


def test_a_config_value_computed_from_a_resource_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    data = bridge_data(facts)
    data["aws_region"] = data["certificate_arn"]
    assert lines(facts) == [
        f"dev-platform: cluster-vars.aws_region: provenance: comes from {data['certificate_arn']}, "
        "but the contract says the environment file"
    ]


def test_a_database_role_read_from_a_stack_is_reported(system_facts: FactsFactory) -> None:
    """db_role is the environment file's database.app_user.name, never something a stack computes."""
    facts = system_facts("prod")
    data = bridge_data(facts)
    data["db_role"] = data["db_name"]
    assert lines(facts) == [
        f"prod-platform: cluster-vars.db_role: provenance: comes from {data['db_name']}, "
        "but the contract says the environment file"
    ]
