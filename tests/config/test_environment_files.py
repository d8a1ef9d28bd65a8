"""Every class of mistake in an environment file → exactly these messages.

Each case starts from the shipped dev.yaml, breaks one thing, and expects the exact
lines a user would read (`<file>: <field>: <what is wrong>`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError, load_environment, load_environments, selected_names
from tests.conftest import ENVIRONMENT_NAMES, ROOT

Mutation = Callable[[dict[str, Any]], None]
DEV = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())


def set_in(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def rename(old: str, new: str) -> Mutation:
    return lambda data: data.__setitem__(new, data.pop(old))


CASES: list[tuple[str, Mutation, list[str]]] = [
    ("host bits in cidr", set_in("network.cidr", "10.10.0.1/16"), ["network.cidr: Input is not a valid IPv4 network"]),
    (
        "public cidr",
        set_in("network.cidr", "8.8.0.0/16"),
        ["network.cidr: 8.8.0.0/16 is not a private (RFC 1918) range"],
    ),
    (
        "subnet larger than vpc",
        set_in("network.cidr", "10.10.0.0/20"),
        ["network.subnet_prefixes.private: /19 is larger than the VPC itself (10.10.0.0/20)"],
    ),
    (
        "subnets do not fit",
        set_in("network.cidr", "10.10.0.0/18"),
        [
            "network.subnet_prefixes: 2 zones × (private /19, public /24, database /24) need 17408 addresses; "
            "10.10.0.0/18 has 16384"
        ],
    ),
    (
        "one zone",
        set_in("network.availability_zones", ["eu-west-1a"]),
        [
            "network.availability_zones: at least 2 availability zones are needed (EKS and RDS span two or more); 1 given"
        ],
    ),
    (
        "zone outside region",
        set_in("network.availability_zones", ["eu-west-1a", "us-east-1b"]),
        ["network.availability_zones[1]: us-east-1b is not in region eu-west-1"],
    ),
    (
        "more NAT gateways than zones",
        set_in("network.nat_gateways", 3),
        ["network.nat_gateways: 3 NAT gateways need as many availability zones; 2 configured"],
    ),
    (
        "wrong type",
        set_in("network.nat_gateways", "two"),
        ["network.nat_gateways: Input should be a valid integer, unable to parse string as an integer"],
    ),
    (
        "project not DNS-safe",
        set_in("project", "Acme_Corp"),
        [
            "project: 'Acme_Corp' must be a DNS label: lowercase letters, digits and '-', "
            "starting with a letter, at most 32 characters"
        ],
    ),
    (
        "invalid domain",
        set_in("domain", "not a domain"),
        ["domain: 'not a domain' is not a valid lowercase domain name (e.g. dev.example.com)"],
    ),
    ("unknown top-level key", rename("tags", "tagz"), ["tagz: unknown key (did you mean 'tags'?)"]),
    (
        "unknown nested key",
        set_in("network.cidrr", "10.0.0.0/16"),
        ["network.cidrr: unknown key (did you mean 'cidr'?)"],
    ),
    ("missing key", lambda data: data.pop("database"), ["database: required key is missing"]),
    (
        "unquoted account id",
        set_in("account_id", 111111111111),
        ["account_id: expected text, got 111111111111 (put it in quotes)"],
    ),
    (
        "node group sizes",
        set_in("cluster.node_groups.0.min_size", 3),
        ["cluster.node_groups[0].desired_size: needs min_size ≤ desired_size ≤ max_size, got 3 ≤ 2 ≤ 4"],
    ),
    (
        "x86 instance on an Arm AMI",
        set_in("cluster.node_groups.0.instance_types", ["m7i.large"]),
        ["cluster.node_groups[0].instance_types[0]: m7i.large does not match ami_type AL2023_ARM_64_STANDARD"],
    ),
    (
        "API open to the internet",
        set_in("cluster.public_access_cidrs", ["0.0.0.0/0"]),
        [
            "cluster.public_access_cidrs[0]: 0.0.0.0/0 opens the Kubernetes API to the internet; "
            "list your office or VPN ranges"
        ],
    ),
    (
        "unsupported Kubernetes",
        set_in("cluster.kubernetes_version", "1.28"),
        [
            "cluster.kubernetes_version: '1.28' must be a Kubernetes version EKS supports, 1.33 or newer, quoted (e.g. \"1.35\")"
        ],
    ),
    (
        "retention CloudWatch refuses",
        set_in("network.flow_log_retention_days", 45),
        [
            "network.flow_log_retention_days: 45 is not a CloudWatch Logs retention period (use one of 30, 90, 365, 731, …)"
        ],
    ),
    (
        "reserved tag",
        set_in("tags.Environment", "x"),
        ["tags.Environment: is set by the stacks for every resource; remove it here"],
    ),
    (
        "production without safeguards",
        set_in("tier", "production"),
        [
            "database.multi_az: must be true when tier is production",
            "database.deletion_protection: must be true when tier is production",
            "database.final_snapshot: must be true when tier is production",
            "database.backup_retention_days: must be at least 7 when tier is production",
            "network.nat_gateways: must be one per availability zone (2) when tier is production",
            "platform.secret_recovery_days: must be at least 7 when tier is production",
        ],
    ),
    ("no state section", lambda data: data.pop("state"), ["state: required key is missing"]),
    ("local state", set_in("state", {}), ["state.bucket: required key is missing"]),
    (
        "state key given by its alias",
        set_in("state.kms_key_arn", "arn:aws:kms:eu-west-1:111111111111:alias/acme-dev-terraform-state"),
        [
            "state.kms_key_arn: 'arn:aws:kms:eu-west-1:111111111111:alias/acme-dev-terraform-state' is not a KMS key "
            "ARN (arn:aws:kms:<region>:<account>:key/<key id>); Terraform's S3 backend (1.10) refuses alias ARNs"
        ],
    ),
    (
        "state key of another account",
        set_in("state.kms_key_arn", "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-4000-8000-000000000000"),
        ["state.kms_key_arn: is in account 222222222222, not in this environment's 111111111111"],
    ),
    (
        "state key of another region",
        set_in("state.kms_key_arn", "arn:aws:kms:us-east-1:111111111111:key/mrk-0123456789abcdef0123456789abcdef"),
        ["state.kms_key_arn: is in region us-east-1, the state bucket in eu-west-1"],
    ),
    (
        "CI deploy role as an admin principal",
        set_in(
            "cluster.admin_principal_arns",
            ["arn:aws:iam::111111111111:role/platform-admin", "arn:aws:iam::111111111111:role/acme-dev-github-deploy"],
        ),
        [
            "cluster.admin_principal_arns[1]: arn:aws:iam::111111111111:role/acme-dev-github-deploy is the CI deploy "
            "role, which has its own access entry; remove it here"
        ],
    ),
    (
        "CI plan role as an admin principal",
        set_in("cluster.admin_principal_arns", ["arn:aws:iam::111111111111:role/acme-dev-github-plan"]),
        [
            "cluster.admin_principal_arns[0]: arn:aws:iam::111111111111:role/acme-dev-github-plan is the CI plan "
            "role, which has its own access entry; remove it here"
        ],
    ),
    (
        "admin principal listed twice",
        set_in(
            "cluster.admin_principal_arns",
            ["arn:aws:iam::111111111111:role/platform-admin", "arn:aws:iam::111111111111:role/platform-admin"],
        ),
        [
            "cluster.admin_principal_arns[1]: arn:aws:iam::111111111111:role/platform-admin is listed twice; "
            "EKS allows one access entry per principal"
        ],
    ),
    (
        "recovery window Secrets Manager refuses",
        set_in("platform.secret_recovery_days", 3),
        [
            "platform.secret_recovery_days: 3 is not a Secrets Manager recovery window "
            "(0 to delete at once, or 7 to 30 days)"
        ],
    ),
    (
        "app role too long for its alternate",
        lambda data: data["database"].update(app_user={"name": "a" * 58}),
        [
            f"database.app_user.name: {'a' * 58!r} must be a PostgreSQL identifier of at most 57 characters "
            "(its alternate adds '_clone'): lowercase letters, digits and '_', starting with a letter"
        ],
    ),
    (
        "app role is the master user",
        lambda data: data["database"].update(app_user={"name": "platform_admin"}),
        [
            "database.app_user.name: 'platform_admin' (or its alternate platform_admin_clone) is the master user; "
            "the app must have a role of its own"
        ],
    ),
    (
        "app role's alternate is the master user",
        lambda data: data["database"].update(master_username="guestbook_clone"),
        [
            "database.app_user.name: 'guestbook' (or its alternate guestbook_clone) is the master user; "
            "the app must have a role of its own"
        ],
    ),
    (
        "app role reserved by PostgreSQL",
        lambda data: data["database"].update(app_user={"name": "pg_app"}),
        ["database.app_user.name: 'pg_app' is reserved by PostgreSQL or RDS (public, pg_…, rds…)"],
    ),
    (
        "rotation period out of range",
        lambda data: data["database"].update(app_user={"rotation_days": 0}),
        ["database.app_user.rotation_days: Input should be greater than or equal to 1"],
    ),
    (
        "rotation period over a year",
        lambda data: data["database"].update(app_user={"rotation_days": 400}),
        ["database.app_user.rotation_days: Input should be less than or equal to 365"],
    ),
    (
        "unknown app_user key",
        lambda data: data["database"].update(app_user={"rotation": 30}),
        ["database.app_user.rotation: unknown key (did you mean 'rotation_days'?)"],
    ),
    (
        "field and cross-field errors together",
        lambda data: data.update(
            region="europe",
            cluster={**data["cluster"], "node_groups": [{**data["cluster"]["node_groups"][0], "min_size": 3}]},
        ),
        [
            "region: 'europe' is not an AWS region name (e.g. eu-west-1)",
            "cluster.node_groups[0].desired_size: needs min_size ≤ desired_size ≤ max_size, got 3 ≤ 2 ≤ 4",
        ],
    ),
    (
        "several field errors at once",
        lambda data: data.update(region="europe", database={**data["database"], "backup_retention_days": 90}),
        [
            "region: 'europe' is not an AWS region name (e.g. eu-west-1)",
            "database.backup_retention_days: Input should be less than or equal to 35",
        ],
    ),
    (
        "image automation without a Git credential",
        lambda data: data["platform"]["flux"].pop("git_credential"),
        ["platform.flux.git_credential: image_automation pushes new tags with it; set one with write access"],
    ),
    (
        "SSH key for an https URL",
        set_in("platform.flux.git_credential.type", "ssh"),
        [
            "platform.flux.git_credential.type: ssh needs an ssh:// platform.flux.url, "
            "got https://github.com/acme/platform.git"
        ],
    ),
    (
        "GitHub App for an ssh URL",
        set_in("platform.flux.url", "ssh://git@github.com/acme/platform.git"),
        [
            "platform.flux.git_credential.type: github-app needs an https:// platform.flux.url, "
            "got ssh://git@github.com/acme/platform.git"
        ],
    ),
    (
        "ssh URL without a credential",
        lambda data: data["platform"].update(
            flux={"url": "ssh://git@github.com/acme/platform.git", "image_automation": False}
        ),
        [
            "platform.flux.git_credential: ssh://git@github.com/acme/platform.git needs one of type ssh "
            "(GitHub has no anonymous SSH)"
        ],
    ),
    (
        "scp-like Git address",
        set_in("platform.flux.url", "git@github.com:acme/platform.git"),
        [
            "platform.flux.url: 'git@github.com:acme/platform.git' must be an https:// or ssh:// address (not git@host:path)"
        ],
    ),
    (
        "unknown credential type",
        set_in("platform.flux.git_credential.type", "deploy-key"),
        ["platform.flux.git_credential.type: Input should be 'github-app', 'token' or 'ssh'"],
    ),
]


def write(tmp_path: Path, text: str, name: str = "dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environment(path)
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in caught.value.lines), caught.value.lines
    return [line.removeprefix(prefix) for line in caught.value.lines]


@pytest.mark.parametrize(("mutation", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_field_is_reported_exactly(tmp_path: Path, mutation: Mutation, expected: list[str]) -> None:
    data = copy.deepcopy(DEV)
    mutation(data)
    assert problems(write(tmp_path, yaml.safe_dump(data))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tier: production\nnetwork:\n  cidr: [\n",
            "line 4, column 1: not valid YAML: expected the node content, but found '<stream end>'",
        ),
        ("", "the file is empty; start from environments/dev.yaml"),
        ("# only a comment\n", "the file is empty; start from environments/dev.yaml"),
        ("- a\n- b\n", "the top level must be a mapping of keys, not a list"),
        (
            "tier: production\ntier: non-production\n",
            "line 2, column 1: not valid YAML: key 'tier' appears twice in one mapping",
        ),
        ("name: dev\n", "name: comes from the file name (dev); remove this key"),
    ],
    ids=["syntax error", "empty", "comment only", "not a mapping", "duplicate key", "name key"],
)
def test_unreadable_file_is_reported_with_position(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(write(tmp_path, text)) == [expected]


def test_file_name_must_be_dns_safe(tmp_path: Path) -> None:
    path = write(tmp_path, (ROOT / "environments" / "dev.yaml").read_text(), name="Dev_1.yaml")
    assert problems(path) == [
        "name: 'Dev_1' must be a DNS label: lowercase letters, digits and '-', starting with a letter, at most 32 characters"
    ]


def test_problems_of_every_file_are_collected(tmp_path: Path) -> None:
    write(tmp_path, "", name="a.yaml")
    write(tmp_path, "[]\n", name="b.yaml")
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    assert [line.split(": ", 1)[1] for line in caught.value.lines] == [
        "the file is empty; start from environments/dev.yaml",
        "the top level must be a mapping of keys, not a list",
    ]


def test_unknown_environment_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_environments(ROOT / "environments", ["nosuch"])
    known = ", ".join(ENVIRONMENT_NAMES)
    assert caught.value.lines == (f"ENVIRONMENTS: no file environments/nosuch.yaml (known: {known})",)


@pytest.mark.parametrize(("raw", "expected"), [("", None), (" dev , prod ", ["dev", "prod"]), ("dev,", ["dev"])])
def test_environments_variable_narrows_the_selection(raw: str, expected: list[str] | None) -> None:
    assert selected_names(raw) == expected


def test_shipped_examples_load_and_differ_only_in_data(environments: dict[str, Any]) -> None:
    dev, prod = environments["dev"], environments["prod"]
    assert (dev.tier, prod.tier) == ("non-production", "production")
    assert (len(dev.network.availability_zones), dev.network.nat_gateways) == (2, 1)
    assert (len(prod.network.availability_zones), prod.network.nat_gateways) == (3, 3)
    assert not dev.database.multi_az and prod.database.multi_az
    assert prod.database.deletion_protection and prod.database.final_snapshot
    assert dev.database.instance_class.startswith("db.t4g.")
    assert dev.cluster.node_groups[0].instance_types == ["t4g.large"]
    # dev can be torn down and deployed again at once; prod keeps images and secrets.
    assert (dev.registry.force_delete, prod.registry.force_delete) == (True, False)
    assert (dev.platform.secret_recovery_days, prod.platform.secret_recovery_days) == (0, 30)


def test_shipped_examples_keep_state_in_their_own_account_and_region(environments: dict[str, Any]) -> None:
    for env in (environments["dev"], environments["prod"]):
        assert env.state.bucket == f"acme-terraform-state-{env.account_id}"
        assert env.state.kms_key_arn.startswith(f"arn:aws:kms:{env.region}:{env.account_id}:key/")
        assert env.cluster.admin_principal_arns == [f"arn:aws:iam::{env.account_id}:role/platform-admin"]


@pytest.mark.parametrize(
    ("url", "credential_type"),
    [(None, "github-app"), (None, "token"), ("ssh://git@github.com/acme/platform.git", "ssh")],
)
def test_git_credential_that_fits_its_url_is_accepted(tmp_path: Path, url: str | None, credential_type: str) -> None:
    data = copy.deepcopy(DEV)
    flux = data["platform"]["flux"]
    flux["git_credential"]["type"] = credential_type
    if url:
        flux["url"] = url
    env = load_environment(write(tmp_path, yaml.safe_dump(data)))
    assert env.platform.flux.sync_url(repository=env.repository) == (url or "https://github.com/acme/platform.git")
