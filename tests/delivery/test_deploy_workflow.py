"""deploy.yml plans, shows, and applies exactly what was shown, checked on the workflow file as far
as can be done without GitHub: the job graph, the artifacts between the jobs, where the approval
sits, and what each step runs. The steps themselves: test_deploy_plans.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from stacks.ci_environments import STAGES
from stacks.config import Environment
from tests.delivery.test_workflows import JobRun, job_runs, upstream, workflow

PLAN = "python3 -m scripts.deploy_plans plan "
SUMMARY = "python3 -m scripts.deploy_plans summary "
FRESH = "python3 -m scripts.deploy_plans fresh "
APPLY = "python3 -m scripts.deploy_plans apply "
GROUPS = ("aws_stacks", "cluster_api_stacks")


def step_index(run: JobRun, text: str) -> int:
    [index] = [i for i, step in enumerate(run.steps) if text in step.get("run", "") or text in step.get("uses", "")]
    return index


def downloads(run: JobRun) -> dict[str, str]:
    """Artifact name → the folder this job downloads it into."""
    return {
        step["with"]["name"]: step["with"]["path"]
        for step in run.steps
        if step.get("uses", "").startswith("actions/download-artifact@")
    }


def uploads(run: JobRun) -> dict[str, dict[str, Any]]:
    return {
        step["with"]["name"]: step["with"]
        for step in run.steps
        if step.get("uses", "").startswith("actions/upload-artifact@")
    }


def running(runs: list[JobRun], command: str, stacks: list[str]) -> JobRun:
    """The one job run whose step runs `command` on these stacks (given as $STACKS)."""
    found = [
        run
        for run in runs
        if run.body.get("env", {}).get("STACKS") == " ".join(stacks)
        and any(step.get("run", "").startswith(command) for step in run.steps)
    ]
    assert len(found) == 1, f"{len(found)} deploy jobs run {command.split()[-1]} for {stacks}"
    return found[0]


@pytest.fixture(scope="module")
def runs(environments: dict[str, Environment]) -> list[JobRun]:
    return list(job_runs(workflow("deploy"), environments))


@pytest.mark.parametrize("group", GROUPS)
def test_every_stack_is_planned_shown_and_then_applied_from_its_saved_plan(
    environments: dict[str, Environment], runs: list[JobRun], group: str
) -> None:
    from stacks.ci_environments import describe

    jobs = workflow("deploy")["jobs"]
    for env in environments.values():
        stacks = describe(env)[group]
        planning, applying = running(runs, PLAN, stacks), running(runs, APPLY, stacks)
        assert planning.job_id in upstream(jobs, applying.job_id), f"{applying} may apply before {planning} planned"
        # The summary shows the plans of the same stacks, even when a plan failed.
        summary = planning.steps[step_index(planning, SUMMARY)]
        assert (
            summary["run"].endswith('"$STACKS" | tee -a "$GITHUB_STEP_SUMMARY"')
            and summary["if"] == "${{ !cancelled() }}"
        )
        # The plans travel as one artifact of this commit, into the folder the apply reads.
        [(artifact, upload)] = [(n, u) for n, u in uploads(planning).items() if n.startswith("plans-")]
        assert "${{ github.sha }}" in artifact and upload["path"] == "plans", artifact
        assert downloads(applying)[artifact] == "plans"
        assert step_index(planning, PLAN) < step_index(planning, "actions/upload-artifact@")
        [download] = [i for i, step in enumerate(applying.steps) if step.get("with", {}).get("name") == artifact]
        assert download < step_index(applying, APPLY)


def test_the_cluster_api_stacks_are_planned_once_the_aws_stacks_are_applied(
    environments: dict[str, Environment], runs: list[JobRun]
) -> None:
    """They read the AWS stacks' outputs, and their runner is created by the cluster stack: on a first
    deploy nothing may wait for the in-VPC runner before the AWS stacks are applied."""
    from stacks.ci_environments import describe

    jobs = workflow("deploy")["jobs"]
    for env in environments.values():
        aws, cluster_api = (describe(env)[group] for group in GROUPS)
        applied = running(runs, APPLY, aws).job_id
        assert applied in upstream(jobs, running(runs, PLAN, cluster_api).job_id)
        runner = f"codebuild-{describe(env)['runner']}-"
        in_vpc = {run.job_id for run in runs if any(label.startswith(runner) for label in run.labels)}
        assert not in_vpc & (upstream(jobs, applied) | {applied}), f"{applied} waits for {env.name}'s in-VPC runner"


def test_the_approval_sits_between_the_plans_and_the_apply(
    environments: dict[str, Environment], runs: list[JobRun]
) -> None:
    """Plan jobs name no GitHub environment, so they run at once and their token is the branch's; every
    apply job of a production environment names its GitHub environment, so a reviewer approves it
    after the plans are in the run's summary."""
    for run in runs:
        if any(step.get("run", "").startswith(PLAN) for step in run.steps):
            assert "environment" not in run.body, f"{run} waits for a reviewer before anything is planned"
        if any(step.get("run", "").startswith(APPLY) for step in run.steps):
            [name] = {stack.rsplit("-", 1)[0] for stack in run.body["env"]["STACKS"].split()}
            env = environments[name]
            assert run.body.get("environment") == env.delivery.github_environment, str(run)
            assert (env.tier == "production") == bool(run.body.get("environment")), str(run)


def test_an_apply_job_refuses_plans_of_an_older_commit_before_it_reads_them(runs: list[JobRun]) -> None:
    applying = [run for run in runs if any(step.get("run", "").startswith(APPLY) for step in run.steps)]
    assert applying
    for run in applying:
        check = step_index(run, FRESH)
        assert check < min(
            i for i, s in enumerate(run.steps) if s.get("uses", "").startswith("actions/download-artifact@")
        )
        step = run.steps[check]
        assert step["run"] == f'{FRESH}--commit "$GITHUB_SHA" --branch "$GITHUB_REF_NAME"'
        # The job token reads the head of main; Terraform and its providers never see it.
        assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
        assert "GITHUB_TOKEN" not in str(run.body.get("env")) and "token" not in str(run.steps[step_index(run, APPLY)])
        assert run.body["permissions"] == {"contents": "read", "id-token": "write"}


def test_nothing_is_applied_but_saved_plans(runs: list[JobRun]) -> None:
    for run in runs:
        for step in run.steps:
            text = step.get("run", "")
            assert not re.search(r"\bterraform\b|\bcdktf\b|auto-approve", text), f"{run}: {text}"


def test_the_plans_are_applied_by_the_terraform_release_that_made_them() -> None:
    """Terraform refuses a saved plan made by another version."""
    versions = {
        step["with"]["terraform_version"]
        for job in workflow("deploy")["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("hashicorp/setup-terraform@")
    }
    assert len(versions) == 1, versions


def test_saved_plans_are_kept_one_day_and_replaced_by_a_re_run(runs: list[JobRun]) -> None:
    for run in runs:
        for name, upload in uploads(run).items():
            assert upload["retention-days"] == 1, f"{run}: {name}"
            assert upload["overwrite"] is True, f"{run}: {name}: re-running all jobs uploads it again"


def stage_of(job_id: str) -> str | None:
    return next((stage for stage in STAGES if job_id.endswith(f"-{stage}") and f"non-{stage}" not in job_id), None)


def needs(job: dict[str, Any]) -> list[str]:
    return [job["needs"]] if isinstance(job["needs"], str) else list(job["needs"])


def test_the_production_stage_repeats_the_non_production_stage() -> None:
    """One set of jobs per stage, identical but for the matrix, the order and the approval."""
    jobs = workflow("deploy")["jobs"]
    first, second = (stage.replace("-", "_") for stage in STAGES)
    stage_jobs = {job_id.removesuffix(f"-{STAGES[0]}") for job_id in jobs if stage_of(job_id) == STAGES[0]}
    assert stage_jobs == {"plan", "plan-cluster-api", "apply", "apply-cluster-api"}

    def comparable(job: dict[str, Any], stage: str) -> str:
        kept = {key: value for key, value in job.items() if key not in ("needs", "if", "environment")}
        return yaml.safe_dump(kept).replace(stage.replace("-", "_"), "<stage>").replace(stage, "<stage>")

    for job in stage_jobs:
        earlier, later = jobs[f"{job}-{STAGES[0]}"], jobs[f"{job}-{STAGES[1]}"]
        assert comparable(earlier, STAGES[0]) == comparable(later, STAGES[1]), job
        same = [need.replace(STAGES[0], STAGES[1]) for need in needs(earlier)]
        assert set(same) <= set(needs(later)), job
        assert f"outputs.{first}" in str(earlier["strategy"]) and f"outputs.{second}" in str(later["strategy"])


def test_the_stages_run_in_order_and_an_empty_production_stage_is_skipped() -> None:
    jobs = workflow("deploy")["jobs"]
    production = {job_id for job_id in jobs if stage_of(job_id) == STAGES[1]}
    for job_id in production:
        assert {job for job in jobs if stage_of(job) == STAGES[0]} <= upstream(jobs, job_id), job_id
    first = [job_id for job_id in production if not set(needs(jobs[job_id])) & production]
    assert first == [f"plan-{STAGES[1]}"]
    assert jobs[first[0]]["if"] == "needs.synth.outputs.production != '[]'"


def test_no_failure_in_one_environment_cancels_another_environments_apply() -> None:
    for job_id, job in workflow("deploy")["jobs"].items():
        if "strategy" in job:
            assert job["strategy"]["fail-fast"] is False, job_id
