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
from tests.conftest import ROOT

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
        ],
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
        load_environments(ROOT / "environments", ["qa"])
    assert caught.value.lines == ("ENVIRONMENTS: no file environments/qa.yaml (known: dev, prod)",)


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
