"""Render one environment's cluster: what Flux would apply, in the order it would apply it."""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from render import helm, kustomize
from render.errors import RenderError, describe, located
from render.schemas import validate
from render.substitute import substitute
from stacks import bridge

FLUX_SOURCE = ("GitRepository", "flux-system")  # the repository itself, synced by the FluxInstance
KUSTOMIZATION = ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
HELM_RELEASE = ("helm.toolkit.fluxcd.io/v2", "HelmRelease")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterSecretStore", "CustomResourceDefinition"}


@dataclass(frozen=True)
class RenderedObject:
    source: str  # the file, Kustomization or HelmRelease the object came from
    body: dict[str, Any]

    @property
    def identity(self) -> tuple[str, str, str]:
        metadata = self.body.get("metadata", {})
        return (str(self.body.get("kind")), str(metadata.get("namespace", "")), str(metadata.get("name")))


@dataclass
class RenderedCluster:
    environment: str
    objects: list[RenderedObject] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o.body for o in self.objects if o.body.get("kind") == kind]


def render_cluster(repo: Path, environment: str, values: dict[str, str], kubernetes_version: str) -> RenderedCluster:
    rendered = RenderedCluster(environment)
    problems: list[str] = []
    entry = f"clusters/{environment}"
    for body in kustomize.build(repo / entry, entry):
        rendered.objects.append(RenderedObject(entry, body))
    for kustomization in [o.body for o in list(rendered.objects) if _is(o.body, KUSTOMIZATION)]:
        problems += _apply_kustomization(repo, kustomization, values, rendered)
    for release in [o for o in list(rendered.objects) if _is(o.body, HELM_RELEASE)]:
        problems += _render_release(repo, release, rendered)
    problems += _check_dependencies(rendered)
    problems += _check_duplicates(rendered)
    for obj in rendered.objects:
        problems += [located(obj.source, obj.body, message) for message in validate(obj.body, kubernetes_version)]
    if problems:
        raise RenderError(problems)
    return rendered


def _is(body: dict[str, Any], kind: tuple[str, str]) -> bool:
    return (body.get("apiVersion"), body.get("kind")) == kind


def _apply_kustomization(
    repo: Path, kustomization: dict[str, Any], values: dict[str, str], rendered: RenderedCluster
) -> list[str]:
    spec = kustomization.get("spec", {})
    where = describe(f"clusters/{rendered.environment}", kustomization)
    source = spec.get("sourceRef", {})
    if (source.get("kind"), source.get("name")) != FLUX_SOURCE:
        return [f"{where}: spec.sourceRef: only this repository's GitRepository flux-system renders offline"]
    path = str(spec.get("path", "")).removeprefix("./")
    shown = f"{path} (Kustomization {kustomization['metadata']['name']})"
    substitutions = spec.get("postBuild", {}).get("substituteFrom", [])
    for reference in substitutions:
        if (reference.get("kind"), reference.get("name")) != ("ConfigMap", bridge.NAME):
            return [
                f"{where}: spec.postBuild.substituteFrom: only ConfigMap {bridge.NAME} (the bridge) is known offline"
            ]
    problems = []
    for body in kustomize.build(repo / path, shown):
        if substitutions:
            body, missing = substitute(body, values)
            problems += [located(shown, body, f"${{{name}}} has no value and no default") for name in missing]
        if spec.get("targetNamespace") and body.get("kind") not in CLUSTER_SCOPED:
            body.setdefault("metadata", {})["namespace"] = spec["targetNamespace"]
        rendered.objects.append(RenderedObject(shown, body))
    return problems


def _render_release(repo: Path, release: RenderedObject, rendered: RenderedCluster) -> list[str]:
    body = release.body
    spec = body.get("spec", {})
    chart_spec = spec.get("chart", {}).get("spec", {})
    where = describe(release.source, body)
    source = chart_spec.get("sourceRef", {})
    if (source.get("kind"), source.get("name")) != FLUX_SOURCE:
        return [f"{where}: spec.chart.spec.sourceRef: only charts from this repository render offline"]
    if spec.get("valuesFrom"):
        return [f"{where}: spec.valuesFrom: not supported offline; put values in spec.values"]
    chart_dir = repo / str(chart_spec.get("chart", "")).removeprefix("./")
    if not (chart_dir / "Chart.yaml").is_file():
        return [f"{where}: spec.chart.spec.chart: {chart_spec.get('chart')} is not a chart in this repository"]
    namespace = spec.get("targetNamespace") or body["metadata"].get("namespace", "default")
    name = spec.get("releaseName") or (
        f"{namespace}-{body['metadata']['name']}" if spec.get("targetNamespace") else body["metadata"]["name"]
    )
    try:
        objects = helm.render_chart(chart_dir, spec.get("values", {}), release=name, namespace=namespace, where=where)
    except RenderError as error:
        return list(error.problems)
    shown = (
        f"{chart_dir.relative_to(repo)} (HelmRelease {body['metadata'].get('namespace')}/{body['metadata']['name']})"
    )
    for obj in objects:
        if obj.get("kind") not in CLUSTER_SCOPED:
            obj.setdefault("metadata", {}).setdefault("namespace", namespace)
        rendered.objects.append(RenderedObject(shown, obj))
    return []


def _check_dependencies(rendered: RenderedCluster) -> list[str]:
    """Flux `dependsOn` among Kustomizations (and among HelmReleases): no dangling name, no cycle."""
    problems: list[str] = []
    for kind in ("Kustomization", "HelmRelease"):
        objects = rendered.of_kind(kind)
        known = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects}
        if kind == "Kustomization":
            known.add(("flux-system", "flux-system"))  # created by the FluxInstance
        graph: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for obj in objects:
            node = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            graph[node] = set()
            for dependency in obj.get("spec", {}).get("dependsOn", []):
                target = (dependency.get("namespace", node[0]), dependency["name"])
                if target not in known:
                    problems.append(
                        f"{kind} {node[0]}/{node[1]}: spec.dependsOn: {target[0]}/{target[1]} does not exist"
                    )
                graph[node].add(target)
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as error:
            problems.append(f"{kind} dependsOn has a cycle: {' -> '.join('/'.join(n) for n in error.args[1])}")
    return problems


def _check_duplicates(rendered: RenderedCluster) -> list[str]:
    seen: dict[tuple[str, str, str], str] = {}
    problems = []
    for obj in rendered.objects:
        if obj.identity in seen:
            problems.append(f"{obj.source}: {'/'.join(obj.identity)} is also applied by {seen[obj.identity]}")
        seen.setdefault(obj.identity, obj.source)
    return problems
