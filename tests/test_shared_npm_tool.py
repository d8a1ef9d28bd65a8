"""scripts/shared_npm_tool.py: Renovate is installed once per machine and lock file, and
every clone links to that install; a failed install leaves nothing a clone would use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

# Stands in for npm: records each call and writes a node_modules that names the lock it saw.
FAKE_NPM = """#!/bin/sh
echo "$@" >> "$NPM_CALLS"
[ -n "$NPM_FAILS" ] && { echo "npm ERR! planted failure" >&2; exit 1; }
prefix=$(echo "$@" | sed 's/.*--prefix \\([^ ]*\\).*/\\1/')
mkdir -p "$prefix/node_modules/tool" && cp "$prefix/package-lock.json" "$prefix/node_modules/tool/lock-seen"
"""


def clone(tmp_path: Path, name: str, lock: str = '{"lockfileVersion": 3}') -> Path:
    folder = tmp_path / name / "policy" / "renovate"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"dependencies": {"tool": "1.0.0"}}')
    (folder / "package-lock.json").write_text(lock)
    return folder


def run(folder: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(0o755)
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "NPM_CALLS": str(tmp_path / "npm-calls"),
        **env,
    }
    script = ROOT / "scripts" / "shared_npm_tool.py"
    return subprocess.run(
        [sys.executable, str(script), str(folder)], env=environment, capture_output=True, text=True, check=False
    )


def npm_calls(tmp_path: Path) -> int:
    calls = tmp_path / "npm-calls"
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_a_second_clone_links_the_first_ones_install(tmp_path: Path) -> None:
    first, second = clone(tmp_path, "first"), clone(tmp_path, "second")
    assert run(first, tmp_path).returncode == 0
    assert run(second, tmp_path).returncode == 0
    assert npm_calls(tmp_path) == 1
    assert (second / "node_modules").is_symlink()
    assert (second / "node_modules").resolve() == (first / "node_modules").resolve()
    assert (tmp_path / "cache" / "platform-on-aws") in (second / "node_modules").resolve().parents
    assert (second / "node_modules" / "tool" / "lock-seen").read_text() == '{"lockfileVersion": 3}'


def test_a_changed_lock_is_a_new_install_and_the_old_one_is_left_as_it_was(tmp_path: Path) -> None:
    folder = clone(tmp_path, "clone")
    assert run(folder, tmp_path).returncode == 0
    old = (folder / "node_modules").resolve()
    (folder / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}')
    assert run(folder, tmp_path).returncode == 0
    assert npm_calls(tmp_path) == 2
    assert (folder / "node_modules").resolve() != old
    assert (folder / "node_modules" / "tool" / "lock-seen").read_text().endswith('"packages": {}}')
    assert (old / "tool" / "lock-seen").read_text() == '{"lockfileVersion": 3}'


def test_an_earlier_copy_in_the_clone_is_replaced_by_the_link(tmp_path: Path) -> None:
    folder = clone(tmp_path, "clone")
    (folder / "node_modules" / "stale").mkdir(parents=True)
    assert run(folder, tmp_path).returncode == 0
    assert (folder / "node_modules").is_symlink()
    assert not (folder / "node_modules" / "stale").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["node_modules", "package-lock.json", "package.json"]


def test_a_failed_install_caches_nothing_and_says_so(tmp_path: Path) -> None:
    folder = clone(tmp_path, "clone")
    result = run(folder, tmp_path, NPM_FAILS="1")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"{folder}: npm ci failed (exit 1); nothing was cached"
    assert list((tmp_path / "cache" / "platform-on-aws").iterdir()) == []
    assert not (folder / "node_modules").exists()
    assert run(folder, tmp_path).returncode == 0  # the next try installs
    assert npm_calls(tmp_path) == 2


def test_a_folder_without_its_lock_file_is_named(tmp_path: Path) -> None:
    folder = clone(tmp_path, "clone")
    (folder / "package-lock.json").unlink()
    result = run(folder, tmp_path)
    assert (result.returncode, result.stderr) == (2, f"{folder}: package-lock.json not found\n")
    assert npm_calls(tmp_path) == 0


def test_where_the_cache_cannot_be_made_the_clone_gets_its_own_copy(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")  # a cache below a file cannot be made, even by root
    folder = clone(tmp_path, "clone")
    result = run(folder, tmp_path, XDG_CACHE_HOME=str(tmp_path / "a-file" / "cache"))
    assert result.returncode == 0, result.stderr
    assert f"installing into {folder}/node_modules instead" in result.stderr
    assert (folder / "node_modules").is_dir() and not (folder / "node_modules").is_symlink()
    assert (folder / "node_modules" / "tool" / "lock-seen").is_file()
