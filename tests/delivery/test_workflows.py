"""The GitHub workflows, checked as far as can be done without GitHub: they parse, they
name only stacks the app synthesizes, pull requests never deploy, every action is pinned
and every job's permissions are explicit, and zizmor finds nothing."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.app import STACK_PARTS
from tests.conftest import ROOT
from tests.helpers import Document

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on` as true
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / f"{name}.yml")


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def named_stacks(document: dict[str, Any]) -> set[str]:
    """Stacks a workflow plans or deploys: matrix products and names in run scripts."""
    found: set[str] = set()
    for job in document["jobs"].values():
        matrix = job.get("strategy", {}).get("matrix", {})
        if "environment" in matrix and "part" in matrix:
            found |= {f"{e}-{p}" for e, p in itertools.product(matrix["environment"], matrix["part"])}
        for step in job.get("steps", []):
            found |= set(re.findall(r"\b((?:dev|prod)-[a-z]+)\b", step.get("run", "")))
    return found


def test_there_are_the_three_workflows() -> None:
    assert [path.stem for path in WORKFLOWS] == ["deploy", "drift", "pull-request"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.stem)
def test_every_action_is_pinned_and_every_job_declares_its_permissions(path: Path) -> None:
    document = load(path)
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} inherits permissions"
        assert "write-all" not in str(job["permissions"])
    for step in steps(document):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_every_stack_named_exists_in_the_synthesized_app(stacks: dict[str, Document], name: str) -> None:
    named = named_stacks(workflow(name))
    assert named, "the workflow names no stack: the test would prove nothing"
    assert named <= set(stacks), named - set(stacks)
    deployable = {s for s in stacks if not s.endswith("-bootstrap")}
    assert named == deployable


def test_pull_requests_never_deploy() -> None:
    triggers = workflow("deploy")["on"]
    assert set(triggers) == {"push"}
    assert triggers["push"] == {"branches": ["main"]}
    for name in ("pull-request", "drift"):
        assert not any(
            "cdktf-cli" in step.get("run", "") and " deploy " in step.get("run", "") for step in steps(workflow(name))
        )


def test_deploy_runs_each_environment_in_dependency_order_prod_behind_approval() -> None:
    jobs = workflow("deploy")["jobs"]
    order = [part for part in STACK_PARTS if part != "bootstrap"]
    for env in ("dev", "prod"):
        [deploy] = [s["run"] for s in jobs[env]["steps"] if "deploy" in s.get("run", "")]
        assert re.findall(r"\b(?:dev|prod)-([a-z]+)\b", deploy) == order
        assert jobs[env]["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["prod"]["environment"] == "production"


def test_plans_use_the_read_only_role_and_skip_forks() -> None:
    jobs = workflow("pull-request")["jobs"]
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]
    [credentials] = [s for s in jobs["plan"]["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert "PLAN_ROLE_ARN" in credentials["with"]["role-to-assume"]
    assert jobs["plan"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["comment"]["permissions"] == {"contents": "read", "pull-requests": "write"}


@pytest.mark.scanner
def test_zizmor_finds_nothing() -> None:
    zizmor = Path(os.environ.get("CHECKOV", "checkov")).with_name("zizmor")
    if not zizmor.exists():
        pytest.fail("zizmor is not installed: run the tests through `make test`")
    result = subprocess.run(
        [str(zizmor), "--offline", "--format", "plain", str(ROOT / ".github" / "workflows")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
