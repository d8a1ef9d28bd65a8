"""The `observability` section: every class of mistake → exactly these lines.

Each case starts from a shipped environment file, breaks one thing, and expects the lines
a user would read (`<file>: <field>: <what is wrong>`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError, load_environment
from tests.conftest import ROOT

Mutation = Callable[[dict[str, Any]], None]
SHIPPED = {name: yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text()) for name in ("dev", "prod")}


def observability(**changes: Any) -> Mutation:
    return lambda data: data["observability"].update(changes)


CASES: list[tuple[str, str, Mutation, list[str]]] = [
    (
        "production without observability",
        "prod",
        observability(enabled=False),
        ["observability.enabled: must be true when tier is production"],
    ),
    (
        "production with nobody to tell",
        "prod",
        observability(alert_emails=[]),
        ["observability.alert_emails: needs at least one address when tier is production: alerts go nowhere"],
    ),
    (
        "not an address",
        "dev",
        observability(alert_emails=["platform-team"]),
        ["observability.alert_emails[0]: 'platform-team' is not an e-mail address (name@example.com)"],
    ),
    (
        "an address twice",
        "dev",
        observability(alert_emails=["a@acme.example.com", "a@acme.example.com"]),
        ["observability.alert_emails: a@acme.example.com is listed 2 times"],
    ),
    (
        "a log retention CloudWatch does not offer",
        "dev",
        observability(log_retention_days=45),
        [
            "observability.log_retention_days: 45 is not a CloudWatch Logs retention period (use one of 30, 90, 365, 731, …)"
        ],
    ),
    (
        "metrics kept longer than AMP allows",
        "prod",
        observability(metrics_retention_days=2000),
        ["observability.metrics_retention_days: Input should be less than or equal to 1095"],
    ),
    (
        "an SLO of 100 %",
        "dev",
        observability(slo={"availability_percent": 100}),
        ["observability.slo.availability_percent: Input should be less than 100"],
    ),
    (
        "Flux checked more often than flux-operator reports",
        "dev",
        observability(thresholds={"flux_not_ready_minutes": 5}),
        ["observability.thresholds.flux_not_ready_minutes: Input should be greater than or equal to 10"],
    ),
    (
        "a storage alarm that always fires",
        "dev",
        observability(thresholds={"database_free_storage_gib": 20}),
        [
            "observability.thresholds.database_free_storage_gib: 20 is not below database.allocated_storage_gib "
            "(20): it would always fire"
        ],
    ),
    (
        "a misspelt threshold",
        "dev",
        observability(thresholds={"crashloop_minutes": 5}),
        ["observability.thresholds.crashloop_minutes: unknown key (did you mean 'crash_loop_minutes'?)"],
    ),
]


def problems(tmp_path: Path, name: str, data: dict[str, Any]) -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_environment(path)
    return [line.removeprefix(f"{path}: ") for line in caught.value.lines]


@pytest.mark.parametrize(("env", "mutation", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_observability_is_reported_exactly(
    tmp_path: Path, env: str, mutation: Mutation, expected: list[str]
) -> None:
    data = copy.deepcopy(SHIPPED[env])
    mutation(data)
    assert problems(tmp_path, env, data) == expected


def test_off_by_default_where_the_tier_allows_it(tmp_path: Path) -> None:
    data = copy.deepcopy(SHIPPED["dev"])
    data.pop("observability")
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_environment(path).observability.enabled is False
