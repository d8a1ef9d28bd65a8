"""The secret's values and the Secrets Manager calls around them.

The value we write is the JSON AWS's own rotation functions use for PostgreSQL, with
host, port and database name taken from the function's environment. A secret value
is never logged and never part of an error message: errors name the version instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rotation.settings import Settings

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
# 40 letters and digits: about 238 bits, and nothing that needs quoting in a libpq
# connection string, a URL or a shell (the app's side reads this value too).
PASSWORD = {"PasswordLength": 40, "ExcludePunctuation": True, "RequireEachIncludedType": True}
# What the function's IAM policy must allow, by resource (tests/rotation/test_iam.py
# proves the calls below are exactly these). GetRandomPassword takes no resource.
ACTIONS_ON_SECRET = (
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
)
ACTIONS_ON_MASTER_SECRET = ("secretsmanager:GetSecretValue",)
ACTIONS_ON_ANY_RESOURCE = ("secretsmanager:GetRandomPassword",)


class SecretError(RuntimeError):
    """A secret's value or versions are not what a rotation expects; the message says which."""


class Errors(Protocol):
    ResourceNotFoundException: type[Exception]


class SecretsClient(Protocol):
    """The calls the function makes (a boto3 Secrets Manager client); the IAM policy allows exactly these."""

    exceptions: Errors

    def describe_secret(self, *, SecretId: str) -> Mapping[str, Any]: ...
    def get_secret_value(self, **kwargs: str) -> Mapping[str, Any]: ...
    def get_random_password(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def put_secret_value(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def update_secret_version_stage(self, **kwargs: str) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Credential:
    username: str
    password: str = field(repr=False)

    def secret_string(self, settings: Settings) -> str:
        return json.dumps(
            {
                "engine": "postgres",
                "host": settings.host,
                "port": settings.port,
                "dbname": settings.database,
                "username": self.username,
                "password": self.password,
            }
        )

    @classmethod
    def parse(cls, text: str, *, what: str) -> Credential:
        """`username` and `password` of a secret value; the rest is ours to ignore."""
        try:
            value = json.loads(text)
        except ValueError:
            raise SecretError(f"{what} is not JSON") from None
        if not isinstance(value, dict):
            raise SecretError(f"{what} is not a JSON object")
        username, password = value.get("username"), value.get("password")
        if not (isinstance(username, str) and username and isinstance(password, str) and password):
            raise SecretError(f"{what} lacks a username or a password")
        return cls(username, password)


@dataclass(frozen=True)
class Secrets:
    client: SecretsClient
    settings: Settings

    def stages(self) -> dict[str, list[str]]:
        """Version id → staging labels of the rotated secret (empty before the first rotation)."""
        described = self.client.describe_secret(SecretId=self.settings.secret_arn)
        return {str(version): list(labels) for version, labels in described.get("VersionIdsToStages", {}).items()}

    def current(self, stages: Mapping[str, list[str]], *, besides: str) -> tuple[str, Credential] | None:
        """The AWSCURRENT version other than `besides` (this rotation's), and its credential;
        None before the first rotation."""
        version = next((version for version, labels in stages.items() if CURRENT in labels), None)
        if version is None or version == besides:
            return None
        return version, self._read(self.settings.secret_arn, what=f"version {version} (AWSCURRENT)", VersionId=version)

    def pending(self, token: str) -> Credential | None:
        """The AWSPENDING value of this rotation; None until createSecret has put it."""
        try:
            return self._read(
                self.settings.secret_arn, what=f"version {token} (AWSPENDING)", VersionId=token, VersionStage=PENDING
            )
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def master(self) -> Credential:
        return self._read(self.settings.master_secret_arn, what="the master secret (MASTER_SECRET_ARN)")

    def new_password(self) -> str:
        return str(self.client.get_random_password(**PASSWORD)["RandomPassword"])

    def put_pending(self, token: str, credential: Credential) -> None:
        self.client.put_secret_value(
            SecretId=self.settings.secret_arn,
            ClientRequestToken=token,
            SecretString=credential.secret_string(self.settings),
            VersionStages=[PENDING],
        )

    def make_current(self, token: str, previous: str | None) -> None:
        """Move AWSCURRENT to `token`; before the first rotation no version holds it to remove from."""
        arguments = {"SecretId": self.settings.secret_arn, "VersionStage": CURRENT, "MoveToVersionId": token}
        if previous is not None:
            arguments["RemoveFromVersionId"] = previous
        self.client.update_secret_version_stage(**arguments)

    def _read(self, arn: str, *, what: str, **version: str) -> Credential:
        value = self.client.get_secret_value(SecretId=arn, **version)
        text = value.get("SecretString")
        if not isinstance(text, str):
            raise SecretError(f"{what} has no SecretString")
        return Credential.parse(text, what=what)
