"""Render one environment's cluster: what Flux would apply to a fresh cluster, in its order.

The FluxInstance's sync Kustomization (flux-system, path clusters/<env>) goes first; the
Kustomizations it applies follow generation by generation: the builds of a generation
run side by side (they need nothing from the cluster), their post-builds in dependsOn
order (substituteFrom reads ConfigMaps of dependencies and of the Kustomizations that
applied it; one rendered in a later generation is not seen yet). Then every HelmRelease,
whose valuesFrom reads any ConfigMap a Kustomization applies in its namespace. Every
object is validated once, as it is admitted; a Flux object that is not valid is not
interpreted further (its validation problems say why).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from render import helm_release, kustomization, scope
from render.crds import CrdCatalog
from render.errors import RenderError, describe, located
from render.schemas import validate
from stacks import bridge

KUSTOMIZATION = ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
HELM_RELEASE = ("helm.toolkit.fluxcd.io/v2", "HelmRelease")
SYNC = ("flux-system", "flux-system")  # namespace, name of the Kustomization the FluxInstance creates
Key = tuple[str, str]


@dataclass(frozen=True)
class RenderedObject:
    source: str  # the file, Kustomization or HelmRelease the object came from
    body: dict[str, Any]
    platform_release: str | None = None  # set for the objects of a platform stack's helm_release

    @property
    def identity(self) -> tuple[str, str, str]:
        metadata = self.body.get("metadata", {})
        return (str(self.body.get("kind")), str(metadata.get("namespace", "")), str(metadata.get("name")))


@dataclass
class RenderedCluster:
    environment: str
    objects: list[RenderedObject] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what was rendered differently from what is pinned, and why

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o.body for o in self.objects if o.body.get("kind") == kind]


@dataclass
class _Render:
    repo: Path
    values: dict[str, str]  # the bridge ConfigMap's data
    kubernetes_version: str
    strict: bool
    catalog: CrdCatalog  # what the installed controllers serve; grows with each CRD the tree applies
    cluster: RenderedCluster
    problems: list[str] = field(default_factory=list)
    kustomizations: dict[Key, dict[str, Any]] = field(default_factory=dict)
    applier: dict[Key, Key] = field(default_factory=dict)  # Kustomization → the one that applies it
    applied: dict[Key, list[dict[str, Any]]] = field(default_factory=dict)  # Kustomization → its objects
    invalid: set[int] = field(default_factory=set)  # ids of bodies that failed validation

    def admit(self, source: str, body: dict[str, Any], platform_release: str | None = None) -> bool:
        """Add an object to the cluster; False when it is not valid (the one place objects are validated)."""
        self.cluster.objects.append(RenderedObject(source, body, platform_release))
        problems = [located(source, body, message) for message in validate(body, self.kubernetes_version, self.catalog)]
        if not problems and body.get("kind") == "CustomResourceDefinition" and not self._known(body):
            self.catalog = self.catalog.merged(CrdCatalog.from_documents([body], source))
        self.problems += problems
        if problems:
            self.invalid.add(id(body))
        return not problems

    def _known(self, crd: dict[str, Any]) -> bool:
        """Served already by an installed controller, whose definition (at its pinned version) stands."""
        spec = crd.get("spec") or {}
        kind = str((spec.get("names") or {}).get("kind"))
        return any(self.catalog.knows(f"{spec.get('group')}/{v.get('name')}", kind) for v in spec.get("versions") or [])


def render_cluster(
    repo: Path,
    environment: str,
    values: dict[str, str],
    kubernetes_version: str,
    *,
    catalog: CrdCatalog,
    strict: bool = True,
    installed: Iterable[RenderedObject] = (),
) -> RenderedCluster:
    """The cluster as Flux builds it on top of what `installed` (the platform releases) put there.

    `catalog`: the custom resources the installed controllers serve. `strict`: a variable
    without value or default is an error (kustomize-controller's StrictPostBuildSubstitutions).
    """
    state = _Render(repo, values, kubernetes_version, strict, catalog, RenderedCluster(environment))
    for obj in installed:
        state.admit(obj.source, obj.body, obj.platform_release)
    entry = f"clusters/{environment}"
    sync = {
        "apiVersion": KUSTOMIZATION[0],
        "kind": KUSTOMIZATION[1],
        "metadata": {"name": SYNC[1], "namespace": SYNC[0]},
        "spec": {
            "interval": "10m",
            "path": entry,
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }
    state.kustomizations[SYNC] = sync
    generation: list[Key] = [SYNC]
    while generation:
        generation = _render_generation(state, generation, entry)
    namespaces = {str(body["metadata"].get("name")) for body in state.cluster.of_kind("Namespace")}
    for obj in list(state.cluster.objects):
        if _is(obj.body, HELM_RELEASE) and id(obj.body) not in state.invalid and not _suspended(obj.body):
            _render_release(state, obj, namespaces)
    state.problems += _check_dependencies(state.cluster) + _check_duplicates(state.cluster) + _check_releases(state)
    if state.problems:
        raise RenderError(state.problems)
    return state.cluster


def _render_generation(state: _Render, generation: list[Key], entry: str) -> list[Key]:
    """Render these Kustomizations; the Kustomizations they apply, for the next generation."""
    active = [key for key in generation if not _suspended(state.kustomizations[key])]
    shown = {key: entry if key == SYNC else _shown(state.kustomizations[key]) for key in active}
    where = {key: entry if key == SYNC else describe(_source(state, key), state.kustomizations[key]) for key in active}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(active)))) as pool:
        builds: dict[Key, Future[list[str]]] = {
            key: pool.submit(
                kustomization.build, state.repo, state.kustomizations[key], where=where[key], shown=shown[key]
            )
            for key in active
        }
    following: list[Key] = []
    for key in _in_dependency_order(state, active):
        body = state.kustomizations[key]
        try:
            objects = kustomization.post_build(
                builds[key].result(),
                body,
                config_maps=_config_maps(state, key[0], [*_ancestors(state, key), *_dependencies(state, key)]),
                strict=state.strict,
                namespaced=scope.with_crds((), state.catalog.is_namespaced),
                where=where[key],
                shown=shown[key],
            )
        except RenderError as error:
            state.problems += error.problems
            continue
        state.applied[key] = objects
        for obj in objects:
            if state.admit(shown[key], obj) and _is(obj, KUSTOMIZATION) and _key(obj) not in state.kustomizations:
                child = _key(obj)  # one already known (flux-system applying itself) is not rendered twice
                state.kustomizations[child], state.applier[child] = obj, key
                following.append(child)
    return following


def _render_release(state: _Render, release: RenderedObject, namespaces: set[str]) -> None:
    owners = list(state.applied)
    try:
        shown, objects = helm_release.render_release(
            state.repo,
            release.body,
            source=release.source,
            config_maps=_config_maps(state, str(release.body["metadata"].get("namespace", "")), owners),
            namespaces=namespaces,
            namespaced=scope.with_crds((), state.catalog.is_namespaced),
        )
    except RenderError as error:
        state.problems += error.problems
        return
    for obj in objects:
        state.admit(shown, obj)


def _config_maps(state: _Render, namespace: str, owners: Iterable[Key]) -> dict[str, dict[str, str]]:
    """The ConfigMaps of `namespace` that `owners` apply (name → data), and the bridge where it lives."""
    found = {
        str(obj["metadata"]["name"]): dict(obj.get("data") or {})
        for owner in owners
        for obj in state.applied.get(owner, [])
        if obj.get("kind") == "ConfigMap" and obj.get("metadata", {}).get("namespace") == namespace
    }
    if namespace == bridge.NAMESPACE:
        found[bridge.NAME] = dict(state.values)
    return found


def _dependencies(state: _Render, key: Key) -> set[Key]:
    """Every Kustomization `key` waits for, directly or through another."""
    found: set[Key] = set()
    pending = [key]
    while pending:
        current = pending.pop()
        spec = state.kustomizations.get(current, {}).get("spec") or {}
        for dependency in spec.get("dependsOn") or []:
            target = (str(dependency.get("namespace") or current[0]), str(dependency.get("name")))
            if target not in found:
                found.add(target)
                pending.append(target)
    return found


def _ancestors(state: _Render, key: Key) -> list[Key]:
    """The Kustomizations that applied `key`: their objects exist before it reconciles."""
    found: list[Key] = []
    while key in state.applier:
        key = state.applier[key]
        found.append(key)
    return found


def _in_dependency_order(state: _Render, keys: list[Key]) -> list[Key]:
    graph = {key: _dependencies(state, key) & set(keys) for key in keys}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError:
        return keys  # reported by _check_dependencies


def _source(state: _Render, key: Key) -> str:
    applier = state.applier.get(key, SYNC)
    return f"clusters/{state.cluster.environment}" if applier == SYNC else _shown(state.kustomizations[applier])


def _shown(body: dict[str, Any]) -> str:
    metadata = body["metadata"]
    name = (
        metadata["name"] if metadata.get("namespace") == SYNC[0] else f"{metadata.get('namespace')}/{metadata['name']}"
    )
    path = kustomization.repository_path(str(body.get("spec", {}).get("path") or "")).as_posix()
    return f"{path} (Kustomization {name})"


def _key(body: dict[str, Any]) -> Key:
    return (str(body["metadata"].get("namespace", "")), str(body["metadata"]["name"]))


def _is(body: dict[str, Any], kind: tuple[str, str]) -> bool:
    return (body.get("apiVersion"), body.get("kind")) == kind


def _suspended(body: dict[str, Any]) -> bool:
    """Flux applies nothing new for a suspended object; on a fresh cluster that is nothing."""
    return bool((body.get("spec") or {}).get("suspend"))


def _check_dependencies(rendered: RenderedCluster) -> list[str]:
    """Flux `dependsOn` among Kustomizations (and among HelmReleases): no dangling name, no cycle."""
    problems: list[str] = []
    for kind in ("Kustomization", "HelmRelease"):
        objects = rendered.of_kind(kind)
        known = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects}
        if kind == "Kustomization":
            known.add(SYNC)
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


def _check_releases(state: _Render) -> list[str]:
    """Two HelmReleases with one release name in one storage namespace would be one Helm release."""
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for obj in state.cluster.objects:
        if not _is(obj.body, HELM_RELEASE) or id(obj.body) in state.invalid or _suspended(obj.body):
            continue
        key = helm_release.storage_key(obj.body)
        if key in seen:
            problems.append(
                f"{describe(obj.source, obj.body)}: release {key[1]} in storage namespace {key[0]} is also "
                f"{seen[key]}'s: set spec.releaseName or spec.storageNamespace"
            )
        seen.setdefault(key, f"HelmRelease {obj.identity[1]}/{obj.identity[2]}")
    return problems
