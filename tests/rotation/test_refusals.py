"""Each guard of the function, proven by planting the defect it exists for."""

from __future__ import annotations

import json
import uuid

import pytest
from psycopg import sql

from rotation import handler
from rotation.roles import RoleError
from rotation.steps import Rotation, RotationError
from tests.rotation.conftest import MASTER, MASTER_PASSWORD, Database, Environment
from tests.rotation.secrets_manager import SecretsManager


def _role_exists(database: Database, role: str) -> bool:
    with database.admin() as admin:
        return bool(admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchall())


def _pending(secrets_manager: SecretsManager, token: str, username: str) -> None:
    """Plant an AWSPENDING value, as someone with write access to the secret could."""
    secrets_manager.client.put_secret_value(
        SecretId=secrets_manager.secret_arn,
        ClientRequestToken=token,
        SecretString=json.dumps({"username": username, "password": "planted0password0of0forty0characters000"}),
        VersionStages=["AWSPENDING"],
    )


def test_another_secret_is_refused_before_any_call(secrets_manager: SecretsManager, rotation: Rotation) -> None:
    master = secrets_manager.client.describe_secret(SecretId=secrets_manager.master_arn)["VersionIdsToStages"]
    event = {"Step": "createSecret", "SecretId": secrets_manager.master_arn, "ClientRequestToken": str(uuid.uuid4())}
    with pytest.raises(RotationError, match=r"SecretId '.*rds!db-test.*' is not the secret this function rotates"):
        handler.handle(rotation, event)
    assert secrets_manager.client.describe_secret(SecretId=secrets_manager.master_arn)["VersionIdsToStages"] == master


def test_an_unknown_step_is_refused(secrets_manager: SecretsManager, rotation: Rotation) -> None:
    with pytest.raises(RotationError, match="Step 'dropSecret' is not one of createSecret, setSecret"):
        secrets_manager.step(rotation, "dropSecret", secrets_manager.begin())


def test_a_token_that_is_not_the_rotation_in_progress_is_refused(
    secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    with pytest.raises(RotationError, match="is not a version of the secret"):
        secrets_manager.step(rotation, "createSecret", str(uuid.uuid4()))
    first = secrets_manager.rotate(rotation)
    secrets_manager.rotate(rotation)
    with pytest.raises(RotationError, match=f"version {first} is not AWSPENDING"):
        secrets_manager.step(rotation, "setSecret", first)


def test_a_current_username_that_is_neither_role_is_refused(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.put_current({"username": MASTER, "password": MASTER_PASSWORD})
    with pytest.raises(RoleError, match=f"the current username '{MASTER}' is neither '{database.base}' nor"):
        secrets_manager.step(rotation, "createSecret", secrets_manager.begin())


def test_a_current_credential_that_does_not_log_in_stops_set_secret(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    with database.admin() as admin:
        admin.execute(sql.SQL("ALTER ROLE {} PASSWORD 'changed-elsewhere'").format(sql.Identifier(database.base)))
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    with pytest.raises(RotationError, match=r"the current credential \(version .*\) does not log in"):
        secrets_manager.step(rotation, "setSecret", token)
    assert not _role_exists(database, database.clone)


def test_set_secret_before_create_secret_is_refused(secrets_manager: SecretsManager, rotation: Rotation) -> None:
    with pytest.raises(RotationError, match="has no AWSPENDING value: createSecret has not run"):
        secrets_manager.step(rotation, "setSecret", secrets_manager.begin())


def test_a_pending_value_for_another_role_is_refused(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    token = secrets_manager.begin()
    _pending(secrets_manager, token, MASTER)
    with pytest.raises(RotationError, match=f"is for '{MASTER}', not one of the app's roles"):
        secrets_manager.step(rotation, "setSecret", token)


def test_a_first_rotation_must_set_the_base_role(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    token = secrets_manager.begin()
    _pending(secrets_manager, token, database.clone)
    with pytest.raises(RotationError, match=f"the first rotation sets '{database.base}'"):
        secrets_manager.step(rotation, "setSecret", token)


def test_a_pending_role_that_does_not_alternate_is_refused(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    token = secrets_manager.begin()
    _pending(secrets_manager, token, database.base)  # the role in use: setting it would cut the app off
    with pytest.raises(RotationError, match=f"does not alternate with the current '{database.base}'"):
        secrets_manager.step(rotation, "setSecret", token)


def test_the_master_user_is_never_the_app_role(
    database: Database, secrets_manager: SecretsManager, environment: Environment
) -> None:
    rotation = handler.cold_start(environment(APP_USERNAME=MASTER), secrets_manager.client)
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    with pytest.raises(RotationError, match=f"the master user '{MASTER}' is one of the app's roles"):
        secrets_manager.step(rotation, "setSecret", token)
    assert database.logs_in(MASTER, MASTER_PASSWORD)


@pytest.mark.parametrize(
    ("grant", "refusal"),
    [
        ("ALTER ROLE {base} CREATEDB", "role '{base}' has rolcreatedb: refusing"),
        ("GRANT pg_read_all_data TO {base}", "role '{base}' is a member of 'pg_read_all_data': refusing"),
    ],
    ids=["attribute", "membership"],
)
def test_a_role_with_more_than_it_needs_is_not_handed_out(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation, grant: str, refusal: str
) -> None:
    with database.admin() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(database.base)))
        admin.execute(sql.SQL(grant).format(base=sql.Identifier(database.base)))
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    with pytest.raises(RoleError, match=refusal.format(base=database.base)):
        secrets_manager.step(rotation, "setSecret", token)


def test_without_the_member_grant_the_clone_fails_test_secret(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    secrets_manager.step(rotation, "setSecret", token)
    with database.admin() as admin:
        admin.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(MASTER)))  # its grant (PostgreSQL 16+: per grantor)
        admin.execute(
            sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(database.base), sql.Identifier(database.clone))
        )
    with pytest.raises(Exception, match="permission denied to set role"):
        secrets_manager.step(rotation, "testSecret", token)
    assert secrets_manager.value()["username"] == database.base  # AWSCURRENT did not move


def test_a_schema_the_base_role_cannot_create_in_fails_test_secret(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    with database.admin() as admin:
        admin.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(MASTER)))
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(database.base)))  # not the base role's
    token = secrets_manager.begin()
    for step in ("createSecret", "setSecret"):
        secrets_manager.step(rotation, step, token)
    with pytest.raises(RotationError, match=f"cannot use and create in schema '{database.base}'"):
        secrets_manager.step(rotation, "testSecret", token)
    assert secrets_manager.stages() == {token: ["AWSPENDING"]}
