"""Running the main job (`python main.py`) on a copy of the project, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from render import upstream_cache
from tests.conftest import ROOT
from tests.working_tree import copy_caches


def copy_project(tmp_path: Path, *folders: str) -> Path:
    """`main.py` and `folders` of this repository, copied into `tmp_path/project`, with the
    checkout's bytecode and render memo (tests/working_tree.py, copy_caches)."""
    project = tmp_path / "project"
    for folder in folders:
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "main.py", project / "main.py")
    return copy_caches(project)


def run_main_job(project: Path, *, timeout: int = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """The whole main job (synth, render, system check): not the cdktf CLI's synth-only mode."""
    environment = {key: value for key, value in os.environ.items() if key != "CDKTF_OUTDIR"}
    # The copy has no upstream artifacts beside it: it reads this checkout's, as a user sets UPSTREAM_CACHE.
    environment.setdefault(upstream_cache.SETTING, str(upstream_cache.upstream_cache_dir()))
    return subprocess.run(
        [sys.executable, "main.py"],
        cwd=project,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
