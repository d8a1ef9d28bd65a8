"""Secrets Manager as the rotation function meets it: moto, plus what moto leaves out.

What Secrets Manager does around the function, reproduced here (facts, with where read):

- RotateSecret labels a new version, named by the ClientRequestToken, AWSPENDING before
  calling createSecret; that version has no value until createSecret puts one, and
  GetSecretValue on it fails with ResourceNotFoundException (moto issue #8403,
  https://github.com/getmoto/moto/issues/8403). moto's own rotate_secret would invoke a
  Lambda function, so `begin` labels the version the same way instead.
- A secret created without a value has no version; rotating it leaves AWSPENDING as the
  only label, and finishSecret moves AWSCURRENT to it without RemoveFromVersionId
  (https://github.com/getmoto/moto/issues/9451). moto 5.2 fails that call with an
  IndexError, so `allow_first_current` patches it to do what AWS does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend, secretsmanager_backends

from rotation import handler
from rotation.secret import SecretsClient
from rotation.steps import STEPS, Outcome, Rotation

REGION = "eu-west-1"


def allow_first_current(monkeypatch: pytest.MonkeyPatch) -> None:
    original = SecretsManagerBackend.update_secret_version_stage

    def update(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> tuple[str, str]:
        secret = self.secrets[secret_id]
        assert isinstance(secret, FakeSecret)
        no_current = all("AWSCURRENT" not in version["version_stages"] for version in secret.versions.values())
        if version_stage == "AWSCURRENT" and not remove_from_version_id and no_current:
            secret.versions[move_to_version_id]["version_stages"].append("AWSCURRENT")
            secret.default_version_id = move_to_version_id
            return secret.arn, secret.name
        return original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)

    monkeypatch.setattr(SecretsManagerBackend, "update_secret_version_stage", update)


@dataclass
class SecretsManager:
    """The app's secret and the master secret in moto, and rotations driven step by step."""

    client: SecretsClient
    secret_arn: str
    master_arn: str

    def begin(self) -> str:
        """What RotateSecret does before calling createSecret: a new AWSPENDING version, no value."""
        token = str(uuid.uuid4())
        secret = secretsmanager_backends[DEFAULT_ACCOUNT_ID][REGION].secrets[self.secret_arn]
        for version in secret.versions.values():
            if "AWSPENDING" in version["version_stages"]:
                version["version_stages"].remove("AWSPENDING")
        secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": ["AWSPENDING"]}
        return token

    def event(self, step: str, token: str) -> dict[str, str]:
        return {"Step": step, "SecretId": self.secret_arn, "ClientRequestToken": token}

    def step(self, rotation: Rotation, step: str, token: str) -> Outcome:
        return handler.handle(rotation, self.event(step, token))

    def rotate(self, rotation: Rotation) -> str:
        """A whole rotation, as Secrets Manager runs it; the new version's token."""
        token = self.begin()
        for step in STEPS:
            self.step(rotation, step, token)
        return token

    def stages(self) -> dict[str, list[str]]:
        described = self.client.describe_secret(SecretId=self.secret_arn)
        return {version: sorted(labels) for version, labels in described.get("VersionIdsToStages", {}).items()}

    def value(self, **version: str) -> dict[str, Any]:
        """A version's JSON value; AWSCURRENT's unless told."""
        version = version or {"VersionStage": "AWSCURRENT"}
        text = self.client.get_secret_value(SecretId=self.secret_arn, **version)["SecretString"]
        parsed: dict[str, Any] = json.loads(text)
        return parsed

    def put_current(self, value: Mapping[str, object]) -> str:
        """Plant a value as AWSCURRENT, as someone with write access to the secret could."""
        token = str(uuid.uuid4())
        self.client.put_secret_value(
            SecretId=self.secret_arn,
            ClientRequestToken=token,
            SecretString=json.dumps(value),
            VersionStages=["AWSCURRENT"],
        )
        return token
