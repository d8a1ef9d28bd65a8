"""Run the policy scanners and match their findings against policy/suppressions.yaml."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from stacks.config import Environment
from tests.conftest import ROOT
from tests.tools import scanner

SUPPRESSIONS = ROOT / "policy" / "suppressions.yaml"


@dataclass(frozen=True)
class Finding:
    check: str
    where: str  # "<stack>/<block address>"
    title: str
    environment: str | None = None  # whose stack or cluster it is in


@dataclass(frozen=True)
class Condition:
    """`when:` of a suppression: a property of the finding's environment, named by its field.

    `{field: database.multi_az, is: false}` holds where that field equals the value;
    `{field: cluster.log_retention_days, below: 365}` where it is a number below it.
    """

    field: str
    equals: Any = None
    below: int | None = None

    def holds(self, env: Environment) -> bool:
        value: Any = env
        for part in self.field.split("."):
            value = getattr(value, part)
        return value < self.below if self.below is not None else bool(value == self.equals)


@dataclass(frozen=True)
class Suppression:
    check: str
    where: tuple[str, ...]
    reason: str
    when: Condition | None = None

    def covers(self, finding: Finding, environments: Mapping[str, Environment]) -> bool:
        if finding.check != self.check or not any(fnmatch.fnmatchcase(finding.where, p) for p in self.where):
            return False
        if self.when is None:
            return True
        env = environments.get(finding.environment or "")
        if env is None:
            pytest.fail(f"{finding.check} {finding.where}: no environment to evaluate `when` of {self} on")
        return self.when.holds(env)


def suppressions(framework: str, path: Path = SUPPRESSIONS) -> list[Suppression]:
    entries = yaml.safe_load(path.read_text())["checkov"][framework]
    return [
        Suppression(e["check"], tuple(e["where"]), e["reason"], parse_condition(e["when"]) if "when" in e else None)
        for e in entries
    ]


def parse_condition(raw: dict[str, Any]) -> Condition:
    """A `when:` entry, refused loudly if it could never hold (a typo would only make the entry stale)."""
    model: Any = Environment
    for part in str(raw.get("field", "")).split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields):
            pytest.fail(f"when: {raw}: {raw.get('field')!r} is not a field of an environment")
        model = model.model_fields[part].annotation
    if set(raw) not in ({"field", "is"}, {"field", "below"}):
        pytest.fail(f"when: {raw}: needs field and one of is, below")
    return Condition(raw["field"], equals=raw.get("is"), below=raw.get("below"))


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
    # Set here, not by make, so plain pytest runs checkov the same way: BC_SKIP_MAPPING keeps
    # it from fetching Bridgecrew's check-id mapping, and no package scan calls out either.
    result = subprocess.run(
        [scanner("checkov"), "--directory", directory, "--framework", framework, "--output", "json", "--quiet"],
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
            # Stacks are `<env>-<part>` (naming.stack_id); rendered clusters are `<env>/`.
            environment = {"terraform_json": stack.rsplit("-", 1)[0], "kubernetes": stack}.get(framework)
            findings.append(
                Finding(failed["check_id"], f"{stack}/{failed['resource']}", failed["check_name"], environment)
            )
    return findings


def unexplained(
    findings: list[Finding], accepted: list[Suppression], environments: Mapping[str, Environment]
) -> tuple[list[str], list[Suppression]]:
    """Findings no suppression covers, and suppressions that cover no finding; `when:` is
    evaluated on the environment each finding belongs to (name → model)."""
    open_findings = [
        f"{f.check} {f.where}: {f.title}" for f in findings if not any(s.covers(f, environments) for s in accepted)
    ]
    stale = [s for s in accepted if not any(s.covers(f, environments) for f in findings)]
    return open_findings, stale
