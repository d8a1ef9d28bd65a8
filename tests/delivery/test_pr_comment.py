"""The pull request comment, built from two real Git revisions and a real plan's JSON shape."""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.pr_comment import (
    MARKER,
    build_comment,
    comment,
    diff_trees,
    main,
    rendered_diffs,
    summarize_plan,
    tree_from_git,
)
from scripts.stack_diff import compare
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


def test_docs_show_the_comment_this_builder_makes(repository: Path) -> None:
    """docs/delivery.md's example is this fixture's comment, so it cannot drift from the builder."""
    page = (ROOT / "docs" / "delivery.md").read_text()
    assert f"````markdown\n{fixture_comment(repository).rstrip()}\n````" in page


def write_synth(root: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A cdktf.out as cdktf writes it: manifest.json naming each stack's cdk.tf.json."""
    manifest: dict[str, Any] = {"version": "0.21.0", "stacks": {}}
    for name, document in stacks.items():
        path = f"stacks/{name}/cdk.tf.json"
        (root / path).parent.mkdir(parents=True)
        (root / path).write_text(json.dumps(document))
        manifest["stacks"][name] = {"name": name, "synthesizedStackPath": path}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def database(retention: int, *, path: str = "dev-data/postgres/instance") -> dict[str, Any]:
    return {"//": {"metadata": {"path": path}}, "backup_retention_period": retention, "tags": {"Name": "db"}}


BASE_SYNTH: dict[str, dict[str, Any]] = {
    "dev-data": {
        "//": {"metadata": {"version": "0.21.0"}},
        "resource": {
            "aws_db_instance": {"postgres_instance": database(3)},
            "aws_s3_bucket": {"logs": {"bucket": "acme-dev-logs"}},
        },
        "output": {"endpoint": {"value": "${aws_db_instance.postgres_instance.endpoint}"}},
    },
    "dev-network": {"resource": {"aws_vpc": {"network_vpc": {"cidr_block": "10.10.0.0/16"}}}},
    "dev-old": {"resource": {"aws_iam_role": {"a": {}}, "aws_iam_policy": {"b": {}}}},
}
HEAD_SYNTH: dict[str, dict[str, Any]] = {
    "dev-data": {
        "//": {"metadata": {"version": "0.21.1"}},  # cdktf's metadata is no difference
        "resource": {
            "aws_db_instance": {"postgres_instance": database(7, path="moved/in/the/construct/tree")},
            "aws_iam_role": {"rotation": {"name": "acme-dev-rotation"}},
        },
        "data": {"aws_iam_policy_document": {"rotation": {"statement": []}}},
        "output": {"endpoint": {"value": "${aws_db_instance.postgres_instance.address}"}},
    },
    "dev-network": BASE_SYNTH["dev-network"],
    "dev-new": {"resource": {"aws_sqs_queue": {"q": {}}}},
}


def test_without_plans_the_synthesized_stacks_are_compared_by_address(tmp_path: Path) -> None:
    stacks = compare(BASE_SYNTH, HEAD_SYNTH)
    assert [line for line in build_comment([], {}, stacks=stacks).splitlines() if line.startswith("|")] == [
        "| stack | difference | addresses (+ added, - removed, ~ changed: its attributes) |",
        "|---|---|---|",
        "| `dev-data` | 2 added, 1 removed, 2 changed | + `aws_iam_role.rotation`<br>+ "
        "`data.aws_iam_policy_document.rotation`<br>- `aws_s3_bucket.logs`<br>~ "
        "`aws_db_instance.postgres_instance` (backup_retention_period)<br>~ `output.endpoint` (value) |",
        "| `dev-new` | stack added (1 address) | |",
        "| `dev-old` | stack removed (2 addresses) | |",
    ]
    assert stacks.unchanged == ["dev-network"]
    assert "No difference in the other 1 stack." in build_comment([], {}, stacks=stacks)


def test_the_comment_takes_plans_when_there_are_any_and_the_synthesized_stacks_otherwise(tmp_path: Path) -> None:
    base, head = write_synth(tmp_path / "base", BASE_SYNTH), write_synth(tmp_path / "head", HEAD_SYNTH)
    (tmp_path / "rendered").mkdir()

    def built(plans: Path | None, base_synth: Path = base) -> str:
        return comment(
            plans=plans, base_rendered=None, head_rendered=tmp_path / "rendered", base_synth=base_synth, head_synth=head
        )

    without_plans = built(tmp_path / "no-plans")
    assert "### Synthesized stacks" in without_plans and "### Terraform plans" not in without_plans
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "dev-data.json").write_text(json.dumps(PLAN))
    with_plans = built(tmp_path / "plans")
    assert "### Terraform plans" in with_plans and "### Synthesized stacks" not in with_plans
    # A base that did not synthesize: no section rather than every stack shown as added.
    assert "### Synthesized stacks" not in built(None, base_synth=tmp_path / "empty")
    assert "No stack differs." in built(None, base_synth=head)


def test_the_command_line_takes_both_synthesized_apps_or_neither(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["--head-rendered", str(tmp_path), "--head-synth", str(tmp_path)])
    assert exit_code.value.code == 2


def test_pem_data_made_at_render_is_neither_compared_nor_shown() -> None:
    """Charts make webhook certificates anew at every render: two renders of one revision differ there only."""
    secret = "kind: Secret\ndata:\n  tls.key: {key}\n  ca.crt: {ca}\n"
    # Any PEM block is masked; a neutral label keeps credential scanners quiet about the fixture.
    pem = "-----BEGIN TEST DATA-----\n{body}\n-----END TEST DATA-----\n"
    first = secret.format(key=base64.b64encode(pem.format(body="one").encode()).decode(), ca="LS0tLS1CRUdJTiBA")
    second = secret.format(key=base64.b64encode(pem.format(body="two").encode()).decode(), ca="LS0tLS1CRUdJTiBB")
    assert diff_trees({"s.yaml": first}, {"s.yaml": second}) == []
    assert diff_trees({"k.yaml": pem.format(body="one")}, {"k.yaml": pem.format(body="two")}) == []
    shown = diff_trees({}, {"s.yaml": first})
    assert "+  tls.key: (PEM data, made at render: not compared)" in shown
    assert not any("LS0t" in line for line in shown)


def test_clusters_of_either_tree_are_compared_and_a_writers_staging_folder_is_not(tmp_path: Path) -> None:
    for folder in ("base/dev", "base/gone", "head/dev", "head/.dev-staging"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.yaml").write_text("kind: ConfigMap\n")
    diffs = rendered_diffs(tmp_path / "base", tmp_path / "head")
    assert list(diffs) == ["dev", "gone"]
    assert diffs["dev"] == [] and diffs["gone"][0] == "# removed: x.yaml"


def test_the_stack_comparison_needs_only_the_standard_library_of_python_3_10() -> None:
    """pr_comment imports it, and the comment job runs on the runner's own python3."""
    tree = ast.parse((ROOT / "scripts" / "stack_diff.py").read_text(), feature_version=(3, 10))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names | {"__future__"}} == set()
