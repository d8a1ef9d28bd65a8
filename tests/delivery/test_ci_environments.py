"""What the workflows read about the environments (stacks/ci_environments.py): order, stage,
approval, roles, runner and stacks from the typed config, and the lines that stop a workflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import ci_environments
from stacks.ci_environments import STAGES, deploy_order, github_output, outputs, problems
from stacks.config import Environment
from stacks.naming import STACK_PARTS
from tests.conftest import ROOT

DIRECTORY = ROOT / "environments"


def staging(environments: dict[str, Environment]) -> Environment:
    """A second non-production environment, named after prod in file order."""
    return environments["dev"].model_copy(update={"name": "staging"})


def test_every_environment_in_deploy_order_with_its_approval_roles_runner_and_stacks(
    environments: dict[str, Environment],
) -> None:
    values = outputs([environments["prod"], environments["dev"]])
    assert [env["name"] for env in values["environments"]] == ["dev", "prod"]
    dev, prod = values["environments"]
    assert dev == {
        "name": "dev",
        "tier": "non-production",
        "approval": False,
        "github_environment": None,
        "region": "eu-west-1",
        "plan_role_arn": "arn:aws:iam::111111111111:role/acme-dev-github-plan",
        "deploy_role_arn": "arn:aws:iam::111111111111:role/acme-dev-github-deploy",
        "runner": "acme-dev-ci-runner",
        "stacks": ["dev-network", "dev-cluster", "dev-data", "dev-platform", "dev-pipeline"],
        "aws_stacks": ["dev-network", "dev-cluster", "dev-data", "dev-pipeline"],
        "cluster_api_stacks": ["dev-platform"],
    }
    assert (prod["approval"], prod["github_environment"]) == (True, "production")
    assert values["non_production"] == [dev] and values["production"] == [prod]


def test_the_stacks_are_every_part_but_bootstrap_in_the_apps_order(environments: dict[str, Environment]) -> None:
    [dev] = outputs([environments["dev"]])["environments"]
    assert dev["stacks"] == [f"dev-{part}" for part in STACK_PARTS if part != "bootstrap"]


def test_production_comes_after_every_non_production_environment(environments: dict[str, Environment]) -> None:
    ordered = deploy_order([environments["dev"], environments["prod"], staging(environments)])
    assert [env.name for env in ordered] == ["dev", "staging", "prod"]
    assert STAGES == ("non-production", "production")


def test_the_plan_matrices_hold_one_entry_per_stack(environments: dict[str, Environment]) -> None:
    values = outputs(list(environments.values()))
    assert [entry["name"] for entry in values["cluster_api_plans"]] == ["dev-platform", "prod-platform"]
    assert values["aws_plans"][0] == {
        "name": "dev-network",
        "environment": "dev",
        "region": "eu-west-1",
        "plan_role_arn": "arn:aws:iam::111111111111:role/acme-dev-github-plan",
        "runner": "acme-dev-ci-runner",
    }
    assert len(values["aws_plans"]) == 8


def test_the_example_environments_have_no_problems(environments: dict[str, Environment]) -> None:
    assert problems(list(environments.values()), DIRECTORY) == []


def test_production_without_a_github_environment_is_refused(environments: dict[str, Environment]) -> None:
    prod = environments["prod"]
    ungated = prod.model_copy(update={"delivery": prod.delivery.model_copy(update={"github_environment": None})})
    assert problems([environments["dev"], ungated], DIRECTORY) == [
        "environments/prod.yaml: delivery.github_environment: required when tier is production: deploy.yml "
        "applies production only after a reviewer of this GitHub environment approves (e.g. production)"
    ]


def test_a_gated_non_production_environment_is_refused(environments: dict[str, Environment]) -> None:
    dev = environments["dev"]
    gated = dev.model_copy(update={"delivery": dev.delivery.model_copy(update={"github_environment": "dev"})})
    assert problems([gated, environments["prod"]], DIRECTORY) == [
        "environments/dev.yaml: delivery.github_environment: deploy.yml gates only production environments, but "
        "the deploy role would trust only jobs of this GitHub environment; remove it, or set tier: production"
    ]


def test_production_alone_is_refused(environments: dict[str, Environment]) -> None:
    assert problems([environments["prod"]], DIRECTORY) == [
        "environments: every environment is production: deploy.yml applies production only after a "
        "non-production environment took the same commit; add one (make new-env)"
    ]


def test_the_github_output_is_one_line_of_compact_json_per_output(environments: dict[str, Environment]) -> None:
    values = outputs(list(environments.values()))
    lines = github_output(values).splitlines()
    assert [line.split("=", 1)[0] for line in lines] == list(values)
    for line in lines:
        name, value = line.split("=", 1)
        assert json.loads(value) == values[name] and ": " not in value
    assert "production=[]" in github_output(outputs([environments["dev"]]))


def test_the_command_prints_the_environments(capsys: pytest.CaptureFixture[str]) -> None:
    assert ci_environments.main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [env["name"] for env in printed["environments"]] == ["dev", "prod"]


def test_the_command_stops_the_workflow_on_a_problem(
    environments: dict[str, Environment], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ci_environments, "load_environments", lambda _directory: [environments["prod"]])
    assert ci_environments.main(["--github-output"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.splitlines()[-1] == "1 problem(s) found; the workflows cannot run."


def test_it_loads_no_provider_bindings() -> None:
    """Config only, no jsii or cdktf: it answers in about a second, and a broken file is one line."""
    code = (
        "import sys, stacks.ci_environments as m; m.main(['--github-output']); "
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('cdktf', 'jsii', 'constructs')); "
        "sys.exit(str(loaded) if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("environments=[")


def test_the_runner_scripts_need_only_the_standard_library_of_python_3_10() -> None:
    """deploy_plans runs on the in-VPC runner's own python3 (CodeBuild's Ubuntu image): no packages."""
    import ast

    for name in ("deploy_plans", "plan_compare", "plan_summary", "pr_comment"):
        path = ROOT / "scripts" / f"{name}.py"
        tree = ast.parse(path.read_text(), feature_version=(3, 10))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names | {"scripts", "__future__"}}
        assert not outside, f"{Path(path).name} imports {sorted(outside)}"
