"""The Flux tree and charts copied into a temporary repository, for tests that plant a change in them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for folder in ("clusters", "charts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path
