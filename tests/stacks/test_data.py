"""The data stack: the database keeps its password out of Terraform and off the internet."""

from __future__ import annotations

import json

import pytest

from stacks.config import Environment
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, only, remote

ENVS = ENVIRONMENT_NAMES


@pytest.mark.parametrize("env", ENVS)
def test_database_is_encrypted_private_and_manages_its_own_password(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    db = only(stacks[f"{env}-data"], "aws_db_instance")
    spec = environments[env].database
    assert db["storage_encrypted"] is True
    assert db["publicly_accessible"] is False
    assert db["manage_master_user_password"] is True
    assert db["master_user_secret_kms_key_id"].startswith("${aws_kms_key.")
    assert db["performance_insights_enabled"] is True
    assert (db["multi_az"], db["deletion_protection"], db["skip_final_snapshot"]) == (
        spec.multi_az,
        spec.deletion_protection,
        not spec.final_snapshot,
    )
    assert db["backup_retention_period"] == spec.backup_retention_days


def test_prod_database_is_multi_az_and_protected(stacks: dict[str, Document]) -> None:
    db = only(stacks["prod-data"], "aws_db_instance")
    assert db["multi_az"] is True and db["deletion_protection"] is True
    assert db["final_snapshot_identifier"] == "acme-prod-postgres-final"


def test_no_password_is_written_anywhere(stacks: dict[str, Document]) -> None:
    for name, document in stacks.items():
        for kind, blocks in document.get("resource", {}).items():
            for block_name, body in blocks.items():
                keys = {key for key in body if "password" in key and key != "manage_master_user_password"}
                assert not keys, f"{name} {kind}.{block_name} sets {keys}"


@pytest.mark.parametrize("env", ENVS)
def test_database_accepts_only_the_cluster_on_5432(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-data"]
    group_name, group = by_path(stack, "aws_security_group", "postgres/security-group")
    rule = only(stack, "aws_vpc_security_group_ingress_rule")
    assert "ingress" not in group and "egress" not in group
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (5432, 5432, "tcp")
    assert remote(rule["referenced_security_group_id"], f"{env}-cluster")
    assert "cidr_ipv4" not in rule
    assert group_name in rule["security_group_id"]


@pytest.mark.parametrize("env", ENVS)
def test_database_lives_in_the_isolated_subnets(stacks: dict[str, Document], env: str) -> None:
    subnets = only(stacks[f"{env}-data"], "aws_db_subnet_group")["subnet_ids"]
    assert all(remote(s, f"{env}-network") and "database" in s for s in subnets)


def test_database_requires_tls(stacks: dict[str, Document]) -> None:
    parameters = only(stacks["prod-data"], "aws_db_parameter_group")
    assert {"name": "rds.force_ssl", "value": "1"} in parameters["parameter"]
    assert parameters["family"] == "postgres17"


@pytest.mark.parametrize("env", ENVS)
def test_registry_tags_are_immutable_and_scanned(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-data"]
    repository = only(stack, "aws_ecr_repository")
    assert repository["name"] == f"acme/{env}/app"
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    # dev is destroyed with its images; destroying prod-data stops while images remain.
    assert repository["force_delete"] is environments[env].registry.force_delete
    rules = json.loads(only(stack, "aws_ecr_lifecycle_policy")["policy"])["rules"]
    assert [rule["selection"]["countNumber"] for rule in rules] == [
        environments[env].registry.untagged_expiry_days,
        environments[env].registry.images_to_keep,
    ]
