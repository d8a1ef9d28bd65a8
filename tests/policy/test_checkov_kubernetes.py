"""checkov over every rendered cluster: no finding without a written reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.cluster import RenderedCluster
from stacks.config import Environment
from tests.policy.scanners import run_checkov, suppressions, unexplained

pytestmark = pytest.mark.scanner


def test_rendered_clusters_pass_checkov(
    clusters: dict[str, RenderedCluster], rendered_dir: Path, environments: dict[str, Environment]
) -> None:
    assert clusters
    findings = run_checkov(rendered_dir, "kubernetes")
    open_findings, stale = unexplained(findings, suppressions("kubernetes"), environments)
    assert open_findings == [], "\n".join(open_findings)
    assert stale == [], f"suppressions that match nothing any more: {stale}"
