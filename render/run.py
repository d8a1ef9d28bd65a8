"""Render every environment's cluster from a synthesized app (the main job's second half).

Per environment: the platform stack's Helm releases with their real charts (what
Terraform installs), then the Flux tree on top of them, validated against what those
releases serve and substituted as their kustomize-controller would.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from render.bridge_values import bridge_values
from render.chart_cache import chart_cache_dir
from render.cluster import RenderedCluster, RenderedObject, render_cluster
from render.errors import RenderError
from render.installed import installed_platform
from render.output import write_cluster
from render.platform_releases import render_platform_releases
from render.upstream_cache import upstream_cache_dir
from stacks.config import Environment
from stacks.display import shown
from stacks.summary import stack_documents


def render_environments(
    repo: Path, environments: list[Environment], synth_dir: Path, output: Path | None
) -> dict[str, RenderedCluster]:
    """Render and validate every environment; raise one RenderError with all problems."""
    documents = stack_documents(synth_dir)
    cache = upstream_cache_dir()
    rendered: dict[str, RenderedCluster] = {}
    problems: list[str] = []
    for env in environments:
        stack = documents[f"{env.name}-platform"]
        try:
            platform = render_platform_releases(
                stack, kubernetes_version=env.cluster.kubernetes_version, cache=chart_cache_dir()
            )
            problems += platform.ignored_values
            installed = installed_platform(platform, cache)
            rendered[env.name] = render_cluster(
                repo,
                env.name,
                bridge_values(stack, env),
                env.cluster.kubernetes_version,
                catalog=installed.catalog,
                strict=installed.strict_substitution,
                installed=[
                    RenderedObject(f"{platform.stack}: {release.where}", obj, platform_release=release.name)
                    for release in platform.releases
                    for obj in release.objects
                ],
            )
            rendered[env.name].notices.extend(platform.notices)
        except RenderError as error:
            problems += error.problems
    if problems:
        raise RenderError(problems)
    if output is not None:
        write_clusters(rendered, output)
    return rendered


def write_clusters(rendered: dict[str, RenderedCluster], output: Path) -> None:
    for name, cluster in rendered.items():
        write_cluster(cluster, output / name)


def summarize(rendered: dict[str, RenderedCluster], output: Path | None) -> str:
    lines = []
    for name, cluster in rendered.items():
        platform = sum(1 for o in cluster.objects if o.platform_release)
        kinds = Counter(str(o.body.get("kind")) for o in cluster.objects)
        where = f" into {shown(output / name)}" if output else ""
        lines.append(
            f"  {name:<16} {platform:>4} platform + {len(cluster.objects) - platform:>3} Flux objects "
            f"({len(kinds)} kinds) rendered and validated{where}"
        )
    count = len(rendered)
    notices = [f"  notice: {line}" for cluster in rendered.values() for line in cluster.notices]
    return "\n".join([f"Rendered {count} cluster{'s' if count != 1 else ''}:", *lines, *notices])
