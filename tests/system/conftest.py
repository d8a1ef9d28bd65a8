"""System facts built from the session's synth and render; each test plants a defect in a copy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster
from stacks.config import Environment
from system.facts import SystemFacts, load_workflows
from tests.conftest import ROOT
from tests.helpers import Document

FactsFactory = Callable[[str], SystemFacts]


@pytest.fixture
def system_facts(
    environments: dict[str, Environment],
    stacks: dict[str, Document],
    clusters: dict[str, RenderedCluster],
    synth_dir: Path,
) -> FactsFactory:
    """Facts of one environment, deep copies: a test may change them freely."""

    def build(name: str) -> SystemFacts:
        env = environments[name]
        return SystemFacts(
            env=env,
            stacks=copy.deepcopy(stacks),
            cluster=copy.deepcopy(clusters[name]),
            workflows=load_workflows(ROOT),
            bridge_values=bridge_values(stacks[f"{name}-platform"], env),
            repo=ROOT,
            synth_dir=synth_dir,
        )

    return build
