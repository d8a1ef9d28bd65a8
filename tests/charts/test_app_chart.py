"""charts/app on its own: lint, the values schema, and the escape of External Secrets' templates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

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
