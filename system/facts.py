"""Everything the invariants read, gathered once per environment from the main job's output."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from render.cluster import RenderedCluster
from stacks.config import Environment
from system.terraform import Document, resources

WORKFLOWS = Path(".github/workflows")


@dataclass(frozen=True)
class Violation:
    """One broken invariant: `<where>: <invariant>: <what is wrong>`."""

    invariant: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.invariant}: {self.message}"


@dataclass
class SystemFacts:
    env: Environment
    stacks: dict[str, Document]  # every synthesized stack, by name
    cluster: RenderedCluster  # what Flux applies from Git (render/)
    workflows: dict[str, dict[str, Any]]  # `.github/workflows/<file>` → parsed YAML
    bridge_values: dict[str, str]  # the bridge ConfigMap's values, as rendered offline
    repo: Path
    synth_dir: Path

    def stack(self, part: str) -> Document:
        return self.stacks.get(f"{self.env.name}-{part}", {})

    def stack_name(self, part: str) -> str:
        return f"{self.env.name}-{part}"

    @cached_property
    def flux_instance_values(self) -> dict[str, Any]:
        """The values of the FluxInstance chart release (components, sync, cluster settings)."""
        return release_values(self.stack("platform"), "flux")

    @property
    def flux_components(self) -> tuple[str, ...]:
        return tuple(self.flux_instance_values.get("instance", {}).get("components", ()))

    @property
    def flux_network_policies(self) -> bool:
        return bool(self.flux_instance_values.get("instance", {}).get("cluster", {}).get("networkPolicy"))


def release_values(document: Document, release: str) -> dict[str, Any]:
    """Values of the helm_release named `release` (the chart values Terraform passes)."""
    for body in resources(document, "helm_release").values():
        if body.get("name") == release:
            merged: dict[str, Any] = {}
            for text in body.get("values", []):
                merged.update(yaml.safe_load(text) or {})
            return merged
    return {}


def load_workflows(repo: Path) -> dict[str, dict[str, Any]]:
    directory = repo / WORKFLOWS
    return {
        str(WORKFLOWS / path.name): yaml.safe_load(path.read_text())
        for path in sorted(directory.glob("*.yml"))
        if path.is_file()
    }
