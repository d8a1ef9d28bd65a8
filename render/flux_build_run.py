"""`build`, the flux build check's second step: the real flux CLI on every build of the index.

It runs in a job with the flux CLI and no project dependencies (standard library only).
`--dry-run` keeps the CLI off any cluster; `--strict-substitute` makes a variable without
a value fail, as kustomize-controller does with StrictPostBuildSubstitutions.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from render.flux_build_index import read_index


def run_builds(builds: Path, repo: Path, flux: str) -> list[str]:
    """`flux build` for every build; its output beside the input, failures one line each."""
    problems = []
    for build in read_index(builds):
        command = [flux, "build", "kustomization", build.name, "--namespace", build.namespace]
        command += ["--path", str(repo / build.path), "--kustomization-file", str(builds / build.input)]
        command += ["--dry-run", "--strict-substitute"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as error:
            problems.append(f"{build}: flux build did not run: {error}")
            continue
        if result.returncode != 0:
            problems.append(f"{build}: flux build failed: {' '.join(result.stderr.split())}")
            continue
        (builds / build.output).write_text(result.stdout)
    return problems
