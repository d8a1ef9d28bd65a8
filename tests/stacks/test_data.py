"""The data stack: the database keeps its password out of Terraform and off the internet."""

from __future__ import annotations

import json

import pytest

from stacks.config import Environment
from stacks.naming import deploy_boundary_arn
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, only, ref, remote, resources

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
def test_database_accepts_only_the_cluster_and_the_rotation_function_on_5432(
    stacks: dict[str, Document], env: str
) -> None:
    stack = stacks[f"{env}-data"]
    group_name, group = by_path(stack, "aws_security_group", "postgres/security-group")
    function_group, _ = by_path(stack, "aws_security_group", "app-credential/rotation/security-group")
    assert "ingress" not in group and "egress" not in group
    rules = [
        r
        for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
        if group_name in r["security_group_id"]
    ]
    assert all((r["from_port"], r["to_port"], r["ip_protocol"]) == (5432, 5432, "tcp") for r in rules)
    assert all("cidr_ipv4" not in r and "cidr_ipv6" not in r for r in rules)
    sources = [r["referenced_security_group_id"] for r in rules]
    assert len(sources) == 2
    assert sum(remote(source, f"{env}-cluster") for source in sources) == 1
    assert ref("aws_security_group", function_group, "id") in sources


@pytest.mark.parametrize("env", ENVS)
def test_app_credential_follows_the_environment_file(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-data"]
    spec = environments[env]
    secret = only(stack, "aws_secretsmanager_secret")
    assert secret["name"] == f"acme/{env}/{spec.database.app_user.name}/database"
    assert secret["recovery_window_in_days"] == spec.platform.secret_recovery_days
    rotation = only(stack, "aws_secretsmanager_secret_rotation")
    assert rotation["rotation_rules"] == {"automatically_after_days": spec.database.app_user.rotation_days}
    _, function = by_path(stack, "aws_lambda_function", "app-credential/rotation/function")
    assert function["environment"]["variables"]["APP_USERNAME"] == spec.database.app_user.name
    _, logs = by_path(stack, "aws_cloudwatch_log_group", "app-credential/rotation/log-group")
    assert logs["retention_in_days"] == spec.database.log_retention_days


@pytest.mark.parametrize("env", ENVS)
def test_rotation_function_runs_in_the_private_subnets_under_the_deploy_boundary(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-data"]
    _, function = by_path(stack, "aws_lambda_function", "app-credential/rotation/function")
    subnets = function["vpc_config"]["subnet_ids"]
    assert subnets and all(remote(s, f"{env}-network") and "_private-" in s for s in subnets)
    _, role = by_path(stack, "aws_iam_role", "app-credential/rotation/role/role")
    assert role["name"] == f"acme-{env}-app-credential-rotation"
    assert role["permissions_boundary"] == deploy_boundary_arn(environments[env])


@pytest.mark.parametrize("env", ENVS)
def test_outputs_name_the_app_secret_and_the_master_secret_for_operators(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-data"]
    outputs = stack["output"]
    secret, _ = by_path(stack, "aws_secretsmanager_secret", "app-credential/secret")
    assert outputs["app_secret_arn"]["value"] == ref("aws_secretsmanager_secret", secret, "arn")
    assert outputs["master_secret_arn"]["value"].endswith(".master_user_secret[0].secret_arn}")
    assert "operators" in outputs["master_secret_arn"]["description"]


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
