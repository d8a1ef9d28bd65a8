"""Run every invariant for every environment: the system check of the main job."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster
from stacks.config import Environment
from system import git_access, identity, provenance, readiness, state, traffic
from system.facts import SystemFacts, Violation, load_workflows
from system.terraform import Document

INVARIANTS: dict[str, Callable[[SystemFacts], Iterator[Violation]]] = {
    identity.INVARIANT: identity.check,
    state.INVARIANT: state.check,
    traffic.INVARIANT: traffic.check,
    readiness.INVARIANT: readiness.check,
    provenance.INVARIANT: provenance.check,
    git_access.INVARIANT: git_access.check,
}


@dataclass(frozen=True)
class Report:
    checked: int  # invariants × environments
    violations: tuple[str, ...]

    def summary(self) -> str:
        return f"system: {self.checked} invariants checked, {len(self.violations)} violated"


def check_system(
    *,
    repo: Path,
    environments: Sequence[Environment],
    stacks: dict[str, Document],
    clusters: dict[str, RenderedCluster],
    synth_dir: Path,
) -> Report:
    workflows = load_workflows(repo)
    lines: list[str] = []
    for env in environments:
        facts = SystemFacts(
            env=env,
            stacks=stacks,
            cluster=clusters[env.name],
            workflows=workflows,
            bridge_values=bridge_values(stacks[f"{env.name}-platform"], env),
            repo=repo,
            synth_dir=synth_dir,
        )
        for invariant in INVARIANTS.values():
            for violation in invariant(facts):
                line = str(violation)
                if line not in lines:
                    lines.append(line)
    return Report(checked=len(INVARIANTS) * len(environments), violations=tuple(lines))
