"""The jobs of the GitHub workflows, expanded per matrix entry as GitHub runs them: which
stacks each one plans or deploys, on which runner, with which role.

A matrix is written out in the workflow, or read from what the first job prints about the
environments (`${{ fromJSON(needs.<job>.outputs.<name>) }}`, stacks/ci_environments.py);
the latter is expanded from the environments given, as that job would print them. In
every string of a job, `${{ matrix.<path> }}`, `${{ join(matrix.<path>, '<separator>') }}`
and `${{ toJSON(matrix.<path>) }}` are filled in; other expressions stay as written.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from stacks.ci_environments import outputs as ci_outputs
from stacks.config import Environment

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
MATRIX_PATH = r"matrix((?:\.[A-Za-z0-9_-]+)*)"
PLAIN = re.compile(rf"^{MATRIX_PATH}$")
JOIN = re.compile(rf"^join\(\s*{MATRIX_PATH}\s*,\s*'([^']*)'\s*\)$")
TO_JSON = re.compile(rf"^toJSON\(\s*{MATRIX_PATH}\s*\)$")
FROM_OUTPUT = re.compile(r"^\$\{\{\s*fromJSON\(\s*needs\.([\w-]+)\.outputs\.([\w-]+)\s*\)\s*\}\}$")
APPLY = re.compile(r"\b(cdktf(-cli@[\d.]+)?\s+deploy|terraform\b.*\bapply|scripts\.deploy_plans\s+apply)\b")
LEGACY_ROLES = {"deploy": "DEPLOY_ROLE", "plan": "PLAN_ROLE"}  # repository variables named in older workflows


@dataclass(frozen=True)
class Job:
    workflow: str  # the workflow file
    name: str  # the job id, with its matrix values
    runs_on: str
    text: str  # everything the job runs, with matrix values filled in
    job_id: str = ""
    body: Mapping[str, Any] | None = None  # the job, with matrix values filled in

    @property
    def applies(self) -> bool:
        """Whether the job changes infrastructure (deploys) rather than only planning."""
        return bool(APPLY.search(self.text))

    @property
    def roles(self) -> list[str]:
        """The `role-to-assume` of every step that configures AWS credentials."""
        steps = (self.body or {}).get("steps") or []
        return [str(step["with"]["role-to-assume"]) for step in steps if "role-to-assume" in (step.get("with") or {})]

    def ci_role(self, arns: Mapping[str, str]) -> str | None:
        """Which of the CI roles (`deploy`/`plan` → ARN) the job assumes, if any."""
        for kind, arn in arns.items():
            if arn in self.roles:
                return kind
        return next((kind for kind, variable in LEGACY_ROLES.items() if variable in self.text), None)

    def touches(self, stack: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(stack)}(?![\w-])", self.text) is not None

    def __str__(self) -> str:
        return f"{self.workflow} job {self.name}"


def expanded_jobs(workflows: dict[str, dict[str, Any]], environments: Sequence[Environment]) -> list[Job]:
    values = ci_outputs(environments)
    jobs = []
    for file, workflow in workflows.items():
        for job_id, label, body in expand(workflow, values):
            runs_on = body.get("runs-on", "")
            jobs.append(
                Job(
                    workflow=file,
                    name=job_id + (f" ({label})" if label else ""),
                    runs_on=runs_on if isinstance(runs_on, str) else " ".join(runs_on),
                    text=yaml.safe_dump(body, width=1_000_000),
                    job_id=job_id,
                    body=body,
                )
            )
    return jobs


def expand(workflow: Mapping[str, Any], outputs: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(job id, matrix label, job with the entry's values filled in) for every matrix entry.

    `outputs`: what the environments job prints, by output name (scripts/ci_environments.py).
    """
    for job_id, job in (workflow.get("jobs") or {}).items():
        template = {key: value for key, value in job.items() if key != "strategy"}
        for entry in matrix_entries(job, outputs):
            label = ", ".join(f"{key}={_label(value)}" for key, value in entry.items())
            yield job_id, label, fill(template, entry)


def matrix_entries(job: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if isinstance(matrix, str):
        matrix = _from_output(matrix, outputs)
    axes = {key: _axis(values, outputs) for key, values in matrix.items() if key not in ("include", "exclude")}
    combinations = [dict(zip(axes, chosen, strict=True)) for chosen in itertools.product(*axes.values())]
    combinations = combinations if axes else []
    combinations += [dict(entry) for entry in matrix.get("include", [])]
    excluded = matrix.get("exclude", [])
    kept = [c for c in combinations if not any(all(c.get(k) == v for k, v in e.items()) for e in excluded)]
    return kept if axes or kept else [{}]


def _axis(values: Any, outputs: Mapping[str, Any]) -> list[Any]:
    return list(_from_output(values, outputs) if isinstance(values, str) else values)


def _from_output(expression: str, outputs: Mapping[str, Any]) -> Any:
    found = FROM_OUTPUT.match(expression.strip())
    if not found or found.group(2) not in outputs:
        raise ValueError(f"cannot expand the matrix {expression!r}: only fromJSON of an environments output")
    return outputs[found.group(2)]


def _label(value: Any) -> str:
    return str(value.get("name", value)) if isinstance(value, dict) else str(value)


def fill(value: Any, matrix: Mapping[str, Any]) -> Any:
    """`value` with every supported matrix expression in its strings filled in."""
    if isinstance(value, dict):
        return {key: fill(item, matrix) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, matrix) for item in value]
    if isinstance(value, str):
        return EXPRESSION.sub(lambda m: _evaluate(m.group(1), matrix, m.group(0)), value)
    return value


def _evaluate(expression: str, matrix: Mapping[str, Any], written: str) -> str:
    text: str | None = None
    if match := PLAIN.match(expression):
        text = _scalar(_lookup(matrix, match.group(1)))
    elif match := JOIN.match(expression):
        found = _lookup(matrix, match.group(1))
        text = match.group(2).join(str(item) for item in found) if isinstance(found, list) else None
    elif match := TO_JSON.match(expression):
        found = _lookup(matrix, match.group(1))
        text = None if found is _MISSING else json.dumps(found)
    return written if text is None else text


_MISSING = object()


def _lookup(matrix: Mapping[str, Any], path: str) -> Any:
    found: Any = matrix
    for key in path.strip(".").split("."):
        if not isinstance(found, Mapping) or key not in found:
            return _MISSING
        found = found[key]
    return found


def _scalar(value: Any) -> str | None:
    """How GitHub writes a value into a string: scalars only (booleans lowercase, null empty)."""
    if value is _MISSING or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return ""
    return str(value)
