"""A Kubernetes upgrade is one reviewed line: bumping `cluster.kubernetes_version` changes the
control plane, every node group and the add-ons whose reviewed version differs, nothing else.

The same environment (dev, with a second node group) is synthesized at the two newest minors
of stacks/config/addon_versions.py, network and cluster stacks only, and the cluster
stacks are compared attribute by attribute, as a plan would show them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError, Environment, load_environment
from stacks.config.addon_versions import ADDON_VERSIONS, supported_minors
from stacks.constructs.core_addons import AFTER_NODES, BEFORE_NODES, INSTALLED
from tests.conftest import ROOT
from tests.helpers import Document, by_path, ref, resources

OLD, NEW = supported_minors()[-2:]
EKSBUILD = r"v\d+\.\d+\.\d+-eksbuild\.\d+"


def at_version(env: Environment, minor: str) -> Environment:
    """`env` at another Kubernetes minor, with a second node group (each must follow)."""
    second = env.cluster.node_groups[0].model_copy(update={"name": "burst"})
    cluster = env.cluster.model_copy(
        update={"kubernetes_version": minor, "node_groups": [*env.cluster.node_groups, second]}
    )
    return env.model_copy(update={"cluster": cluster})


def cluster_stack(env: Environment, outdir: Path) -> Document:
    from cdktf import App

    from stacks.cluster_stack import ClusterStack
    from stacks.network_stack import NetworkStack

    app = App(outdir=str(outdir))
    network = NetworkStack(app, env=env)
    ClusterStack(app, env=env, network=network.outputs)
    app.synth()
    document: Document = json.loads((outdir / "stacks" / f"{env.name}-cluster" / "cdk.tf.json").read_text())
    return document


@pytest.fixture(scope="module")
def upgrade(
    environments: dict[str, Environment], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Document, Document]:
    """The dev cluster stack before and after the bump."""
    dev = environments["dev"]
    return (
        cluster_stack(at_version(dev, OLD), tmp_path_factory.mktemp("before")),
        cluster_stack(at_version(dev, NEW), tmp_path_factory.mktemp("after")),
    )


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a synthesized document with its dotted path (list items by index)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from leaves(inner, f"{path}[{index}]")
    else:
        yield path, value


def changed(before: Document, after: Document) -> set[str]:
    """Paths whose value differs, appears or disappears (construct metadata left out)."""
    old, new = dict(leaves(before)), dict(leaves(after))
    return {path for path in old.keys() | new.keys() if old.get(path) != new.get(path) and "//" not in path.split(".")}


def expected_changes(after: Document) -> set[str]:
    """What a bump from OLD to NEW may change: the control plane's version, each node
    group's version, and the version of each add-on whose row differs."""
    cluster = {f"resource.aws_eks_cluster.{name}.version" for name in resources(after, "aws_eks_cluster")}
    groups = {f"resource.aws_eks_node_group.{name}.version" for name in resources(after, "aws_eks_node_group")}
    old, new = ADDON_VERSIONS[OLD].versions, ADDON_VERSIONS[NEW].versions
    addons = {
        f"resource.aws_eks_addon.{name}.addon_version"
        for name, body in resources(after, "aws_eks_addon").items()
        if old[body["addon_name"]] != new[body["addon_name"]]
    }
    return cluster | groups | addons


def unexplained(before: Document, after: Document) -> list[str]:
    """One line per difference between what changed and what the bump should change."""
    found, expected = changed(before, after), expected_changes(after)
    return [f"changed, but not by a Kubernetes upgrade: {path}" for path in sorted(found - expected)] + [
        f"not changed by the upgrade: {path}" for path in sorted(expected - found)
    ]


def test_a_kubernetes_bump_changes_the_control_plane_node_groups_and_add_ons_only(
    upgrade: tuple[Document, Document],
) -> None:
    before, after = upgrade
    assert unexplained(before, after) == []
    expected = expected_changes(after)
    assert sum(".aws_eks_cluster." in path for path in expected) == 1
    assert sum(".aws_eks_node_group." in path for path in expected) == 2
    assert any(".aws_eks_addon." in path for path in expected)  # kube-proxy follows every minor
    assert "data" not in after or "aws_eks_addon_version" not in after["data"]  # no plan-time lookup


def test_after_the_bump_everything_runs_the_new_minor_at_the_reviewed_versions(
    upgrade: tuple[Document, Document],
) -> None:
    _, after = upgrade
    [cluster] = resources(after, "aws_eks_cluster").values()
    assert cluster["version"] == NEW
    assert {group["version"] for group in resources(after, "aws_eks_node_group").values()} == {NEW}
    installed = {body["addon_name"]: body["addon_version"] for body in resources(after, "aws_eks_addon").values()}
    assert installed == dict(ADDON_VERSIONS[NEW].versions)


def without_version(doc: Document, name: str) -> None:
    doc["resource"]["aws_eks_node_group"][name].pop("version")


def left_behind(doc: Document, name: str) -> None:
    doc["resource"]["aws_eks_node_group"][name]["version"] = OLD


def other_ami(doc: Document, name: str) -> None:
    doc["resource"]["aws_eks_node_group"][name]["ami_type"] = "AL2023_ARM_64_NVIDIA"


@pytest.mark.parametrize(
    ("plant", "in_both", "expected"),
    [
        # The defect this test exists for: the construct sets no version, before or after.
        (without_version, True, "not changed by the upgrade: resource.aws_eks_node_group.{name}.version"),
        (left_behind, False, "not changed by the upgrade: resource.aws_eks_node_group.{name}.version"),
        (other_ami, False, "changed, but not by a Kubernetes upgrade: resource.aws_eks_node_group.{name}.ami_type"),
    ],
    ids=["node group without version", "node group left behind", "something else changed"],
)
def test_a_bump_that_leaves_a_node_group_behind_or_changes_more_is_reported(
    upgrade: tuple[Document, Document], plant: Callable[[Document, str], None], in_both: bool, expected: str
) -> None:
    before, after = (json.loads(json.dumps(doc)) for doc in upgrade)
    name, _ = by_path(after, "aws_eks_node_group", "nodes-burst/node-group")
    for doc in (before, after) if in_both else (after,):
        plant(doc, name)
    assert unexplained(before, after) == [expected.format(name=name)]


def test_the_upgrade_runs_control_plane_then_add_ons_then_nodes(upgrade: tuple[Document, Document]) -> None:
    """Terraform updates a resource after everything it references or depends on: the
    control plane first, then vpc-cni, kube-proxy and the Pod Identity agent, then the node
    groups, then CoreDNS, the EBS CSI driver and metrics-server."""
    _, after = upgrade
    cluster_name, _ = by_path(after, "aws_eks_cluster", "eks/cluster")
    on_cluster = ref("aws_eks_cluster", cluster_name, "name")
    before_nodes = {f"aws_eks_addon.{by_path(after, 'aws_eks_addon', f'addons/{a}')[0]}" for a in BEFORE_NODES}
    groups = {f"aws_eks_node_group.{name}" for name in resources(after, "aws_eks_node_group")}
    for group in resources(after, "aws_eks_node_group").values():
        assert group["cluster_name"] == on_cluster
        assert before_nodes <= set(group["depends_on"])
    for addon in INSTALLED:
        _, body = by_path(after, "aws_eks_addon", f"addons/{addon}")
        assert body["cluster_name"] == on_cluster
        assert (groups <= set(body.get("depends_on", []))) == (addon in AFTER_NODES)


def test_every_row_names_each_installed_add_on_and_was_checked() -> None:
    for minor, row in ADDON_VERSIONS.items():
        assert set(row.versions) == set(INSTALLED), minor
        for addon, version in row.versions.items():
            assert re.fullmatch(EKSBUILD, version), f"{minor} {addon}: {version}"
        # kube-proxy is built per Kubernetes minor; a row with another minor's is a typo.
        assert row.versions["kube-proxy"].startswith(f"v{minor}."), minor
        assert row.checked <= date.today()


def test_a_minor_without_add_on_versions_is_one_error(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    data["cluster"]["kubernetes_version"] = "1.99"
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_environment(path)
    assert list(caught.value.lines) == [
        f"{path}: cluster.kubernetes_version: '1.99' has no EKS add-on versions in stacks/config/addon_versions.py "
        f"(supported: {', '.join(supported_minors())}); add its row first (docs/runbooks/upgrade-kubernetes.md)"
    ]
