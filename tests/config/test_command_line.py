"""`python main.py` with a broken environment: exit 2, one line per problem, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests import main_job
from tests.conftest import ENVIRONMENT_NAMES, ROOT


def run_app(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py"],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    """What the config step reads: the code, environments/ and the Flux folders beside it."""
    return main_job.copy_project(tmp_path, "stacks", "environments", "clusters")


def test_broken_file_exits_2_fast_with_nothing_written(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    broken = project / "environments" / "dev.yaml"
    broken.write_text(broken.read_text().replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/33").replace("tier:", "teir:"))
    started = time.monotonic()
    result = run_app(project)
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "environments/dev.yaml: tier: required key is missing",
        "environments/dev.yaml: network.cidr: Input is not a valid IPv4 network",
        "environments/dev.yaml: teir: unknown key (did you mean 'tier'?)",
        "3 problem(s) found; nothing was synthesized.",
    ]
    assert "Traceback" not in result.stderr
    assert not (project / "cdktf.out").exists()
    # Generous bound: the point is that no provider binding was loaded (that takes seconds).
    assert elapsed < 10, elapsed
    assert "cdktf_cdktf_provider_aws" not in result.stderr


def test_unknown_environment_in_variable_exits_2(tmp_path: Path) -> None:
    result = run_app(copy_project(tmp_path), ENVIRONMENTS="nosuch")
    assert result.returncode == 2
    known = ", ".join(ENVIRONMENT_NAMES)
    assert result.stderr.splitlines()[0] == f"ENVIRONMENTS: no file environments/nosuch.yaml (known: {known})"


def test_environment_named_twice_exits_2_with_one_line(tmp_path: Path) -> None:
    """Not the jsii traceback of two stacks with one id."""
    project = copy_project(tmp_path)
    result = run_app(project, ENVIRONMENTS="dev,prod,dev")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ENVIRONMENTS: dev is listed 2 times",
        "1 problem(s) found; nothing was synthesized.",
    ]
    assert not (project / "cdktf.out").exists()


def test_make_without_a_target_lists_every_target_with_its_description() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [phony] = [line for line in makefile.splitlines() if line.startswith(".PHONY:")]
    listed = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True).stdout
    described = {line.split()[1]: line.split(maxsplit=2)[2] for line in listed.splitlines()}
    assert set(described) == set(phony.split()[1:])
    assert all(described.values())
