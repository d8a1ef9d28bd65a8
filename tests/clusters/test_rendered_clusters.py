"""What each cluster contains once Flux has applied this repository, checked offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from guestbook.settings import SECRET_KEYS

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster
from stacks.config import Environment
from tests.conftest import ROOT
from tests.helpers import Document

ENVS = ["dev", "prod"]


def one(cluster: RenderedCluster, kind: str, name: str) -> dict[str, Any]:
    [found] = [o for o in cluster.of_kind(kind) if o["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("env", ENVS)
def test_cluster_holds_the_platform_configuration_and_the_app(clusters: dict[str, RenderedCluster], env: str) -> None:
    kinds = {o.body["kind"] for o in clusters[env].objects}
    assert {
        "Kustomization",
        "ClusterSecretStore",
        "ExternalSecret",
        "Receiver",
        "Ingress",
        "Namespace",
        "HelmRelease",
        "Deployment",
        "Service",
        "ServiceAccount",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= kinds
    assert ("HorizontalPodAutoscaler" in kinds) is (env == "prod")


@pytest.mark.parametrize("env", ENVS)
def test_every_variable_was_substituted(clusters: dict[str, RenderedCluster], env: str) -> None:
    leftovers = [
        o.identity for o in clusters[env].objects if "${" in json.dumps(o.body) and o.body["kind"] != "ExternalSecret"
    ]
    assert leftovers == []


def test_apps_wait_for_the_cluster_configuration(clusters: dict[str, RenderedCluster]) -> None:
    for cluster in clusters.values():
        apps = one(cluster, "Kustomization", "apps")
        assert apps["spec"]["dependsOn"] == [{"name": "infra-configs"}]
        for kustomization in cluster.of_kind("Kustomization"):
            assert kustomization["spec"]["postBuild"]["substituteFrom"] == [
                {"kind": "ConfigMap", "name": "cluster-vars"}
            ]


def test_every_helm_release_uses_a_chart_of_this_repository(clusters: dict[str, RenderedCluster]) -> None:
    for cluster in clusters.values():
        releases = cluster.of_kind("HelmRelease")
        assert releases
        for release in releases:
            chart = release["spec"]["chart"]["spec"]
            assert (ROOT / chart["chart"] / "Chart.yaml").is_file()
            assert chart["sourceRef"] == {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}


@pytest.mark.parametrize("env", ENVS)
def test_app_pods_are_locked_down(clusters: dict[str, RenderedCluster], env: str) -> None:
    pod = one(clusters[env], "Deployment", "guestbook")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    [container] = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["limits"]["memory"]
    assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }


@pytest.mark.parametrize("env", ENVS)
def test_app_is_reached_through_the_alb_by_name(
    clusters: dict[str, RenderedCluster], stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    values = bridge_values(stacks[f"{env}-platform"], environments[env])
    ingress = one(clusters[env], "Ingress", "guestbook")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == values["certificate_arn"]
    assert annotations["alb.ingress.kubernetes.io/group.name"] == values["ingress_group"]
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/readyz"
    assert annotations["external-dns.alpha.kubernetes.io/hostname"] == values["app_host"]
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [values["app_host"]]


@pytest.mark.parametrize("env", ENVS)
def test_external_secret_produces_exactly_the_files_the_app_reads(
    clusters: dict[str, RenderedCluster], stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    """Contract across the border: ExternalSecret keys = the app's SECRET_KEYS, mounted where it reads them."""
    values = bridge_values(stacks[f"{env}-platform"], environments[env])
    external_secret = one(clusters[env], "ExternalSecret", "guestbook-database")
    spec = external_secret["spec"]
    assert tuple(spec["target"]["template"]["data"]) == SECRET_KEYS
    assert {item["remoteRef"]["key"] for item in spec["data"]} == {values["db_secret_arn"]}
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
    pod = one(clusters[env], "Deployment", "guestbook")["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == spec["target"]["name"]
    [container] = pod["containers"]
    [mount] = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    environment = {e["name"]: e["value"] for e in container["env"]}
    assert mount["mountPath"] == environment["DATABASE_CREDENTIALS_DIR"]
    assert spec["target"]["template"]["data"]["host"] == values["db_host"]


def test_the_store_reads_the_environments_region(clusters: dict[str, RenderedCluster]) -> None:
    store = one(clusters["prod"], "ClusterSecretStore", "aws-secrets-manager")
    assert store["spec"]["provider"]["aws"] == {"service": "SecretsManager", "region": "eu-west-1"}


def test_rendered_cluster_is_written_one_file_per_object(
    clusters: dict[str, RenderedCluster], rendered_dir: Path
) -> None:
    for env, cluster in clusters.items():
        files = sorted((rendered_dir / env).rglob("*.yaml"))
        assert len(files) == len(cluster.objects)
        deployment = yaml.safe_load((rendered_dir / env / "guestbook" / "deployment-guestbook.yaml").read_text())
        assert deployment["kind"] == "Deployment"


def test_dev_rolls_out_new_images_through_git_and_prod_by_pull_request(clusters: dict[str, RenderedCluster]) -> None:
    dev_kinds = {o.body["kind"] for o in clusters["dev"].objects}
    assert {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"} <= dev_kinds
    assert not {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"} & {
        o.body["kind"] for o in clusters["prod"].objects
    }
    automation = one(clusters["dev"], "ImageUpdateAutomation", "guestbook")
    path = automation["spec"]["update"]["path"].removeprefix("./")
    marked = [
        p for p in (ROOT / path).glob("*.yaml") if '{"$imagepolicy": "flux-system:guestbook:tag"}' in p.read_text()
    ]
    assert [p.name for p in marked] == ["guestbook-values.yaml"]
    repository = one(clusters["dev"], "ImageRepository", "guestbook")
    assert repository["spec"]["provider"] == "aws"
    assert repository["spec"]["image"].endswith("/acme/dev/app")
