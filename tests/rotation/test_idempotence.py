"""Secrets Manager retries steps: each one, run again, changes nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from rotation import roles
from rotation.steps import STEPS, Rotation
from tests.rotation.conftest import Database
from tests.rotation.secrets_manager import SecretsManager

AGAIN = {
    "createSecret": "already created",
    "setSecret": "already set",
    "testSecret": "tested",
    "finishSecret": "already current",
}


@pytest.mark.parametrize("rotations_before", [0, 1, 2], ids=["bootstrap", "to the clone", "back to the base"])
def test_every_step_run_twice_is_harmless(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation, rotations_before: int
) -> None:
    for _ in range(rotations_before):
        secrets_manager.rotate(rotation)
    token = secrets_manager.begin()
    for step in STEPS:
        secrets_manager.step(rotation, step, token)
        pending = secrets_manager.value(VersionId=token)
        stages = secrets_manager.stages()
        assert secrets_manager.step(rotation, step, token).action == AGAIN[step]
        assert secrets_manager.value(VersionId=token) == pending
        assert secrets_manager.stages() == stages
        assert database.logs_in(pending["username"], pending["password"]) == (step != "createSecret")


def test_every_step_after_the_rotation_finished_changes_nothing(
    secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    token = secrets_manager.rotate(rotation)
    value, stages = secrets_manager.value(), secrets_manager.stages()
    assert [secrets_manager.step(rotation, step, token).action for step in STEPS] == list(AGAIN.values())
    assert (secrets_manager.value(), secrets_manager.stages()) == (value, stages)


def test_a_first_version_labelled_current_when_put_is_still_set_up(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    """PutSecretValue attaches AWSCURRENT to a secret's first version by itself (API reference);
    should that happen to the first pending value, the other steps must still do their work."""
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    secrets_manager.client.update_secret_version_stage(
        SecretId=secrets_manager.secret_arn, VersionStage="AWSCURRENT", MoveToVersionId=token
    )
    outcomes = [secrets_manager.step(rotation, step, token).action for step in list(STEPS)[1:]]
    assert outcomes == ["set", "tested", "already current"]
    value = secrets_manager.value()
    assert database.logs_in(value["username"], value["password"])


def test_a_rotation_superseded_by_a_later_one_does_nothing(secrets_manager: SecretsManager, rotation: Rotation) -> None:
    token = secrets_manager.rotate(rotation)
    secrets_manager.begin()  # the next rotation takes AWSPENDING away from `token`
    stages = secrets_manager.stages()
    assert [secrets_manager.step(rotation, step, token).action for step in STEPS] == ["already current"] * 4
    assert secrets_manager.stages() == stages


def test_set_secret_runs_in_one_transaction_so_a_failure_leaves_nothing_half_done(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    complete = roles.statements

    def failing_last(**arguments: Any) -> list[str]:
        return [*complete(**arguments), "SELECT 1/0"]

    monkeypatch.setattr(roles, "statements", failing_last)
    with pytest.raises(Exception, match="division by zero"):
        secrets_manager.step(rotation, "setSecret", token)
    with database.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (database.base,)).fetchall() == []
        assert admin.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (database.base,)).fetchall() == []

    monkeypatch.setattr(roles, "statements", complete)
    for step in list(STEPS)[1:]:
        secrets_manager.step(rotation, step, token)
    pending = secrets_manager.value()
    assert database.logs_in(pending["username"], pending["password"])
