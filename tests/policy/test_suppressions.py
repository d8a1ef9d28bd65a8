"""policy/suppressions.yaml is keyed by what it accepts: a stack part, and with `when:` a
choice the environment made in its file, never the environment's name."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import Environment
from tests.policy.scanners import Finding, parse_condition, suppressions

FRAMEWORKS = ("terraform_json", "kubernetes", "dockerfile")
SINGLE_AZ = Finding("CKV_AWS_157", "{env}-data/resource.postgres_instance_919E2690", "", "{env}")
FLOW_LOGS = Finding("CKV_AWS_338", "{env}-network/resource.flow-logs_log-group_BD9661F8", "", "{env}")


def of(finding: Finding, env: str) -> Finding:
    return Finding(finding.check, finding.where.format(env=env), finding.title, env)


def covered(finding: Finding, environments: dict[str, Environment]) -> bool:
    return any(entry.covers(finding, environments) for entry in suppressions("terraform_json"))


def test_no_entry_names_an_environment() -> None:
    patterns = [p for framework in FRAMEWORKS for entry in suppressions(framework) for p in entry.where]
    assert [p for p in patterns if not p.startswith("*")] == []


@pytest.mark.parametrize("finding", [SINGLE_AZ, FLOW_LOGS], ids=["single-AZ database", "flow logs kept 30 days"])
def test_a_choice_is_accepted_where_the_environment_made_it_and_only_there(
    environments: dict[str, Environment], finding: Finding
) -> None:
    assert covered(of(finding, "dev"), environments)
    assert not covered(of(finding, "prod"), environments)


def test_a_new_environment_with_the_same_choice_needs_no_entry(environments: dict[str, Environment]) -> None:
    staging = environments["dev"].model_copy(update={"name": "staging"})
    assert covered(of(SINGLE_AZ, "staging"), {"staging": staging})
    multi_az = staging.model_copy(update={"database": staging.database.model_copy(update={"multi_az": True})})
    assert not covered(of(SINGLE_AZ, "staging"), {"staging": multi_az})


@pytest.mark.parametrize(
    "raw",
    [
        {"field": "database.multi_azz", "is": False},
        {"field": "database.multi_az"},
        {"field": "tier", "below": 1, "is": 2},
    ],
    ids=["unknown field", "no condition", "two conditions"],
)
def test_a_condition_that_could_never_hold_fails_loudly(raw: dict[str, Any]) -> None:
    with pytest.raises(pytest.fail.Exception):
        parse_condition(raw)
