"""The jobs of the GitHub workflows, expanded per matrix entry: which stacks each one
plans or deploys, on which runner, with which role."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import yaml

MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
APPLY = re.compile(r"\b(cdktf(-cli@[\d.]+)?\s+deploy|terraform\b.*\bapply)\b")


@dataclass(frozen=True)
class Job:
    workflow: str  # the workflow file
    name: str  # the job id, with its matrix values
    runs_on: str
    text: str  # everything the job runs, with matrix values filled in

    @property
    def applies(self) -> bool:
        """Whether the job changes infrastructure (deploys) rather than only planning."""
        return bool(APPLY.search(self.text))

    def touches(self, stack: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(stack)}(?![\w-])", self.text) is not None

    def __str__(self) -> str:
        return f"{self.workflow} job {self.name}"


def expanded_jobs(workflows: dict[str, dict[str, Any]]) -> list[Job]:
    jobs = []
    for file, workflow in workflows.items():
        for job_id, job in (workflow.get("jobs") or {}).items():
            for values in _matrix(job):
                label = job_id + (f" ({', '.join(f'{k}={v}' for k, v in values.items())})" if values else "")
                fill = _filler(values)
                runs_on = job.get("runs-on", "")
                jobs.append(
                    Job(
                        workflow=file,
                        name=label,
                        runs_on=fill(runs_on if isinstance(runs_on, str) else " ".join(runs_on)),
                        text=fill(yaml.safe_dump({k: v for k, v in job.items() if k != "strategy"}, width=1_000_000)),
                    )
                )
    return jobs


def _matrix(job: dict[str, Any]) -> list[dict[str, str]]:
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    axes = {key: values for key, values in matrix.items() if key not in ("include", "exclude")}
    combinations = (
        [dict(zip(axes, chosen, strict=True)) for chosen in itertools.product(*axes.values())] if axes else []
    )
    combinations += [dict(entry) for entry in matrix.get("include", [])]
    excluded = matrix.get("exclude", [])
    kept = [c for c in combinations if not any(all(c.get(k) == v for k, v in e.items()) for e in excluded)]
    return [{k: str(v) for k, v in c.items()} for c in kept] or [{}]


def _filler(values: dict[str, str]) -> Any:
    def fill(text: str) -> str:
        return MATRIX_EXPRESSION.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    return fill
