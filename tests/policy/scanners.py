"""Run the policy scanners and match their findings against policy/suppressions.yaml."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

SUPPRESSIONS = ROOT / "policy" / "suppressions.yaml"


@dataclass(frozen=True)
class Finding:
    check: str
    where: str  # "<stack>/<block address>"
    title: str


@dataclass(frozen=True)
class Suppression:
    check: str
    where: tuple[str, ...]
    reason: str

    def covers(self, finding: Finding) -> bool:
        return finding.check == self.check and any(fnmatch.fnmatchcase(finding.where, p) for p in self.where)


def suppressions(framework: str) -> list[Suppression]:
    entries = yaml.safe_load(SUPPRESSIONS.read_text())["checkov"][framework]
    return [Suppression(e["check"], tuple(e["where"]), e["reason"]) for e in entries]


def checkov_executable() -> str:
    found = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not found or not Path(found).exists():
        pytest.fail("checkov is not installed: run the tests through `make test`, which installs it")
    return found


def without_required_version(stacks: Path, target: Path) -> Path:
    """A copy of the synthesized stacks without `terraform.required_version`, which checkov's
    terraform_json parser cannot read (https://github.com/bridgecrewio/checkov/issues/7454);
    no check looks at it. Paths below `target` are those below `stacks`."""
    for source in stacks.rglob("*.tf.json"):
        document = json.loads(source.read_text())
        document.get("terraform", {}).pop("required_version", None)
        copy = target / source.relative_to(stacks)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(json.dumps(document, indent=2))
    return target


def run_checkov(directory: Path, framework: str) -> list[Finding]:
    scratch = Path(tempfile.mkdtemp(prefix="checkov-"))
    if framework == "terraform_json":
        directory = without_required_version(directory, scratch)
    result = subprocess.run(
        [checkov_executable(), "--directory", str(directory), "--framework", framework, "--output", "json", "--quiet"],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    shutil.rmtree(scratch)
    if result.returncode not in (0, 1):
        pytest.fail(f"checkov failed to run ({result.returncode}): {result.stderr[-2000:]}")
    reports: Any = json.loads(result.stdout) if result.stdout.strip() else []
    reports = reports if isinstance(reports, list) else [reports]
    findings = []
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        for failed in report["results"]["failed_checks"]:
            stack = failed["file_path"].strip("/").split("/")[0]
            findings.append(Finding(failed["check_id"], f"{stack}/{failed['resource']}", failed["check_name"]))
    return findings


def unexplained(findings: list[Finding], accepted: list[Suppression]) -> tuple[list[str], list[Suppression]]:
    """Findings no suppression covers, and suppressions that cover no finding."""
    open_findings = [f"{f.check} {f.where}: {f.title}" for f in findings if not any(s.covers(f) for s in accepted)]
    stale = [s for s in accepted if not any(s.covers(f) for f in findings)]
    return open_findings, stale
