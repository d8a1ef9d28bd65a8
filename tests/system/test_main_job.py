"""`python main.py` on a copy of the project: with a system defect (exit 2, one line per
violation, nothing rendered), and narrowed to some environments (only their outputs left)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.naming import STACK_PARTS
from tests.main_job import copy_project, run_main_job
from tests.working_tree import copy_caches, copy_working_tree

# After the session's render, whose memo each copy starts from (tests/working_tree.py, copy_caches).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clusters")]


def test_main_job_reports_violations_and_writes_no_cluster(tmp_path: Path) -> None:
    project = copy_project(
        tmp_path, "stacks", "rotation", "render", "system", "scripts", "clusters", "charts", "environments", ".github"
    )
    # The planted defect: prod's apps wait for the optional webhook token.
    entry = project / "clusters/prod/apps.yaml"
    entry.write_text(
        entry.read_text().replace(
            "    - name: infra-configs\n", "    - name: infra-configs\n    - name: flux-webhook\n"
        )
    )
    result = run_main_job(project, ENVIRONMENTS="prod")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        *(
            f"prod: Kustomization flux-system/{name}: readiness: is on the app path but waits for the optional "
            "manual step(s) 'GitHub webhook token into Secrets Manager'"
            for name in ("apps", "flux-webhook")
        ),
        "system: 6 invariants checked, 2 violated; no cluster was written.",
    ]
    assert not (project / "rendered").exists()


def test_a_narrowed_run_leaves_only_the_selected_environments_outputs(tmp_path: Path) -> None:
    """`ENVIRONMENTS=dev make synth` after a run of every environment: prod's stacks and
    cluster are removed, not left beside dev's where they could pass for current."""
    project = copy_caches(copy_working_tree(tmp_path / "project"))
    earlier = project / "cdktf.out" / "stacks" / "prod-network"
    earlier.mkdir(parents=True)
    (earlier / "cdk.tf.json").write_text("{}")
    (project / "rendered" / "prod" / "flux-system").mkdir(parents=True)
    (project / "rendered" / "prod" / "flux-system" / "kustomization-apps.yaml").write_text("kind: Kustomization\n")
    staging = project / "rendered" / ".dev-abc123"  # another run's, being written: left alone
    staging.mkdir()

    result = run_main_job(project, ENVIRONMENTS="dev")

    assert result.returncode == 0, result.stderr
    dev_stacks = [f"dev-{part}" for part in STACK_PARTS]
    assert sorted(p.name for p in (project / "cdktf.out" / "stacks").iterdir()) == sorted(dev_stacks)
    assert sorted(json.loads((project / "cdktf.out" / "manifest.json").read_text())["stacks"]) == sorted(dev_stacks)
    assert sorted(p.name for p in (project / "rendered").iterdir()) == [".dev-abc123", "dev"]
    removed = [line for line in result.stdout.splitlines() if line.startswith("Removed")]
    assert removed == [
        "Removed from cdktf.out/stacks (not in this selection): prod-network",
        "Removed from rendered (not in this selection): prod",
    ]
    assert "Rendered 1 cluster:" in result.stdout.splitlines()
    unreadable = [
        str(path.relative_to(project))
        for tree in ("cdktf.out", "rendered/dev")
        for path in [project / tree, *(project / tree).rglob("*")]
        if path.stat().st_mode & 0o004 == 0
    ]
    assert unreadable == []
