"""The platform stack's Helm releases rendered with their real charts, as `helm install` would create them.

Terraform installs these releases (load balancer controller, External Secrets,
ExternalDNS, Flux); rendering them offline shows what reaches the cluster before any
deploy: the chart's `crds/` first, then its templates, each namespaced object in the
release namespace, values checked by the chart's schema, `.Capabilities.KubeVersion` the
environment's Kubernetes version. Supplied values that change nothing are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from render import scope
from render.chart_cache import find_chart
from render.errors import RenderError, describe
from render.helm import LoadedChart, mark_owned
from render.memo import remembered
from render.terraform_values import ValuesProblem, release_values
from render.values_usage import ignored_values


@dataclass(frozen=True)
class RenderedRelease:
    name: str
    namespace: str
    chart: str
    pinned_version: str
    rendered_version: str
    notice: str | None  # why the rendered chart version is not the pinned one
    objects: list[dict[str, Any]]
    ignored_values: list[str] = field(default_factory=list)  # `values.<path> changes nothing …`

    @property
    def where(self) -> str:
        return _where(self.name, self.chart, self.pinned_version, self.rendered_version)


@dataclass(frozen=True)
class PlatformRender:
    stack: str
    releases: list[RenderedRelease]

    def release(self, name: str) -> RenderedRelease:
        [found] = [release for release in self.releases if release.name == name]
        return found

    @property
    def notices(self) -> list[str]:
        return [f"{self.stack}: helm_release {r.name}: {r.notice}" for r in self.releases if r.notice]

    @property
    def ignored_values(self) -> list[str]:
        """One line per supplied value that changes nothing, named by stack, release and value path."""
        return [f"{self.stack}: {r.where}: {line}" for r in self.releases for line in r.ignored_values]


def render_platform_releases(
    platform_stack: dict[str, Any], *, kubernetes_version: str, cache: Path, check_values: bool = True
) -> PlatformRender:
    """Every helm_release of a synthesized `<env>-platform` stack; one RenderError with every problem.

    `check_values=False` skips the search for ignored values (it renders each chart once
    more per supplied value).
    """
    stack = str(platform_stack.get("//", {}).get("metadata", {}).get("stackName", "platform stack"))
    releases: list[RenderedRelease] = []
    problems: list[str] = []
    for release in platform_stack.get("resource", {}).get("helm_release", {}).values():
        try:
            releases.append(_render(stack, release, platform_stack, kubernetes_version, cache, check_values))
        except RenderError as error:
            problems += error.problems
    problems += _place_in_namespaces(stack, releases)
    if problems:
        raise RenderError(problems)
    return PlatformRender(stack, releases)


def _render(
    stack: str,
    release: dict[str, Any],
    document: dict[str, Any],
    kubernetes_version: str,
    cache: Path,
    check_values: bool,
) -> RenderedRelease:
    name, namespace, chart, version = (str(release.get(key, "")) for key in ("name", "namespace", "chart", "version"))
    where = f"{stack}: {_where(name, chart, version, version)}"
    try:
        values = release_values(release, document)
        cached = find_chart(chart, version, str(release.get("repository", "")), cache=cache)
    except ValuesProblem as problem:
        raise RenderError([f"{where}: {problem}"]) from None
    except RenderError as error:
        raise RenderError([f"{where}: {line}" for line in error.problems]) from None
    where = f"{stack}: {_where(name, chart, version, cached.version)}"
    with LoadedChart(cached.path, where=where) as loaded:
        if (loaded.name, loaded.version) != (chart, cached.version):
            raise RenderError([f"{where}: {cached.path} holds chart {loaded.name} {loaded.version}"])

        def manifests(supplied: dict[str, Any]) -> dict[str, str]:
            return loaded.manifests(supplied, release=name, namespace=namespace, kubernetes_version=kubernetes_version)

        templates = loaded.render(values, release=name, namespace=namespace, kubernetes_version=kubernetes_version)
        for obj in templates:
            mark_owned(obj, release=name, namespace=namespace)
        objects = [*loaded.crd_objects(), *templates]
        ignored = (
            remembered(
                "ignored-values",
                [values, name, namespace, kubernetes_version],
                lambda: ignored_values(values, manifests),
                archive=cached.path,
            )
            if check_values
            else []
        )
    return RenderedRelease(name, namespace, chart, version, cached.version, cached.notice, objects, ignored)


def _where(release: str, chart: str, pinned: str, rendered: str) -> str:
    shown = f"{chart} {pinned}" if rendered == pinned else f"{chart} {pinned}, rendered {rendered}"
    return f"helm_release {release} ({shown})"


def _place_in_namespaces(stack: str, releases: list[RenderedRelease]) -> list[str]:
    """Give namespaced objects without a namespace their release's, as `helm install` does.

    Whether a custom kind is namespaced comes from its CRD among the rendered objects;
    a kind neither built in nor defined there is an error, as it would be for Helm.
    """
    namespaced = scope.with_crds(obj for release in releases for obj in release.objects)
    problems = []
    for release in releases:
        for obj in release.objects:
            api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
            placed = namespaced(api_version, kind)
            if placed is None:
                problems.append(
                    f"{describe(f'{stack}: helm_release {release.name}', obj)}: no CRD among the rendered objects "
                    f"defines {kind} in {api_version}, so whether it is namespaced is unknown"
                )
                continue
            metadata = obj.setdefault("metadata", {})
            if placed:
                metadata.setdefault("namespace", release.namespace)
    return problems
