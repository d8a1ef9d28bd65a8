"""checkov over the app's Dockerfile: no finding without a written reason."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.policy.scanners import run_checkov, suppressions, unexplained

pytestmark = pytest.mark.scanner


def test_dockerfile_passes_checkov() -> None:
    findings = run_checkov(ROOT / "dockerbuild", "dockerfile")
    open_findings, stale = unexplained(findings, suppressions("dockerfile"), environments={})
    assert open_findings == [] and stale == []
