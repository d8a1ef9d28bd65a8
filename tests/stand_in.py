"""A stand-in suite run as `make test` runs ours: its own pytest, one pytest-xdist worker,
whole files, this checkout importable (for its conftest.py to reuse tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_stand_in(folder: Path, files: dict[str, str], *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`files` written into `folder`, then pytest there; the caller's PYTEST_ADDOPTS left out."""
    for name, text in files.items():
        (folder / name).write_text(text)
    environment = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--numprocesses=1", "--dist=loadfile", *options],
        cwd=folder,
        env={**environment, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
