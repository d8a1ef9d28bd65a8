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
from tests.conftest import ENVIRONMENT_NAMES, ROOT
from tests.helpers import Document

ENVS = ENVIRONMENT_NAMES


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


def test_prod_scales_automatically_and_dev_does_not(clusters: dict[str, RenderedCluster]) -> None:
    scaled = {
        env: any(o.body["kind"] == "HorizontalPodAutoscaler" for o in clusters[env].objects) for env in ("dev", "prod")
    }
    assert scaled == {"dev": False, "prod": True}


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


def applied_by(cluster: RenderedCluster, kustomization: str) -> list[dict[str, Any]]:
    """What one Flux Kustomization applies itself (not what its HelmReleases render)."""
    return [o.body for o in cluster.objects if o.source.endswith(f"(Kustomization {kustomization})")]


def waits_for(cluster: RenderedCluster, kustomization: str) -> set[str]:
    """Every Kustomization `kustomization` waits for, directly or through another."""
    depends_on = {
        k["metadata"]["name"]: {d["name"] for d in k["spec"].get("dependsOn", [])}
        for k in cluster.of_kind("Kustomization")
    }
    found: set[str] = set()
    pending = set(depends_on[kustomization])
    while pending:
        name = pending.pop()
        found.add(name)
        pending |= depends_on.get(name, set()) - found
    return found


@pytest.mark.parametrize("env", ENVS)
def test_apps_never_wait_for_the_webhook_token(clusters: dict[str, RenderedCluster], env: str) -> None:
    """The webhook token is put into Secrets Manager by hand after the deploy; until then
    whatever applies its ExternalSecret is not Ready, and nothing the apps wait for may."""
    cluster = clusters[env]
    [receiver] = cluster.of_kind("Receiver")
    token = receiver["spec"]["secretRef"]["name"]
    holders = {
        k["metadata"]["name"]
        for k in cluster.of_kind("Kustomization")
        for obj in applied_by(cluster, k["metadata"]["name"])
        if obj["kind"] == "ExternalSecret" and obj["spec"]["target"]["name"] == token
    }
    assert holders, "no Kustomization applies the webhook's ExternalSecret: the test would prove nothing"
    assert holders.isdisjoint({"apps", *waits_for(cluster, "apps")})


@pytest.mark.parametrize("env", ENVS)
def test_every_external_secret_waits_for_its_store(clusters: dict[str, RenderedCluster], env: str) -> None:
    cluster = clusters[env]
    names = [k["metadata"]["name"] for k in cluster.of_kind("Kustomization")]
    store_holder = {
        obj["metadata"]["name"]: name
        for name in names
        for obj in applied_by(cluster, name)
        if obj["kind"] == "ClusterSecretStore"
    }
    secrets = [(name, obj) for name in names for obj in applied_by(cluster, name) if obj["kind"] == "ExternalSecret"]
    assert secrets, "no Kustomization applies an ExternalSecret: the test would prove nothing"
    for name, secret in secrets:
        assert store_holder[secret["spec"]["secretStoreRef"]["name"]] in waits_for(cluster, name), name


@pytest.mark.parametrize("env", ENVS)
def test_the_alb_reaches_only_the_webhook_ports_of_flux(
    clusters: dict[str, RenderedCluster], environments: dict[str, Environment], env: str
) -> None:
    """Flux's own policies admit only pods; the ALB sends from VPC addresses to pod IPs."""
    policy = one(clusters[env], "NetworkPolicy", "allow-webhook-from-vpc")
    assert policy["metadata"]["namespace"] == "flux-system"
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "notification-controller"}}
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert rule["from"] == [{"ipBlock": {"cidr": str(environments[env].network.cidr)}}]
    ports = sorted((port["protocol"], port["port"]) for port in rule["ports"])
    assert ports == [("TCP", 9292), ("TCP", 9440)]  # receiver `http-webhook`, `healthz`
    annotations = one(clusters[env], "Ingress", "flux-webhook")["metadata"]["annotations"]
    assert ("TCP", int(annotations["alb.ingress.kubernetes.io/healthcheck-port"])) in ports


@pytest.mark.parametrize("env", ENVS)
def test_pods_behind_ip_targets_wait_for_the_alb_readiness_gate(clusters: dict[str, RenderedCluster], env: str) -> None:
    """With target-type ip the ALB sends to pod IPs, and only the AWS Load Balancer
    Controller's readiness gate keeps a rollout from ending old pods before the new ones
    are healthy targets. The controller injects it into pods of namespaces labelled
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
    (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/).

    Checked for the namespaces this tree defines. flux-system, where the webhook's
    Ingress lives, is created by Terraform (the platform stack), not by this tree: the
    test pins it as the one namespace it cannot see, so a new one does not go unchecked.
    """
    key, value = "elbv2.k8s.aws/pod-readiness-gate-inject", "enabled"

    def readiness_gates(objects: list[dict[str, Any]]) -> tuple[set[str], set[str], set[str]]:
        """Namespaces behind ip-target Ingresses: checked here, checked and unlabelled, defined elsewhere."""
        behind = {
            o["metadata"]["namespace"]
            for o in objects
            if o["kind"] == "Ingress"
            and o["metadata"].get("annotations", {}).get("alb.ingress.kubernetes.io/target-type") == "ip"
        }
        defined = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Namespace"}
        checked = behind & defined.keys()
        unlabelled = {n for n in checked if defined[n]["metadata"].get("labels", {}).get(key) != value}
        return checked, unlabelled, behind - defined.keys()

    objects = [o.body for o in clusters[env].objects]
    checked, unlabelled, elsewhere = readiness_gates(objects)
    assert "guestbook" in checked
    assert unlabelled == set()
    assert elsewhere == {"flux-system"}
    # The defect planted: the app's namespace without the label is found.
    planted: list[dict[str, Any]] = json.loads(json.dumps(objects))
    [namespace] = [o for o in planted if o["kind"] == "Namespace" and o["metadata"]["name"] == "guestbook"]
    del namespace["metadata"]["labels"][key]
    assert readiness_gates(planted)[1] == {"guestbook"}
