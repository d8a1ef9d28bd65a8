"""Render every environment's cluster from a synthesized app (the main job's second half)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster, render_cluster
from render.errors import RenderError
from render.output import write_cluster
from stacks.config import Environment
from stacks.display import shown
from stacks.summary import stack_documents


def render_environments(
    repo: Path, environments: list[Environment], synth_dir: Path, output: Path | None
) -> dict[str, RenderedCluster]:
    """Render and validate every environment; raise one RenderError with all problems."""
    documents = stack_documents(synth_dir)
    rendered: dict[str, RenderedCluster] = {}
    problems: list[str] = []
    for env in environments:
        values = bridge_values(documents[f"{env.name}-platform"], env)
        try:
            rendered[env.name] = render_cluster(repo, env.name, values, env.cluster.kubernetes_version)
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
        kinds = Counter(str(o.body.get("kind")) for o in cluster.objects)
        where = f" into {shown(output / name)}" if output else ""
        lines.append(
            f"  {name:<16} {len(cluster.objects):>4} objects ({len(kinds)} kinds) rendered and validated{where}"
        )
    return "\n".join([f"Rendered {len(rendered)} clusters:", *lines])
