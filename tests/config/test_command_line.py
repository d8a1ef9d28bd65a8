"""`python main.py` with a broken environment: exit 2, one line per problem, no traceback, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT


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
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "environments", project / "environments")
    shutil.copy(ROOT / "main.py", project / "main.py")
    return project


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
    result = run_app(copy_project(tmp_path), ENVIRONMENTS="staging")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "ENVIRONMENTS: no file environments/staging.yaml (known: dev, prod)"
