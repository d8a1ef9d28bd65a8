"""charts/app on its own: lint, the values schema, the escape of External Secrets' templates,
the database role and refresh the app's rotation relies on, labels that stay valid when
Flux versions the chart by commit, and the metrics port the collector scrapes and the ALB
never reaches."""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from guestbook.settings import ROLE_NAME

from render import helm
from render.cluster import RenderedCluster
from render.errors import RenderError
from stacks.constructs.observability.scrape_config import POD_JOBS, pod_targets, scrape_configuration
from tests.conftest import ROOT

CHART = ROOT / "charts" / "app"


def release_values(clusters: dict[str, RenderedCluster], env: str) -> dict[str, Any]:
    [release] = clusters[env].of_kind("HelmRelease")
    return copy.deepcopy(release["spec"]["values"])


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_chart_lints_clean_with_each_environments_values(clusters: dict[str, RenderedCluster], env: str) -> None:
    assert helm.lint_chart(CHART, release_values(clusters, env)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: v.update(replicas="3"), "at '/replicas': got string, want integer"),
        (lambda v: v["image"].update(tag="latest tag"), "at '/image/tag'"),
        (lambda v: v["ingress"].update(certificateArn="not-an-arn"), "at '/ingress/certificateArn'"),
        (lambda v: v["database"].update(sslMode="disable"), "at '/database/sslMode'"),
        (lambda v: v["database"].update(sslRootCert="global-bundle.pem"), "at '/database/sslRootCert'"),
        (lambda v: v.update(replicaCount=2), "additional properties 'replicaCount' not allowed"),
        (lambda v: v["image"].pop("tag"), "at '/image/tag': '' does not match"),
        (lambda v: v["database"].pop("role"), "at '/database/role': '' does not match"),
        (lambda v: v["database"].update(role="Guestbook"), "at '/database/role': 'Guestbook' does not match"),
        (lambda v: v["database"].update(role="guestbook -c search_path=public"), "at '/database/role'"),
        (lambda v: v.update(metrics={"port": 8080}), "at '/metrics/port'"),
        (lambda v: v.update(metrics={"port": "9090"}), "at '/metrics/port': got string, want integer"),
        (lambda v: v.update(metrics={"path": "/metrics"}), "additional properties 'path' not allowed"),
    ],
    ids=[
        "wrong type",
        "bad tag",
        "bad certificate",
        "plaintext database",
        "relative CA bundle",
        "unknown key",
        "missing tag",
        "missing database role",
        "upper-case role",
        "role with options",
        "metrics on the http port",
        "metrics port as text",
        "unknown metrics key",
    ],
)
def test_schema_rejects_bad_values(clusters: dict[str, RenderedCluster], change: Any, expected: str) -> None:
    values = release_values(clusters, "dev")
    change(values)
    with pytest.raises(RenderError) as caught:
        helm.render_chart(CHART, values, release="guestbook", namespace="guestbook", where="test")
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_external_secrets_templates_pass_through_helm(clusters: dict[str, RenderedCluster]) -> None:
    [secret] = [o for o in clusters["dev"].of_kind("ExternalSecret") if o["metadata"]["name"] == "guestbook-database"]
    data = secret["spec"]["target"]["template"]["data"]
    assert (data["username"], data["password"]) == ("{{ .username }}", "{{ .password }}")


def test_database_tls_is_verified_by_default(clusters: dict[str, RenderedCluster]) -> None:
    """With no database TLS values given (as the environments give none), the app verifies
    the server certificate and its host name against the bundle the image carries."""
    values = release_values(clusters, "prod")
    assert not {"sslMode", "sslRootCert"} & set(values["database"])
    environment = container_environment(render(values))
    assert environment["DATABASE_SSLMODE"] == "verify-full"
    assert environment["DATABASE_SSLROOTCERT"] == "/etc/ssl/rds/global-bundle.pem"


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    return helm.render_chart(CHART, values, release="guestbook", namespace="guestbook", where="test")


def container_environment(objects: list[dict[str, Any]]) -> dict[str, str]:
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_session_acts_as_the_bridges_database_role(clusters: dict[str, RenderedCluster], env: str) -> None:
    """The role the credential's two logins share reaches the app as DATABASE_ROLE."""
    values = release_values(clusters, env)
    assert values["database"]["role"], "the environment passes no database role"
    assert container_environment(render(values))["DATABASE_ROLE"] == values["database"]["role"]


def test_the_chart_accepts_exactly_the_role_names_the_app_accepts() -> None:
    """One pattern on both sides: a role the chart lets through never stops the pod."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["properties"]["database"]["properties"]["role"]["pattern"] == f"^{ROLE_NAME.pattern}$"


def test_the_credential_is_refreshed_every_minute_by_default(clusters: dict[str, RenderedCluster]) -> None:
    """The environments set no refreshInterval: a rotation reaches the Secret within a minute
    (docs/database-credentials.md), and both files come from one version of the secret."""
    values = release_values(clusters, "prod")
    assert "refreshInterval" not in values["database"]
    [secret] = [o for o in render(values) if o["kind"] == "ExternalSecret"]
    assert secret["spec"]["refreshInterval"] == "1m"
    assert {(d["secretKey"], d["remoteRef"]["property"]) for d in secret["spec"]["data"]} == {
        ("username", "username"),
        ("password", "password"),
    }
    assert {d["remoteRef"]["key"] for d in secret["spec"]["data"]} == {values["database"]["secretArn"]}


# A label value as the API server validates it (IsValidLabelValue).
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def test_a_chart_versioned_by_commit_keeps_valid_labels_and_leaves_the_pods_alone(
    clusters: dict[str, RenderedCluster], tmp_path: Path
) -> None:
    """source-controller builds the chart as `0.1.0+<12 hex of the commit>` (reconcileStrategy:
    Revision); `+` may not stand in a label value, so the chart label writes it as `_` (as
    `helm create` does), and the pods carry no chart label, so a new commit restarts none."""
    chart = tmp_path / "app"
    shutil.copytree(CHART, chart)
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text())
    metadata["version"] = "0.1.0+0123456789ab"
    (chart / "Chart.yaml").write_text(yaml.safe_dump(metadata, sort_keys=False))
    values = release_values(clusters, "prod")
    assert helm.lint_chart(chart, values) == []
    objects = helm.render_chart(chart, values, release="guestbook", namespace="guestbook", where="test")
    labels = {f"{o['kind']}/{o['metadata']['name']}": o["metadata"]["labels"]["helm.sh/chart"] for o in objects}
    assert set(labels.values()) == {"app-0.1.0_0123456789ab"}, labels
    assert all(LABEL_VALUE.match(value) and len(value) <= 63 for value in labels.values())
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["metadata"]["labels"]
    assert "helm.sh/chart" not in pod
    assert pod["app.kubernetes.io/version"] == values["image"]["tag"]


@dataclass(frozen=True)
class Pod:
    """A pod as the scrape configuration's service discovery sees it."""

    namespace: str
    labels: dict[str, str]
    ports: dict[str, int]


def rendered_pod(objects: list[dict[str, Any]], namespace: str = "guestbook") -> Pod:
    """The Deployment's pods; `namespace` the release's (Helm writes none into the objects)."""
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    template = deployment["spec"]["template"]
    [container] = template["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    return Pod(deployment["metadata"].get("namespace", namespace), template["metadata"]["labels"], ports)


def test_the_metrics_port_is_the_collectors_and_never_the_albs(clusters: dict[str, RenderedCluster]) -> None:
    """The app serves /metrics on METRICS_PORT, the port named `metrics`; the NetworkPolicy
    admits the VPC there (the collector's interfaces are in the private subnets), and the
    Service and the Ingress route the http port only."""
    values = release_values(clusters, "prod")
    objects = render(values)
    assert rendered_pod(objects).ports == {"http": 8080, "metrics": 9090}
    assert container_environment(objects)["METRICS_PORT"] == "9090"
    [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"]
    admitted = {
        (peer["ipBlock"]["cidr"], port["port"], port["protocol"])
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
        for port in rule["ports"]
    }
    assert admitted == {
        (values["networkPolicy"]["vpcCidr"], 8080, "TCP"),
        (values["networkPolicy"]["vpcCidr"], 9090, "TCP"),
    }
    [service] = [o for o in objects if o["kind"] == "Service"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    [ingress] = [o for o in objects if o["kind"] == "Ingress"]
    backends = [
        path["backend"]["service"]["port"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    ]
    assert backends == [{"name": "http"}]


def test_another_metrics_port_reaches_the_app_the_pod_and_the_policy(clusters: dict[str, RenderedCluster]) -> None:
    values = release_values(clusters, "dev") | {"metrics": {"port": 9100}}
    objects = render(values)
    assert rendered_pod(objects).ports["metrics"] == 9100
    assert container_environment(objects)["METRICS_PORT"] == "9100"
    [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert 9100 in {port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_collectors_guestbook_job_keeps_the_charts_pods(clusters: dict[str, RenderedCluster], env: str) -> None:
    """The scrape job (stacks/constructs/observability/scrape_config.py) keeps pods by
    namespace, labels and port name: it must find the release's pods, as Flux deploys
    them, on the metrics port."""
    deployments = [o for o in clusters[env].of_kind("Deployment") if o["metadata"]["name"] == "guestbook"]
    pod = rendered_pod(deployments, namespace="")
    assert pod.namespace == "guestbook"
    [job] = [j for j in POD_JOBS if j.name == "guestbook"]
    assert [(name, port) for name, _, port in pod_targets(scrape_configuration([job]), [pod])] == [("guestbook", 9090)]
