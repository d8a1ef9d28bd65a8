"""The platform controllers as they will run: every container of the platform stack's Helm
releases, rendered with the real charts, is sized and runs under the restricted Pod Security
Standard. One property per test, over both environments; what the charts cannot be told is
in policy/suppressions.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stacks.constructs.addons import load_balancer_controller
from stacks.merge import deep_merge

if TYPE_CHECKING:
    from render.cluster import RenderedCluster

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
CONTROLLERS = {
    # (namespace, Deployment) of every platform controller
    ("kube-system", "aws-load-balancer-controller"),
    ("external-dns", "external-dns"),
    ("external-secrets", "external-secrets"),
    ("external-secrets", "external-secrets-webhook"),
    ("external-secrets", "external-secrets-cert-controller"),
    ("flux-system", "flux-operator"),
}
# Probes the charts have no value for (policy/suppressions.yaml, CKV_K8S_8 and CKV_K8S_9):
# (Deployment, probe). Exact, so a chart that gains the value makes this test ask for it.
UNPROBED = {
    ("external-secrets-webhook", "livenessProbe"),
    ("external-secrets-cert-controller", "livenessProbe"),
    ("external-secrets", "readinessProbe"),
}


def workloads(clusters: dict[str, RenderedCluster]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`<env>/<Kind>.<namespace>.<name>` and the object, for each workload of a platform release."""
    for env, cluster in clusters.items():
        for obj in cluster.objects:
            if obj.platform_release and obj.body["kind"] in WORKLOADS:
                kind, namespace, name = obj.identity
                yield f"{env}/{kind}.{namespace}.{name}", obj.body


def containers(clusters: dict[str, RenderedCluster]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """`<workload>/<container>`, the pod spec and the container, init containers included."""
    for where, body in workloads(clusters):
        pod = body["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            yield f"{where}/{container['name']}", pod, container


def effective(pod: dict[str, Any], container: dict[str, Any], field: str) -> Any:
    """A security-context field as the kubelet applies it: the container's, else the pod's."""
    own = (container.get("securityContext") or {}).get(field)
    return own if own is not None else (pod.get("securityContext") or {}).get(field)


def test_every_platform_controller_is_rendered(clusters: dict[str, RenderedCluster]) -> None:
    """The tests below hold for something: both environments' controllers are rendered."""
    rendered = {where for where, _ in workloads(clusters)}
    assert rendered == {f"{env}/Deployment.{ns}.{name}" for env in clusters for ns, name in CONTROLLERS}


def test_every_controller_container_requests_cpu_and_memory(clusters: dict[str, RenderedCluster]) -> None:
    unsized = [
        where
        for where, _, container in containers(clusters)
        if not {"cpu", "memory"} <= set((container.get("resources") or {}).get("requests") or {})
    ]
    assert unsized == []


def test_every_controller_container_has_a_memory_limit(clusters: dict[str, RenderedCluster]) -> None:
    unlimited = [
        where
        for where, _, container in containers(clusters)
        if "memory" not in ((container.get("resources") or {}).get("limits") or {})
    ]
    assert unlimited == []


def test_every_controller_container_runs_as_a_high_non_root_uid(clusters: dict[str, RenderedCluster]) -> None:
    """Above 10000, so the UID is no host user's should the process escape its container."""
    users = {where: effective(pod, c, "runAsUser") for where, pod, c in containers(clusters)}
    assert {where: uid for where, uid in users.items() if not isinstance(uid, int) or uid < 10000} == {}
    assert [where for where, pod, c in containers(clusters) if effective(pod, c, "runAsNonRoot") is not True] == []


def test_every_controller_container_drops_all_capabilities_and_cannot_escalate(
    clusters: dict[str, RenderedCluster],
) -> None:
    privileged = [
        where
        for where, _, container in containers(clusters)
        if (context := container.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False
        or "ALL" not in ((context.get("capabilities") or {}).get("drop") or [])
        or (context.get("capabilities") or {}).get("add")
        or context.get("privileged")
    ]
    assert privileged == []


def test_every_controller_container_has_a_read_only_root_filesystem(clusters: dict[str, RenderedCluster]) -> None:
    writable = [
        where
        for where, _, container in containers(clusters)
        if (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True
    ]
    assert writable == []


def test_every_controller_container_has_the_runtime_default_seccomp_profile(
    clusters: dict[str, RenderedCluster],
) -> None:
    profiles = {
        where: (effective(pod, c, "seccompProfile") or {}).get("type") for where, pod, c in containers(clusters)
    }
    assert {where: profile for where, profile in profiles.items() if profile != "RuntimeDefault"} == {}


def test_controllers_are_probed_wherever_their_charts_can_probe_them(clusters: dict[str, RenderedCluster]) -> None:
    unprobed = {
        (body["metadata"]["name"], probe)
        for _, body in workloads(clusters)
        for container in body["spec"]["template"]["spec"]["containers"]
        for probe in ("livenessProbe", "readinessProbe")
        if probe not in container
    }
    assert unprobed == UNPROBED


def test_an_override_changes_one_resource_and_keeps_the_others() -> None:
    """The escape hatch is merged last, key by key: raising a limit keeps the requests."""
    props = load_balancer_controller.load_balancer_controller(
        cluster_name="c", region="eu-west-1", vpc_id="vpc-1", overrides={"resources": {"limits": {"memory": "1Gi"}}}
    )
    assert deep_merge(props.values, props.overrides)["resources"] == {
        "requests": {"cpu": "100m", "memory": "200Mi"},
        "limits": {"memory": "1Gi"},
    }
