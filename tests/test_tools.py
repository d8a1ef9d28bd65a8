"""tests/tools.py: the scanners are found the same way under `make test` and plain pytest,
and a missing one fails with the command that installs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import tools
from tests.conftest import ROOT


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_scanner_is_found_in_the_scanners_virtualenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HADOLINT", raising=False)
    monkeypatch.setattr(tools, "SCANNERS", tmp_path / "bin")
    installed = executable(tmp_path / "bin" / "hadolint")
    assert tools.scanner("hadolint") == installed


def test_its_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    executable(tmp_path / "bin" / "checkov")
    monkeypatch.setattr(tools, "SCANNERS", tmp_path / "bin")
    monkeypatch.setenv("CHECKOV", str(executable(tmp_path / "elsewhere" / "checkov")))
    assert tools.scanner("checkov") == tmp_path / "elsewhere" / "checkov"


def test_a_missing_scanner_fails_naming_the_command_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ZIZMOR", raising=False)
    monkeypatch.setattr(tools, "SCANNERS", tmp_path / "bin")
    with pytest.raises(pytest.fail.Exception) as failed:
        tools.scanner("zizmor")
    assert str(failed.value) == f"zizmor is not installed ({tmp_path}/bin/zizmor is missing): run `make scanners`"


def test_a_variable_naming_no_executable_fails_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "checkov").write_text("not executable")
    monkeypatch.setenv("CHECKOV", str(tmp_path / "checkov"))
    with pytest.raises(pytest.fail.Exception) as failed:
        tools.scanner("checkov")
    assert str(failed.value) == (
        f"checkov: CHECKOV={tmp_path}/checkov is no executable; unset CHECKOV to use `make scanners`'s"
    )


def test_the_command_named_installs_the_scanners_where_they_are_looked_for() -> None:
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", "scanners"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert f"UV_PROJECT_ENVIRONMENT={tools.SCANNERS.parent} " in planned
    assert "sync --locked --project policy/scanners " in planned
