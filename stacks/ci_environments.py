"""The environments the workflows work on, read from the typed config: which ones, in
which order, behind which approval, on which runner, with which roles and stacks.

    python -m scripts.ci_environments                  # the JSON, for people and logs
    python -m scripts.ci_environments --github-output  # name=value lines for $GITHUB_OUTPUT

Each workflow's synth (pull requests: test) job runs it right after `make synth`; later
jobs build their matrices from its outputs with `fromJSON`, so adding an environment file
changes every workflow without an edit. What stays fixed in the workflow files: deploy.yml
has one set of jobs per stage (`STAGES`), because GitHub Actions cannot make job
dependencies dynamic; the environments of a stage run side by side, and each stage waits
for the one before.

It loads `environments/` with stacks.config (no provider bindings: well under a second),
so the only packages it needs are pydantic and PyYAML.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stacks.config import ConfigError, Environment, load_environments
from stacks.display import shown
from stacks.naming import CLUSTER_API_PARTS, HAND_APPLIED_PARTS, STACK_PARTS, ci_role_arn, ci_runner_name, stack_id

REPO = Path(__file__).resolve().parents[1]
# deploy.yml's stages, in order: a stage starts when the one before it has deployed every
# environment. An environment's stage is its tier.
STAGES = ("non-production", "production")


def deploy_order(environments: Sequence[Environment]) -> list[Environment]:
    """Stage by stage; within a stage, in the order given (file names)."""
    return sorted(environments, key=lambda env: STAGES.index(env.tier))


def describe(env: Environment) -> dict[str, Any]:
    """One environment as the workflows use it (a matrix entry of deploy.yml)."""
    ci_parts = [part for part in STACK_PARTS if part not in HAND_APPLIED_PARTS]
    roles = {"project": env.project, "environment": env.name, "account_id": env.account_id}
    return {
        "name": env.name,
        "tier": env.tier,
        # Jobs that deploy name this GitHub environment: its reviewers approve them, and
        # the deploy role trusts only its jobs (stacks/constructs/github_oidc.py).
        "approval": env.tier == "production",
        "github_environment": env.delivery.github_environment,
        "region": env.region,
        "plan_role_arn": ci_role_arn(**roles, role="plan"),
        "deploy_role_arn": ci_role_arn(**roles, role="deploy"),
        # The CodeBuild project of the in-VPC runner; the label is
        # codebuild-<runner>-${{ github.run_id }}-${{ github.run_attempt }}.
        "runner": ci_runner_name(env),
        "stacks": [stack_id(env, part) for part in ci_parts],
        "aws_stacks": [stack_id(env, part) for part in ci_parts if part not in CLUSTER_API_PARTS],
        "cluster_api_stacks": [stack_id(env, part) for part in ci_parts if part in CLUSTER_API_PARTS],
    }


def outputs(environments: Sequence[Environment]) -> dict[str, list[dict[str, Any]]]:
    """What the environments job hands to later jobs, by output name.

    - environments: every environment, in deploy order;
    - non_production, production: the environments of each stage of deploy.yml;
    - aws_plans, cluster_api_plans: one entry per stack (`name` is the stack), for the
      plan matrices of pull-request.yml and drift.yml: stacks that call AWS APIs only
      run on GitHub-hosted runners, stacks that call the cluster API on `runner`.
    """
    described = [describe(env) for env in deploy_order(environments)]

    def plans(key: str) -> list[dict[str, Any]]:
        shared = ("region", "plan_role_arn", "runner")
        return [
            {"name": stack, "environment": env["name"], **{k: env[k] for k in shared}}
            for env in described
            for stack in env[key]
        ]

    return {
        "environments": described,
        "non_production": [env for env in described if env["tier"] == "non-production"],
        "production": [env for env in described if env["tier"] == "production"],
        "aws_plans": plans("aws_stacks"),
        "cluster_api_plans": plans("cluster_api_stacks"),
    }


def problems(environments: Sequence[Environment], directory: Path) -> list[str]:
    """What keeps the workflows from deploying these environments as configured, one line each."""
    lines = []
    for env in environments:
        where = f"{shown(directory / (env.name + '.yaml'))}: delivery.github_environment"
        if env.tier == "production" and not env.delivery.github_environment:
            lines.append(
                f"{where}: required when tier is production: deploy.yml applies production only after a "
                "reviewer of this GitHub environment approves (e.g. production)"
            )
        if env.tier != "production" and env.delivery.github_environment:
            lines.append(
                f"{where}: deploy.yml gates only production environments, but the deploy role would trust "
                "only jobs of this GitHub environment; remove it, or set tier: production"
            )
    if environments and all(env.tier == "production" for env in environments):
        lines.append(
            f"{shown(directory)}: every environment is production: deploy.yml applies production only after a "
            "non-production environment took the same commit; add one (make new-env)"
        )
    return lines


def github_output(values: dict[str, list[dict[str, Any]]]) -> str:
    """`name=value` lines for $GITHUB_OUTPUT, each value compact JSON on one line."""
    return "".join(f"{name}={json.dumps(value, separators=(',', ':'))}\n" for name, value in values.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", type=Path, default=REPO / "environments", help="the environment files")
    parser.add_argument("--github-output", action="store_true", help="print name=value lines for $GITHUB_OUTPUT")
    args = parser.parse_args(argv)
    try:
        environments = load_environments(args.environments)
    except ConfigError as error:
        lines = list(error.lines)
    else:
        lines = problems(environments, args.environments)
    if lines:
        for line in lines:
            print(line, file=sys.stderr)
        print(f"{len(lines)} problem(s) found; the workflows cannot run.", file=sys.stderr)
        return 2
    values = outputs(environments)
    sys.stdout.write(github_output(values) if args.github_output else json.dumps(values, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
