"""The pull request comment, built from two real Git revisions and a real plan's JSON shape."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.pr_comment import MARKER, build_comment, diff_trees, summarize_plan, tree_from_git
from tests.conftest import ROOT

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook
  namespace: guestbook
spec:
  replicas: {replicas}
"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: guestbook\n"

# The shape `terraform show -json <planfile>` prints (format 1.2), trimmed to what is read.
PLAN: dict[str, Any] = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "resource_changes": [
        {"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "change": {"actions": ["create"]}},
        {
            "address": "aws_eks_cluster.eks_cluster_55B0C966",
            "type": "aws_eks_cluster",
            "change": {"actions": ["update"]},
        },
        {
            "address": "aws_db_instance.postgres_instance",
            "type": "aws_db_instance",
            "change": {"actions": ["delete", "create"]},
        },
        {"address": "aws_iam_role.old", "type": "aws_iam_role", "change": {"actions": ["delete"]}},
        {"address": "aws_vpc.network_vpc", "type": "aws_vpc", "change": {"actions": ["no-op"]}},
        {
            "address": "data.aws_iam_policy_document.x",
            "type": "aws_iam_policy_document",
            "change": {"actions": ["read"]},
        },
    ],
}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository whose second commit changes a value, removes an object and adds one."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "test")
    cluster = tmp_path / "rendered" / "dev" / "guestbook"
    cluster.mkdir(parents=True)
    (cluster / "deployment-guestbook.yaml").write_text(DEPLOYMENT.format(replicas=1))
    (cluster / "configmap-old.yaml").write_text(CONFIG_MAP.format(name="old"))
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (cluster / "deployment-guestbook.yaml").write_text(DEPLOYMENT.format(replicas=3))
    (cluster / "configmap-old.yaml").unlink()
    (cluster / "configmap-new.yaml").write_text(CONFIG_MAP.format(name="new"))
    git("add", "-A")
    git("commit", "-q", "-m", "head")
    return tmp_path


def test_plan_summary_counts_like_terraform() -> None:
    summary = summarize_plan("dev-data", PLAN)
    assert (summary.add, summary.change, summary.destroy) == (2, 1, 2)
    assert summary.destroyed == ["aws_db_instance.postgres_instance (replaced)", "aws_iam_role.old"]


def test_rendered_diff_shows_added_changed_and_removed_objects(repository: Path) -> None:
    base = tree_from_git(repository, "HEAD~1", "rendered/dev")
    head = tree_from_git(repository, "HEAD", "rendered/dev")
    diff = diff_trees(base, head)
    assert "# added: guestbook/configmap-new.yaml" in diff
    assert "# removed: guestbook/configmap-old.yaml" in diff
    assert "# changed: guestbook/deployment-guestbook.yaml" in diff
    assert "-  replicas: 1" in diff and "+  replicas: 3" in diff


def fixture_comment(repository: Path) -> str:
    diff = diff_trees(
        tree_from_git(repository, "HEAD~1", "rendered/dev"), tree_from_git(repository, "HEAD", "rendered/dev")
    )
    plans = [summarize_plan("dev-data", PLAN), summarize_plan("dev-network", {"resource_changes": []})]
    return build_comment(plans, {"dev": diff, "prod": []})


def test_comment_is_one_sticky_document(repository: Path) -> None:
    comment = fixture_comment(repository)
    assert comment.startswith(MARKER)
    assert (
        "| `dev-data` | 2 to add, 1 to change, 2 to destroy | `aws_db_instance.postgres_instance (replaced)`<br>`aws_iam_role.old` |"
        in comment
    )
    assert "| `dev-network` | no changes | |" in comment
    assert "<b>dev</b>: 3 object(s) differ" in comment
    assert "**prod**: no change to the rendered objects." in comment


def test_readme_shows_the_comment_this_builder_makes(repository: Path) -> None:
    """The README's example is this fixture's comment, so it cannot drift from the builder."""
    assert f"````markdown\n{fixture_comment(repository).rstrip()}\n````" in (ROOT / "README.md").read_text()
