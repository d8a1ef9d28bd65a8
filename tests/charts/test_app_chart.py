"""charts/app on its own: lint, the values schema, the escape of External Secrets' templates,
and labels that stay valid when Flux versions the chart by commit."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from render import helm
from render.cluster import RenderedCluster
from render.errors import RenderError
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
    ],
    ids=[
        "wrong type",
        "bad tag",
        "bad certificate",
        "plaintext database",
        "relative CA bundle",
        "unknown key",
        "missing tag",
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
    objects = helm.render_chart(CHART, values, release="guestbook", namespace="guestbook", where="test")
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    environment = {e["name"]: e["value"] for e in container["env"]}
    assert environment["DATABASE_SSLMODE"] == "verify-full"
    assert environment["DATABASE_SSLROOTCERT"] == "/etc/ssl/rds/global-bundle.pem"


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
