"""The app's database credential in a bare stack: one security property per test.

An empty secret under the database's key, rotated at once and on schedule by a function
that runs in the given private subnets, may reach PostgreSQL and HTTPS only, may touch
exactly its secret, the master secret and the key, and may be invoked by Secrets Manager
for this secret only. The package is stood in for by a small zip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cdktf
import pytest

from stacks.bindings import aws
from stacks.config.model import AppUser
from stacks.constructs.app_credential import AppCredential
from stacks.constructs.postgres import DatabaseOutputs
from tests.helpers import Document, data_sources, only, ref, resources

ACCOUNT = "111111111111"
REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000001"
LOGS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000002"
MASTER = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1-AbCdEf"
DATABASE_GROUP = "sg-0database"
SUBNETS = ["subnet-0private-a", "subnet-0private-b"]
DATABASE = DatabaseOutputs(
    address="db.example.internal",
    port="5432",
    name="app",
    master_secret_arn=MASTER,
    key_arn=KEY,
    logs_key_arn=LOGS_KEY,
    security_group_id=DATABASE_GROUP,
)


@dataclass(frozen=True)
class StandInPackage:
    path: Path
    base64_sha256: str


def stand_in_package(directory: Path) -> StandInPackage:
    path = directory / "rotation.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rotation/handler.py", "def lambda_handler(event, context):\n    return None\n")
    digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    return StandInPackage(path=path, base64_sha256=digest)


def build(directory: Path) -> cdktf.TerraformStack:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "bare")
    aws.provider.AwsProvider(stack, "aws", region=REGION)
    AppCredential(
        stack,
        "app-credential",
        secret_name="acme/dev/guestbook/database",
        function_name="acme-dev-app-credential-rotation",
        spec=AppUser(name="guestbook", rotation_days=7),
        database=DATABASE,
        package=stand_in_package(directory),
        vpc_id="vpc-0123",
        subnet_ids=SUBNETS,
        log_retention_days=90,
        recovery_window_days=7,
        region=REGION,
        account_id=ACCOUNT,
    )
    return stack


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Document:
    synthesized: Document = json.loads(cdktf.Testing.synth(build(tmp_path_factory.mktemp("package"))))
    return synthesized


def by_path(document: Document, kind: str, path: str) -> tuple[str, dict[str, Any]]:
    """The one block whose construct path ends with `path` (Testing.synth leaves out the
    metadata; the logical id is the path joined with `_` and a hash)."""
    suffix = "_" + path.replace("/", "_")
    found = [(n, b) for n, b in resources(document, kind).items() if ("_" + n.rsplit("_", 1)[0]).endswith(suffix)]
    assert len(found) == 1, f"{kind} at */{path}: found {len(found)}"
    return found[0]


def named(document: Document, kind: str, path: str) -> str:
    return by_path(document, kind, path)[0]


def function(document: Document) -> dict[str, Any]:
    return by_path(document, "aws_lambda_function", "app-credential/rotation/function")[1]


def own_group(document: Document) -> str:
    return ref("aws_security_group", named(document, "aws_security_group", "rotation/security-group"), "id")


def secret_arn(document: Document) -> str:
    return ref(
        "aws_secretsmanager_secret", named(document, "aws_secretsmanager_secret", "app-credential/secret"), "arn"
    )


def role_statements(document: Document) -> list[dict[str, Any]]:
    _, policy = by_path(document, "aws_iam_role_policy", "rotation/role/inline")
    return list(data_sources(document, "aws_iam_policy_document")[policy["policy"].split(".")[2]]["statement"])


def test_secret_is_created_empty_under_the_database_key(document: Document) -> None:
    secret = only(document, "aws_secretsmanager_secret")
    assert secret["kms_key_id"] == KEY
    assert secret["name"] == "acme/dev/guestbook/database"
    assert secret["recovery_window_in_days"] == 7
    assert "aws_secretsmanager_secret_version" not in document["resource"], "a version would put a value in state"


def test_rotation_starts_at_once_and_follows_the_configured_schedule(document: Document) -> None:
    rotation = only(document, "aws_secretsmanager_secret_rotation")
    secret = named(document, "aws_secretsmanager_secret", "app-credential/secret")
    assert rotation["secret_id"] == ref("aws_secretsmanager_secret", secret, "id")
    assert rotation["rotation_lambda_arn"] == ref(
        "aws_lambda_function", named(document, "aws_lambda_function", "rotation/function"), "arn"
    )
    assert rotation["rotate_immediately"] is True
    assert rotation["rotation_rules"] == {"automatically_after_days": 7}


def test_first_rotation_waits_for_the_invoke_permission_and_the_network_path(document: Document) -> None:
    rotation = only(document, "aws_secretsmanager_secret_rotation")
    needed = [
        f"aws_lambda_permission.{named(document, 'aws_lambda_permission', 'invoked-by-secrets-manager')}",
        f"aws_vpc_security_group_ingress_rule.{named(document, 'aws_vpc_security_group_ingress_rule', 'rotation/database-from-function')}",
        f"aws_vpc_security_group_egress_rule.{named(document, 'aws_vpc_security_group_egress_rule', 'rotation/to-database')}",
        f"aws_iam_role_policy.{named(document, 'aws_iam_role_policy', 'rotation/role/inline')}",
    ]
    assert set(needed) <= set(rotation["depends_on"])


def test_function_runs_in_the_given_subnets_behind_its_own_security_group(document: Document) -> None:
    assert function(document)["vpc_config"] == {"subnet_ids": SUBNETS, "security_group_ids": [own_group(document)]}
    _, group = by_path(document, "aws_security_group", "rotation/security-group")
    assert "ingress" not in group and "egress" not in group


def test_function_may_send_only_postgresql_to_the_database_and_https_out(document: Document) -> None:
    egress = [
        (r["ip_protocol"], r["from_port"], r["to_port"], r.get("referenced_security_group_id"), r.get("cidr_ipv4"))
        for r in resources(document, "aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"] == own_group(document)
    ]
    assert sorted(egress, key=str) == sorted(
        [("tcp", 5432, 5432, DATABASE_GROUP, None), ("tcp", 443, 443, None, "0.0.0.0/0")], key=str
    )


def test_database_admits_the_function_on_5432_and_nothing_admits_the_function(document: Document) -> None:
    [rule] = resources(document, "aws_vpc_security_group_ingress_rule").values()
    assert (rule["security_group_id"], rule["referenced_security_group_id"]) == (DATABASE_GROUP, own_group(document))
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)


def test_role_grants_exactly_the_rotation_actions_on_exactly_their_resources(document: Document) -> None:
    granted: dict[str, list[list[str]]] = {}
    for statement in role_statements(document):
        assert statement.get("effect", "Allow") == "Allow"
        for action in statement["actions"]:
            granted.setdefault(action, []).append(statement["resources"])
    log_group = ref(
        "aws_cloudwatch_log_group", named(document, "aws_cloudwatch_log_group", "rotation/log-group"), "arn"
    )
    ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}:*"
    app_secret = [secret_arn(document)]
    assert granted == {
        "secretsmanager:DescribeSecret": [app_secret],
        "secretsmanager:GetSecretValue": [app_secret, [MASTER]],
        "secretsmanager:PutSecretValue": [app_secret],
        "secretsmanager:UpdateSecretVersionStage": [app_secret],
        "secretsmanager:GetRandomPassword": [["*"]],
        "kms:Decrypt": [[KEY]],
        "kms:GenerateDataKey": [[KEY]],
        "logs:CreateLogStream": [[log_group, f"{log_group}:*"]],
        "logs:PutLogEvents": [[log_group, f"{log_group}:*"]],
        # No resource-level permissions exist for these two (Lambda's VPC documentation).
        "ec2:DescribeNetworkInterfaces": [["*"]],
        "ec2:DescribeSubnets": [["*"]],
        "ec2:CreateNetworkInterface": [[ec2]],
        "ec2:DeleteNetworkInterface": [[ec2]],
        "ec2:AssignPrivateIpAddresses": [[ec2]],
        "ec2:UnassignPrivateIpAddresses": [[ec2]],
    }


def test_role_decrypts_with_the_database_key_only_through_secrets_manager(document: Document) -> None:
    [kms] = [s for s in role_statements(document) if "kms:Decrypt" in s["actions"]]
    assert kms["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"secretsmanager.{REGION}.amazonaws.com"]}
    ]


def test_role_is_assumed_by_lambda_only(document: Document) -> None:
    _, role = by_path(document, "aws_iam_role", "rotation/role")
    [trust] = data_sources(document, "aws_iam_policy_document")[role["assume_role_policy"].split(".")[2]]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}]
    assert trust["actions"] == ["sts:AssumeRole"]


def test_only_secrets_manager_for_this_secret_in_this_account_may_invoke_it(document: Document) -> None:
    permission = only(document, "aws_lambda_permission")
    assert permission["principal"] == "secretsmanager.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["source_arn"] == secret_arn(document)
    assert permission["source_account"] == ACCOUNT


def test_reserves_no_concurrency_a_new_account_cannot_give(document: Document) -> None:
    """A new account's Lambda quota is the 10 unreserved executions AWS requires: reserving
    any fails CreateFunction, and so the first deploy."""
    assert "reserved_concurrent_executions" not in function(document)


def test_function_is_told_where_the_database_and_both_secrets_are(document: Document) -> None:
    body = function(document)
    assert (body["runtime"], body["handler"]) == ("python3.13", "rotation.handler.lambda_handler")
    assert body["environment"]["variables"] == {
        "DATABASE_HOST": "db.example.internal",
        "DATABASE_PORT": "5432",
        "DATABASE_NAME": "app",
        "APP_USERNAME": "guestbook",
        "MASTER_SECRET_ARN": MASTER,
        "SECRET_ARN": secret_arn(document),
        "CA_BUNDLE": "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
    }


def test_function_logs_to_its_own_encrypted_group(document: Document) -> None:
    name, group = by_path(document, "aws_cloudwatch_log_group", "rotation/log-group")
    assert (group["name"], group["kms_key_id"], group["retention_in_days"]) == (
        "/aws/lambda/acme-dev-app-credential-rotation",
        LOGS_KEY,
        90,
    )
    assert function(document)["logging_config"]["log_group"] == ref("aws_cloudwatch_log_group", name, "name")


def test_code_is_the_package_and_its_hash_is_the_zips(tmp_path: Path) -> None:
    stack = build(tmp_path)
    outdir = Path(cdktf.Testing.full_synth(stack))
    stack_dir = outdir / "stacks" / "bare"
    body = function(json.loads((stack_dir / "cdk.tf.json").read_text()))
    deployed = (stack_dir / body["filename"]).read_bytes()
    assert deployed == (tmp_path / "rotation.zip").read_bytes()
    assert body["source_code_hash"] == base64.b64encode(hashlib.sha256(deployed).digest()).decode()
