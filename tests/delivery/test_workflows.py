"""The GitHub workflows, checked as far as can be done without GitHub: they parse, they
name only stacks the app synthesizes, pull requests never deploy, every action is pinned
and every job's permissions are explicit, the stacks that call the Kubernetes API are
planned and deployed only on their environment's in-VPC runner, deploys follow the stack
dependencies, every role a job assumes trusts that job's token, and zizmor finds nothing.
How deploy.yml plans, shows and applies saved plans: test_deploy_workflow.py.

Jobs are read as GitHub runs them: a matrix job once per matrix entry, with its
`${{ matrix.* }}` values filled in; matrices read from the environments job
(stacks/ci_environments.py) are expanded from this repository's environment files.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.ci_environments import outputs as ci_outputs
from stacks.config import Environment
from stacks.naming import CLUSTER_API_PARTS, CiRole, ci_role_arn, ci_runner_name
from system.workflow_jobs import expand
from tests.conftest import ROOT
from tests.helpers import Document, data_sources, resources
from tests.tools import scanner

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
ENV_VALUE = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
APPLIES = re.compile(r"\bcdktf-cli@[\d.]+ deploy\b|\bterraform\b[^\n]*\bapply\b|\bscripts\.deploy_plans apply\b")
FROM_ENVIRONMENTS = re.compile(r"^\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.(\w+)\) \}\}$")
# Labels of GitHub-hosted runners: https://docs.github.com/en/actions/reference/runners/github-hosted-runners
GITHUB_HOSTED = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$")
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on` as true
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / f"{name}.yml")


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


@dataclass(frozen=True)
class JobRun:
    """One job as GitHub runs it, for one matrix entry."""

    job_id: str
    body: dict[str, Any]

    def __str__(self) -> str:
        return f"job {self.job_id} ({self.body.get('name', self.job_id)})"

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.body.get("steps", []))

    @cached_property
    def text(self) -> str:
        return yaml.safe_dump(self.body, sort_keys=False, width=1_000_000)

    @property
    def labels(self) -> list[str]:
        runs_on = self.body["runs-on"]
        return [runs_on] if isinstance(runs_on, str) else list(runs_on)

    @property
    def applies(self) -> bool:
        return any(APPLIES.search(step.get("run", "")) for step in self.body.get("steps", []))

    def stacks(self, environments: dict[str, Environment]) -> list[str]:
        """Stack-like names (`<env>-<word>`) anywhere in the job, in order of appearance."""
        envs = "|".join(re.escape(name) for name in environments)
        names = re.findall(rf"(?<![\w-])(?:{envs})-[a-z]+(?![\w-])", self.text)
        return list(dict.fromkeys(names))

    def artifacts(self, action: str, key: str) -> list[str]:
        """The `with.<key>` of every `actions/<action>` step, `${{ env.* }}` filled in."""
        env = self.body.get("env", {})
        return [
            ENV_VALUE.sub(lambda m: str(env[m.group(1)]), str(step["with"][key]))
            for step in self.body.get("steps", [])
            if step.get("uses", "").startswith(f"actions/{action}@") and key in step.get("with", {})
        ]


def job_runs(document: dict[str, Any], environments: dict[str, Environment]) -> Iterator[JobRun]:
    """Every job once per matrix entry, as GitHub would run it with these environment files."""
    for job_id, _label, body in expand(document, ci_outputs(list(environments.values()))):
        yield JobRun(job_id, body)


def environment_of(stack: str) -> str:
    return stack.rsplit("-", 1)[0]  # stack ids are `<env>-<part>` and parts have no dash


def in_vpc_label(env: Environment) -> str:
    """The label that routes a job to the environment's CodeBuild-hosted runner:
    https://docs.aws.amazon.com/codebuild/latest/userguide/sample-github-action-runners-update-labels.html"""
    return f"codebuild-{ci_runner_name(env)}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def accepts(cluster: Document, project: str, workflow_name: str) -> bool:
    """Whether a webhook of the CodeBuild project `project` starts a runner for queued jobs of
    the workflow `workflow_name` (all filters of a group must match, any group will do:
    https://docs.aws.amazon.com/codebuild/latest/userguide/github-webhook.html). Filters on
    what a workflow file does not decide (actor, ref) are taken as matching."""
    projects = resources(cluster, "aws_codebuild_project")

    def matches(webhook_filter: dict[str, Any]) -> bool:
        pattern = str(webhook_filter["pattern"])
        if webhook_filter["type"] == "EVENT":
            return "WORKFLOW_JOB_QUEUED" in [event.strip() for event in pattern.split(",")]
        if webhook_filter["type"] == "WORKFLOW_NAME":
            return bool(re.search(pattern, workflow_name)) != bool(webhook_filter.get("exclude_matched_pattern"))
        return True

    for webhook in resources(cluster, "aws_codebuild_webhook").values():
        reference = re.fullmatch(r"\$\{aws_codebuild_project\.([\w-]+)\.name\}", webhook["project_name"])
        if (projects[reference.group(1)]["name"] if reference else webhook["project_name"]) != project:
            continue
        if any(all(matches(f) for f in group["filter"]) for group in webhook.get("filter_group", [])):
            return True
    return False


def upstream(jobs: dict[str, Any], job_id: str) -> set[str]:
    """Every job `job_id` waits for, directly or through others."""
    needs = jobs[job_id].get("needs", [])
    direct = {needs} if isinstance(needs, str) else set(needs)
    return direct.union(*(upstream(jobs, need) for need in direct))


@pytest.fixture(scope="module")
def cluster_api_stacks(stacks: dict[str, Document], environments: dict[str, Environment]) -> set[str]:
    """Stacks whose providers call the Kubernetes API (and so need the in-VPC runner)."""
    found = {name for name, document in stacks.items() if {"helm", "kubernetes"} & set(document.get("provider", {}))}
    assert {f"{env}-platform" for env in environments} <= found, "the platform stacks call the Kubernetes API"
    declared = {f"{env}-{part}" for env in environments for part in CLUSTER_API_PARTS}
    assert found == declared, f"stacks.naming.CLUSTER_API_PARTS names {sorted(declared)}, the providers {sorted(found)}"
    return found


@pytest.fixture(scope="module")
def deploy_jobs(environments: dict[str, Environment]) -> dict[str, JobRun]:
    """Stack → the deploy job that applies it."""
    found: dict[str, JobRun] = {}
    for run in job_runs(workflow("deploy"), environments):
        if run.applies:
            for stack in run.stacks(environments):
                assert stack not in found, f"{stack} is deployed by {found[stack]} and {run}"
                found[stack] = run
    return found


def test_there_are_the_three_workflows() -> None:
    assert [path.stem for path in WORKFLOWS] == ["deploy", "drift", "pull-request"]


def environments_steps(document: dict[str, Any], job_id: str) -> dict[str, str]:
    """Output name → the `id` of the step of `job_id` that prints the environments to $GITHUB_OUTPUT."""
    steps = document["jobs"][job_id]["steps"]
    printing = [
        step["id"]
        for step in steps
        if '-m scripts.ci_environments --github-output >> "$GITHUB_OUTPUT"' in step.get("run", "")
    ]
    assert len(printing) == 1, f"{job_id}: {len(printing)} steps print the environments to $GITHUB_OUTPUT"
    return {name: printing[0] for name in ci_outputs([])}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.stem)
def test_every_environment_list_comes_from_the_environments_job(
    path: Path, environments: dict[str, Environment]
) -> None:
    """No workflow lists environments or stacks itself: every matrix is an output of the job that runs
    stacks/ci_environments.py (run as scripts.ci_environments), read by a job that waits for it, through an output wired to that step."""
    document = load(path)
    jobs = document["jobs"]
    from_config = 0
    for job_id, job in jobs.items():
        for axis, values in (job.get("strategy", {}).get("matrix") or {}).items():
            found = FROM_ENVIRONMENTS.match(str(values))
            assert found, f"{path.name}: job {job_id}: matrix {axis} is written out, not read from the environments"
            source, output = found.groups()
            assert source in upstream(jobs, job_id), f"{path.name}: job {job_id} reads {source} without waiting for it"
            step = environments_steps(document, source)[output]
            assert jobs[source]["outputs"][output] == f"${{{{ steps.{step}.outputs.{output} }}}}", f"{job_id}: {output}"
            from_config += 1
    assert from_config, f"{path.name} has no matrix from the environments: the test would prove nothing"
    named = yaml.safe_dump(document)
    for env in environments:
        assert not re.search(rf"(?<![\w-]){re.escape(env)}(?![\w])", named), f"{path.name} names {env} itself"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.stem)
def test_the_in_vpc_runner_starts_for_the_jobs_of_every_workflow_that_uses_it(
    stacks: dict[str, Document], environments: dict[str, Environment], path: Path
) -> None:
    document = load(path)
    runs = list(job_runs(document, environments))
    using = [env for env in environments.values() if any(in_vpc_label(env) in run.labels for run in runs)]
    assert using, f"{path.name} uses no in-VPC runner: the test would prove nothing"
    for env in using:
        assert accepts(stacks[f"{env.name}-cluster"], ci_runner_name(env), document["name"]), (
            f"{env.name}-cluster has no CodeBuild runner {ci_runner_name(env)} whose webhook takes jobs of "
            f"'{document['name']}': they would wait for a runner that never comes"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.stem)
def test_every_action_is_pinned_and_every_job_declares_its_permissions(path: Path) -> None:
    document = load(path)
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} inherits permissions"
        assert "write-all" not in str(job["permissions"])
    for step in steps(document):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_every_stack_named_exists_in_the_synthesized_app(
    stacks: dict[str, Document], environments: dict[str, Environment], name: str
) -> None:
    named = {stack for run in job_runs(workflow(name), environments) for stack in run.stacks(environments)}
    assert named, "the workflow names no stack: the test would prove nothing"
    assert named <= set(stacks), named - set(stacks)
    deployable = {s for s in stacks if not s.endswith("-bootstrap")}
    assert named == deployable


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_stacks_that_call_the_kubernetes_api_run_on_their_environments_in_vpc_runner(
    environments: dict[str, Environment], cluster_api_stacks: set[str], name: str
) -> None:
    covered: set[str] = set()
    for run in job_runs(workflow(name), environments):
        for stack in set(run.stacks(environments)) & cluster_api_stacks:
            expected = in_vpc_label(environments[environment_of(stack)])
            assert run.labels == [expected], f"{name}: {run} runs {stack} on {run.labels}, not on {expected}"
            covered.add(stack)
    assert covered == cluster_api_stacks, f"{name} never runs {cluster_api_stacks - covered}"


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_no_job_that_touches_the_kubernetes_api_runs_on_a_github_hosted_runner(
    environments: dict[str, Environment], cluster_api_stacks: set[str], name: str
) -> None:
    for run in job_runs(workflow(name), environments):
        touched = set(run.stacks(environments)) & cluster_api_stacks
        hosted = [label for label in run.labels if GITHUB_HOSTED.match(label)]
        assert not (touched and hosted), f"{name}: {run} runs {sorted(touched)} on {hosted}: the EKS API refuses it"


def test_deploy_applies_every_stack_after_the_stacks_it_reads(synth_dir: Path, deploy_jobs: dict[str, JobRun]) -> None:
    """`<env>-platform` reads network, cluster and data: it must wait for the jobs that deploy them."""
    manifest = json.loads((synth_dir / "manifest.json").read_text())["stacks"]
    jobs = workflow("deploy")["jobs"]
    assert set(deploy_jobs) == {stack for stack in manifest if not stack.endswith("-bootstrap")}
    for stack, run in deploy_jobs.items():
        for dependency in manifest[stack]["dependencies"]:
            before = deploy_jobs[dependency]
            if before.job_id == run.job_id:
                assert run.text.index(dependency) < run.text.index(stack), f"{run} deploys {stack} before {dependency}"
            else:
                assert before.job_id in upstream(jobs, run.job_id), f"{run} may deploy {stack} before {dependency}"


def test_production_deploys_wait_for_the_other_environments_and_for_approval(
    deploy_jobs: dict[str, JobRun], environments: dict[str, Environment]
) -> None:
    jobs = workflow("deploy")["jobs"]
    for stack, run in deploy_jobs.items():
        env = environments[environment_of(stack)]
        # The deploy role trusts the GitHub environment's tokens if one is set, else the branch's.
        assert run.body.get("environment") == env.delivery.github_environment, f"{run} deploys {stack}"
        if env.tier == "production":
            earlier = {r.job_id for s, r in deploy_jobs.items() if environments[environment_of(s)].tier != "production"}
            assert earlier <= upstream(jobs, run.job_id), f"{run} may deploy {stack} before {earlier}"


def test_no_two_deploy_jobs_of_one_environment_run_at_once(
    deploy_jobs: dict[str, JobRun], environments: dict[str, Environment]
) -> None:
    for stack, run in deploy_jobs.items():
        group = {"group": f"deploy-{environment_of(stack)}", "cancel-in-progress": False}
        assert run.body.get("concurrency") == group, f"{run} deploys {stack}"


def role_arn(env: Environment, role: CiRole) -> str:
    return ci_role_arn(account_id=env.account_id, project=env.project, environment=env.name, role=role)


def test_deploy_jobs_assume_their_environments_deploy_role(
    deploy_jobs: dict[str, JobRun], environments: dict[str, Environment]
) -> None:
    for stack, run in deploy_jobs.items():
        env = environments[environment_of(stack)]
        [credentials] = [s for s in run.body["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert credentials["with"] == {"role-to-assume": role_arn(env, "deploy"), "aws-region": env.region}, str(run)


def test_pull_requests_never_deploy(environments: dict[str, Environment]) -> None:
    triggers = workflow("deploy")["on"]
    assert set(triggers) == {"push"}
    assert triggers["push"] == {"branches": ["main"]}
    for name in ("pull-request", "drift"):
        planning = [run for run in job_runs(workflow(name), environments) if run.stacks(environments)]
        assert planning, f"{name} plans nothing: the test would prove nothing"
        assert not [str(run) for run in planning if run.applies]


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_plans_use_the_read_only_role(environments: dict[str, Environment], name: str) -> None:
    planning = [run for run in job_runs(workflow(name), environments) if run.stacks(environments) and not run.applies]
    assert planning, f"{name} plans nothing: the test would prove nothing"
    for run in planning:
        [name_of_env] = {environment_of(stack) for stack in run.stacks(environments)}
        env = environments[name_of_env]
        [credentials] = [s for s in run.body["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert credentials["with"] == {"role-to-assume": role_arn(env, "plan"), "aws-region": env.region}, str(run)
        assert run.body["permissions"].get("id-token") == "write", str(run)
        assert set(run.body["permissions"].items()) <= {("contents", "read"), ("id-token", "write")}, str(run)


def trusted_subjects(stacks: dict[str, Document], env: Environment, role: str) -> list[str]:
    """The token subjects the bootstrap stack's GitHub `role` trusts (stacks/constructs/github_oidc.py)."""
    documents = data_sources(stacks[f"{env.name}-bootstrap"], "aws_iam_policy_document")
    [trust] = [d for d in documents.values() if d["//"]["metadata"]["path"].endswith(f"/github/{role}/trust")]
    return [
        value
        for statement in trust["statement"]
        for condition in statement.get("condition", [])
        if condition["variable"] == "token.actions.githubusercontent.com:sub"
        for value in condition["values"]
    ]


def token_subject(document: dict[str, Any], run: JobRun, env: Environment) -> str:
    """The `sub` claim of the job's OIDC token: its GitHub environment if it names one, else the event's ref
    (https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims). Scheduled runs
    run on the default branch, taken to be main."""
    repository = f"repo:{env.github_repository}"
    if run.body.get("environment"):
        return f"{repository}:environment:{run.body['environment']}"
    if "pull_request" in document["on"]:
        return f"{repository}:pull_request"
    branches = (document["on"].get("push") or {}).get("branches", ["main"])
    assert len(branches) == 1, "one branch: the roles trust one"
    return f"{repository}:ref:refs/heads/{branches[0]}"


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_every_role_a_job_assumes_trusts_that_jobs_token(
    stacks: dict[str, Document], environments: dict[str, Environment], name: str
) -> None:
    """A GitHub environment on a job changes its token's subject: the deploy role of an environment with
    delivery.github_environment trusts only that environment's jobs, the plan role only the branch and pull requests."""
    document = workflow(name)
    assuming = 0
    for run in job_runs(document, environments):
        for step in run.steps:
            role = (step.get("with") or {}).get("role-to-assume")
            if role is None:
                continue
            [(env, kind)] = [
                (env, kind)
                for env in environments.values()
                for kind in ("plan", "deploy")
                if role_arn(env, kind) == role
            ]
            subject = token_subject(document, run, env)
            assert subject in trusted_subjects(stacks, env, kind), f"{run}: {kind} role of {env.name} refuses {subject}"
            assuming += 1
    assert assuming, f"{name} assumes no role: the test would prove nothing"


def test_every_environment_deploys_from_the_branch_the_deploy_workflow_runs_on(
    environments: dict[str, Environment],
) -> None:
    """The roles trust delivery.branch; deploy.yml runs on pushes to its one branch."""
    branches = workflow("deploy")["on"]["push"]["branches"]
    for env in environments.values():
        assert env.delivery.branch in branches, (
            f"{env.name}: delivery.branch {env.delivery.branch} is not in {branches}"
        )


def test_pull_requests_from_forks_get_no_credentials_and_no_in_vpc_runner(environments: dict[str, Environment]) -> None:
    document = workflow("pull-request")
    planning = [run for run in job_runs(document, environments) if run.stacks(environments)]
    assert any("codebuild-" in label for run in planning for label in run.labels)
    for run in planning:
        assert SAME_REPOSITORY in run.body.get("if", ""), f"{run} runs for fork pull requests"
    assert document["jobs"]["comment"]["permissions"] == {"contents": "read", "pull-requests": "write"}


@pytest.mark.parametrize(("name", "summary"), [("pull-request", "comment"), ("drift", "report")])
def test_the_summary_collects_every_plan(environments: dict[str, Environment], name: str, summary: str) -> None:
    document = workflow(name)
    jobs = document["jobs"]
    [pattern] = [step["with"]["pattern"] for step in jobs[summary]["steps"] if "pattern" in step.get("with", {})]
    planning = [run for run in job_runs(document, environments) if run.stacks(environments)]
    assert planning, f"{name} plans nothing: the test would prove nothing"
    for run in planning:
        assert run.job_id in upstream(jobs, summary), f"{summary} may run before {run}"
        [uploaded] = run.artifacts("upload-artifact", "name")
        assert fnmatch.fnmatchcase(uploaded, pattern), f"{summary} downloads {pattern}, not {run}'s {uploaded}"


@pytest.mark.parametrize("name", ["pull-request", "deploy", "drift"])
def test_every_artifact_a_job_reads_comes_from_a_job_it_waits_for(
    environments: dict[str, Environment], name: str
) -> None:
    document = workflow(name)
    runs = list(job_runs(document, environments))
    uploaded = [(artifact, run.job_id) for run in runs for artifact in run.artifacts("upload-artifact", "name")]
    uploads = dict(uploaded)
    assert len(uploads) == len(uploaded), "two jobs of one run upload an artifact of the same name"
    for run in runs:
        for artifact in run.artifacts("download-artifact", "name"):
            assert artifact in uploads, f"{run} reads {artifact}, which no job writes"
            assert uploads[artifact] in upstream(document["jobs"], run.job_id), f"{run} may read {artifact} too early"


@pytest.mark.scanner
def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [scanner("zizmor"), "--offline", "--format", "plain", ROOT / ".github" / "workflows"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


FLUX_ACTION = "fluxcd/flux2/action@"
FLUX_BUILD_CHECK = "-m render.flux_build_check"


def flux_build_job() -> tuple[str, dict[str, Any]]:
    """The pull-request job that runs the real flux CLI (render/flux_build_check.py)."""
    found = [
        (job_id, job)
        for job_id, job in workflow("pull-request")["jobs"].items()
        if any(step.get("uses", "").startswith(FLUX_ACTION) for step in job.get("steps", []))
    ]
    assert len(found) == 1, f"pull-request.yml: {len(found)} jobs install the flux CLI, not 1"
    return found[0]


def step_index(job: dict[str, Any], text: str) -> int:
    [index] = [i for i, step in enumerate(job["steps"]) if text in step.get("run", "") or text in step.get("uses", "")]
    return index


def test_the_flux_cli_builds_what_the_test_job_rendered_and_fails_the_pull_request_on_a_difference() -> None:
    jobs = workflow("pull-request")["jobs"]
    job_id, job = flux_build_job()
    assert "test" in upstream(jobs, job_id), "flux build must run after the render it checks"
    assert "if" not in job, "no secret is needed, so every pull request (forks too) is checked"
    assert job["permissions"] == {"contents": "read"}
    assert GITHUB_HOSTED.match(job["runs-on"])
    artifact = step_index(job, "actions/download-artifact@")
    assert job["steps"][artifact]["with"]["name"] == "synth"
    flux = step_index(job, FLUX_ACTION)
    build = step_index(job, f"{FLUX_BUILD_CHECK} build")
    compare = step_index(job, f"{FLUX_BUILD_CHECK} compare")
    assert artifact < build and flux < build < compare
    for step in job["steps"]:
        assert not step.get("continue-on-error"), step
        assert "|| true" not in step.get("run", "") and "shell" not in step, step


def test_the_flux_cli_is_the_release_the_cluster_runs_pinned_by_commit() -> None:
    from stacks.constructs.addons.flux import DISTRIBUTION

    _, job = flux_build_job()
    [line] = [
        line for line in (ROOT / ".github/workflows/pull-request.yml").read_text().splitlines() if FLUX_ACTION in line
    ]
    pinned = re.search(r"@([0-9a-f]{40}) # v(\d+\.\d+\.\d+)$", line)
    assert pinned, f"{line.strip()}: pin the action by a release's commit and name the release beside it"
    version = job["steps"][step_index(job, FLUX_ACTION)]["with"]["version"]
    assert version == pinned.group(2), f"the action is v{pinned.group(2)} but installs flux {version}"
    release = DISTRIBUTION.replace("x", "*")  # a semver range such as 2.8.x
    assert fnmatch.fnmatchcase(version, release), f"flux {version} is not the FluxInstance's {DISTRIBUTION}"


def test_the_test_job_prepares_the_flux_builds_from_its_render_and_hands_them_on() -> None:
    job = workflow("pull-request")["jobs"]["test"]
    synth = step_index(job, "make synth")
    prepare = step_index(job, f"{FLUX_BUILD_CHECK} prepare")
    [upload] = [i for i, step in enumerate(job["steps"]) if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert synth < prepare < upload
    builds = re.search(r"--builds (\S+)", job["steps"][prepare]["run"])
    assert builds, "prepare names its --builds folder"
    assert builds.group(1) in job["steps"][upload]["with"]["path"].split()
    _, flux_job = flux_build_job()
    for command in ("build", "compare"):
        run = flux_job["steps"][step_index(flux_job, f"{FLUX_BUILD_CHECK} {command}")]["run"]
        assert f"--builds {builds.group(1)}" in run, f"{command} reads another folder than prepare wrote"
