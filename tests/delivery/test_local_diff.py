"""`make diff` (scripts/local_diff.py) on a temporary Git repository holding a copy of the project.

History: `main` (base) ← `feature` (one value of environments/dev.yaml changed), and `main`
moved on after the branch point (prod's backup retention), so a diff against main's tip
instead of the merge base would show prod. The working tree adds an untracked Flux object
under clusters/dev/. One `make diff` runs the main job twice (base and head); the other
tests fail before any main job runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from render import upstream_cache
from scripts import local_diff
from tests.conftest import ROOT
from tests.working_tree import copy_caches, copy_working_tree

UNTRACKED = "clusters/dev/make-diff-probe.yaml"
PROBE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: make-diff-probe\n  namespace: flux-system\ndata:\n  seen: 'yes'\n"


@dataclass(frozen=True)
class Diff:
    repo: Path
    merge_base: str
    result: subprocess.CompletedProcess[str]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def make_diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """What `make diff [BASE=…]` runs, in `repo`. The copy has no upstream artifacts beside it:
    it reads this checkout's, as a user sets UPSTREAM_CACHE."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.local_diff", *args],
        cwd=repo,
        env={**os.environ, upstream_cache.SETTING: str(upstream_cache.upstream_cache_dir())},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, clusters: object) -> Path:
    """After the session's render (`clusters`), whose memo the working tree's main job starts from."""
    repo = copy_caches(copy_working_tree(tmp_path_factory.mktemp("local-diff") / "repo"))  # ignored by Git
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "test")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo / "environments/dev.yaml", "external_dns_policy: sync", "external_dns_policy: upsert-only")
    git(repo, "commit", "-q", "-am", "dev: external-dns never deletes records")
    git(repo, "checkout", "-q", "main")
    edit(repo / "environments/prod.yaml", "backup_retention_days: 14", "backup_retention_days: 21")
    git(repo, "commit", "-q", "-am", "prod: longer backups")
    git(repo, "checkout", "-q", "feature")
    (repo / UNTRACKED).write_text(PROBE)
    if (ROOT / "node_modules").is_dir():  # linked into the base worktree too: its removal must not follow the link
        (repo / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return repo


@pytest.fixture(scope="module")
def diff(repo: Path) -> Diff:
    merge_base = git(repo, "merge-base", "HEAD", "main")
    return Diff(repo, merge_base, make_diff(repo))


@pytest.mark.slow
def test_the_diff_shows_the_changed_value_and_the_untracked_file_and_nothing_else(diff: Diff) -> None:
    assert diff.result.returncode == 0, diff.result.stderr
    out = diff.result.stdout
    # The base is the merge base, not main's tip: prod's later change is not in the diff.
    assert f"`make diff`: the working tree against {diff.merge_base[:12]} (the merge base with main)." in out
    objects = [line for line in out.splitlines() if line.startswith("# ")]
    assert objects == [
        "# changed: _platform/external-dns/external-dns/deployment-external-dns.yaml",
        "# added: flux-system/configmap-make-diff-probe.yaml",  # the untracked file
    ], out
    assert "-        - --policy=sync" in out and "+        - --policy=upsert-only" in out
    assert "**prod**: no change to the rendered objects." in out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert rows == ["| `dev-platform` | 1 changed | ~ `helm_release.external-dns_release_90291C33` (values[0]) |"], out
    assert "No difference in the other 11 stacks." in out


@pytest.mark.slow
def test_the_base_worktree_is_removed(diff: Diff) -> None:
    assert git(diff.repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert "make-diff-" not in git(diff.repo, "worktree", "list")
    # The checkout's node_modules, linked into the repo and from there into the base worktree, is intact.
    assert not (diff.repo / "node_modules").is_symlink() or (diff.repo / "node_modules" / ".installed").is_file()
    assert any((diff.repo / ".cache" / "render").rglob("*.json"))  # the memo linked into it is kept


def test_a_bad_base_is_one_line_and_exit_code_2(repo: Path) -> None:
    result = make_diff(repo, "--base", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"make diff: BASE=no-such-branch names no commit in {repo} (give a branch, tag or commit, e.g. "
        "BASE=origin/main)"
    ]
    assert result.stdout == ""


def test_a_base_that_cannot_be_rendered_is_named_with_why(tmp_path: Path) -> None:
    """Stand-in main jobs (the real one is run above): the base's fails, the working tree's writes."""
    repo = tmp_path / "repo"
    for module in ("scripts/__init__.py", "scripts/local_diff.py", "scripts/pr_comment.py", "scripts/stack_diff.py",
                   "render/__init__.py", "render/errors.py", "render/upstream_cache.py"):  # fmt: skip
        (repo / module).parent.mkdir(parents=True, exist_ok=True)
        (repo / module).write_text((ROOT / module).read_text())
    (repo / "main.py").write_text(
        "import sys\nprint('environments/dev.yaml: tier: not one of production, non-production', file=sys.stderr)\n"
        "sys.exit(2)\n"
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty")
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "a base that fails")
    (repo / "main.py").write_text("from pathlib import Path\nPath('rendered/dev').mkdir(parents=True)\n")

    result = make_diff(repo, "--base", "HEAD")

    commit = git(repo, "rev-parse", "HEAD")[:12]
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [
        "  environments/dev.yaml: tier: not one of production, non-production",
        f"make diff: the base revision {commit} (BASE=HEAD) cannot be rendered: its main job (python main.py) "
        "exited with 2, see above",
    ]
    assert result.stdout == ""
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_the_base_worktree_reads_the_checkouts_node_and_render_memo_and_removal_keeps_them(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "node_modules").mkdir(parents=True)
    (repo / ".cache" / "render" / "step").mkdir(parents=True)
    (repo / ".cache" / "render" / "step" / "answer.json").write_text("[]")
    (repo / "main.py").write_text("")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "main.py")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    with local_diff.worktree(git(repo, "rev-parse", "HEAD"), tmp_path / "base", repo=repo) as base:
        assert (base / "node_modules").resolve() == (repo / "node_modules").resolve()
        assert (base / ".cache" / "render" / "step" / "answer.json").read_text() == "[]"
    assert not (tmp_path / "base").exists()
    assert (repo / ".cache" / "render" / "step" / "answer.json").read_text() == "[]"
    assert (repo / "node_modules").is_dir()
