"""`python main.py` with a system defect: exit 2, one line per violation, nothing rendered."""

from __future__ import annotations

from pathlib import Path

from tests.main_job import copy_project, run_main_job


def test_main_job_reports_violations_and_writes_no_cluster(tmp_path: Path) -> None:
    project = copy_project(
        tmp_path, "stacks", "render", "system", "scripts", "clusters", "charts", "environments", ".github"
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
