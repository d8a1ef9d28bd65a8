"""GitHub commit statuses from Flux: each cluster reports each Kustomization's result on
the commit it applied, under a context naming the cluster, with a credential that is
put by hand and that nothing on the apps' path waits for."""

from __future__ import annotations

from typing import Any

import pytest
from cel_expr_python import cel  # type: ignore[import-untyped]
from cel_expr_python.ext import ext_strings  # type: ignore[import-untyped]

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster
from stacks.config import Environment
from system.facts import release_values
from tests.clusters.test_rendered_clusters import applied_by, one, waits_for
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, resources

ENVS = ENVIRONMENT_NAMES


def status_context(provider: dict[str, Any], alert: dict[str, Any], kind: str, name: str) -> str:
    """The context notification-controller gives a commit status: the Provider's
    commitStatusExpr over the event, whose metadata holds the Alert's eventMetadata
    (fluxcd/notification-controller v1.8.4 internal/server/event_handlers.go,
    combineEventMetadata and createCommitStatus; its CEL environment has the strings
    extension, fluxcd/pkg runtime/cel/expression.go)."""
    variables = {"event": cel.Type.DYN, "provider": cel.Type.DYN, "alert": cel.Type.DYN}
    environment = cel.NewEnv(variables=variables, extensions=[ext_strings.ExtStrings()])
    event = {"involvedObject": {"kind": kind, "name": name}, "metadata": dict(alert["spec"]["eventMetadata"])}
    result = environment.compile(provider["spec"]["commitStatusExpr"]).eval(
        data={"event": event, "provider": provider, "alert": alert}
    )
    assert result.type() == cel.Type.STRING, result.value()
    return str(result.value())


@pytest.mark.parametrize("env", ENVS)
def test_every_kustomization_reports_to_the_environments_repository(
    clusters: dict[str, RenderedCluster], environments: dict[str, Environment], env: str
) -> None:
    cluster = clusters[env]
    provider = one(cluster, "Provider", "github-status")
    alert = one(cluster, "Alert", "github-status")
    assert provider["spec"]["type"] == "github"
    assert provider["spec"]["address"] == environments[env].repository
    assert alert["spec"]["providerRef"] == {"name": "github-status"}
    # Only Kustomization events name a Git commit in Flux v2.8 (the Alert's comment says why).
    assert alert["spec"]["eventSources"] == [{"kind": "Kustomization", "name": "*"}]
    assert alert["spec"].get("eventSeverity", "info") == "info"  # successes are info events
    namespaces = {k["metadata"]["namespace"] for k in cluster.of_kind("Kustomization")}
    assert namespaces == {alert["metadata"]["namespace"]}  # `*` without a namespace: the Alert's own


def test_each_cluster_posts_under_its_own_context(clusters: dict[str, RenderedCluster]) -> None:
    contexts = {
        env: status_context(
            one(clusters[env], "Provider", "github-status"),
            one(clusters[env], "Alert", "github-status"),
            "Kustomization",
            "apps",
        )
        for env in ("dev", "prod")
    }
    assert contexts == {"dev": "flux/dev/kustomization/apps", "prod": "flux/prod/kustomization/apps"}


def test_the_context_needs_the_alerts_cluster(clusters: dict[str, RenderedCluster]) -> None:
    """The defect planted: an Alert without eventMetadata.cluster makes the expression fail."""
    provider = one(clusters["dev"], "Provider", "github-status")
    alert = one(clusters["dev"], "Alert", "github-status")
    planted = {**alert, "spec": {**alert["spec"], "eventMetadata": {}}}
    with pytest.raises(AssertionError, match="cluster"):
        status_context(provider, planted, "Kustomization", "apps")


def test_the_synced_revision_names_a_git_commit(stacks: dict[str, Document]) -> None:
    """A Kustomization's revision becomes the commit's SHA only from a GitRepository
    (`refs/heads/<branch>@sha1:<commit>`); an OCIRepository's is an artifact digest."""
    for env in ENVS:
        sync = release_values(stacks[f"{env}-platform"], "flux")["instance"]["sync"]
        assert sync["kind"] == "GitRepository", env


@pytest.mark.parametrize("env", ENVS)
def test_the_credential_is_hand_set_and_nothing_on_the_app_path_waits_for_it(
    clusters: dict[str, RenderedCluster],
    stacks: dict[str, Document],
    environments: dict[str, Environment],
    env: str,
) -> None:
    cluster = clusters[env]
    provider = one(cluster, "Provider", "github-status")
    secret = provider["spec"]["secretRef"]["name"]
    holders = {
        k["metadata"]["name"]: obj
        for k in cluster.of_kind("Kustomization")
        for obj in applied_by(cluster, k["metadata"]["name"])
        if obj["kind"] == "ExternalSecret" and obj["spec"]["target"]["name"] == secret
    }
    assert list(holders) == ["flux-commit-status"]
    kustomizations = [k["metadata"]["name"] for k in cluster.of_kind("Kustomization")]
    assert [name for name in kustomizations if "flux-commit-status" in waits_for(cluster, name)] == []
    # Every key of the Secrets Manager value (a token, or a GitHub App's id and key).
    [source] = holders["flux-commit-status"]["spec"]["dataFrom"]
    prefix = bridge_values(stacks[f"{env}-platform"], environments[env])["secrets_prefix"]
    assert source == {"extract": {"key": f"{prefix}flux-github-status-token"}}
    names = {s["name"] for s in resources(stacks[f"{env}-platform"], "aws_secretsmanager_secret").values()}
    assert source["extract"]["key"] in names
