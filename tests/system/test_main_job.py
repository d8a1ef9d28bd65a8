"""`python main.py` with a system defect: exit 2, one line per violation, nothing rendered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_main_job_reports_violations_and_writes_no_cluster(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for folder in ("stacks", "render", "system", "clusters", "charts", "environments", ".github"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "main.py", project / "main.py")
    # The planted defect: prod's apps wait for the optional webhook token.
    entry = project / "clusters/prod/apps.yaml"
    entry.write_text(
        entry.read_text().replace(
            "    - name: infra-configs\n", "    - name: infra-configs\n    - name: flux-webhook\n"
        )
    )
    environment = {key: value for key, value in os.environ.items() if key != "CDKTF_OUTDIR"}
    environment["ENVIRONMENTS"] = "prod"
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
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
