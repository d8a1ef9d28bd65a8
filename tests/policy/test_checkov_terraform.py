"""checkov over every synthesized stack: no finding without a written reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.config import Environment
from tests.policy.scanners import run_checkov, suppressions, unexplained

pytestmark = pytest.mark.scanner


def test_every_stack_passes_checkov_or_has_a_reason(synth_dir: Path, environments: dict[str, Environment]) -> None:
    findings = run_checkov(synth_dir / "stacks", "terraform_json")
    open_findings, stale = unexplained(findings, suppressions("terraform_json"), environments)
    assert open_findings == [], "checkov findings without a suppression:\n" + "\n".join(open_findings)
    assert stale == [], f"suppressions that match nothing any more: {stale}"


def test_every_suppression_has_a_one_line_reason() -> None:
    for entry in [e for framework in ("terraform_json", "kubernetes", "dockerfile") for e in suppressions(framework)]:
        assert entry.reason.strip() and "\n" not in entry.reason.strip(), entry
        assert entry.where, entry
