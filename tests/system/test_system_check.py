"""The system check over every example environment, as the main job runs it."""

from __future__ import annotations

from pathlib import Path

from render.cluster import RenderedCluster
from stacks.config import Environment
from system.check import INVARIANTS, check_system
from tests.conftest import ROOT
from tests.helpers import Document


def test_every_example_environment_holds_every_invariant(
    environments: dict[str, Environment],
    stacks: dict[str, Document],
    clusters: dict[str, RenderedCluster],
    synth_dir: Path,
) -> None:
    report = check_system(
        repo=ROOT, environments=list(environments.values()), stacks=stacks, clusters=clusters, synth_dir=synth_dir
    )
    assert report.violations == ()
    assert report.summary() == f"system: {len(INVARIANTS) * len(environments)} invariants checked, 0 violated"
    assert set(INVARIANTS) == {"identity", "state", "traffic", "readiness", "provenance", "git-access"}
