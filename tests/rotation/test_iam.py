"""The Secrets Manager calls the function makes are exactly those its IAM policy grants.

Terraform builds the policy from rotation.secret's ACTIONS_* constants; recording every
call of three rotations (bootstrap included) proves the constants neither miss a call
nor allow one the function does not make.
"""

from __future__ import annotations

import itertools
from typing import Any

from rotation import handler
from rotation.secret import ACTIONS_ON_ANY_RESOURCE, ACTIONS_ON_MASTER_SECRET, ACTIONS_ON_SECRET, SecretsClient
from tests.rotation.conftest import Environment
from tests.rotation.secrets_manager import SecretsManager


class Recording:
    """A Secrets Manager client that notes each call's IAM action and SecretId."""

    def __init__(self, client: SecretsClient) -> None:
        self.client = client
        self.exceptions = client.exceptions
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(**arguments: Any) -> Any:
            action = "secretsmanager:" + "".join(word.title() for word in method.split("_"))
            self.calls.append((action, arguments.get("SecretId", "*"), arguments))
            return getattr(self.client, method)(**arguments)

        return call


def test_the_calls_of_three_rotations_are_the_granted_actions(
    secrets_manager: SecretsManager, environment: Environment
) -> None:
    recording = Recording(secrets_manager.client)
    rotation = handler.cold_start(environment(), recording)
    tokens = [secrets_manager.rotate(rotation) for _ in range(3)]
    by_resource: dict[str, set[str]] = {}
    for action, resource, _ in recording.calls:
        by_resource.setdefault(resource, set()).add(action)
    assert by_resource == {
        secrets_manager.secret_arn: set(ACTIONS_ON_SECRET),
        secrets_manager.master_arn: set(ACTIONS_ON_MASTER_SECRET),
        "*": set(ACTIONS_ON_ANY_RESOURCE),
    }
    moves = [arguments for action, _, arguments in recording.calls if action.endswith("UpdateSecretVersionStage")]
    assert moves == [
        # The first rotation: no version holds AWSCURRENT, so none is named to remove it from.
        {"SecretId": secrets_manager.secret_arn, "VersionStage": "AWSCURRENT", "MoveToVersionId": tokens[0]},
        *(
            {
                "SecretId": secrets_manager.secret_arn,
                "VersionStage": "AWSCURRENT",
                "MoveToVersionId": token,
                "RemoveFromVersionId": previous,
            }
            for previous, token in itertools.pairwise(tokens)
        ),
    ]
