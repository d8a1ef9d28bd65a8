"""Rotations one after another, as the schedule runs them: bootstrap, clone, and back to base."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from rotation.steps import Rotation
from tests.rotation.conftest import MASTER, Database
from tests.rotation.secrets_manager import SecretsManager


def test_the_first_rotation_of_an_empty_secret_creates_the_base_role(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    assert secrets_manager.stages() == {}
    token = secrets_manager.rotate(rotation)
    value = secrets_manager.value()
    assert secrets_manager.stages() == {token: ["AWSCURRENT", "AWSPENDING"]}
    assert {key: value[key] for key in ("engine", "host", "port", "dbname", "username")} == {
        "engine": "postgres",
        "host": "localhost",
        "port": database.server.port,
        "dbname": database.name,
        "username": database.base,
    }
    assert len(value["password"]) == 40 and value["password"].isalnum()
    assert database.logs_in(database.base, value["password"])


def test_the_base_role_can_create_in_its_schema_and_nowhere_else(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    with database.admin() as admin:
        admin.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(MASTER)))
        admin.execute("CREATE SCHEMA other")
        admin.execute("CREATE TABLE other.secrets (value text)")
    with database.connect(database.base, secrets_manager.value()["password"]) as connection:
        connection.execute("CREATE TABLE entries (id int)")  # search_path "$user" is the base schema
        assert connection.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'entries'").fetchone() == (
            database.base,
        )
        for statement in ("CREATE TABLE public.entries (id int)", "SELECT * FROM other.secrets", "CREATE SCHEMA mine"):
            with pytest.raises(errors.InsufficientPrivilege):
                connection.execute(statement)
        attributes = connection.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False, False, False)


def test_the_second_rotation_creates_the_clone_as_a_member_of_the_base_role(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    first = secrets_manager.rotate(rotation)
    second = secrets_manager.rotate(rotation)
    value = secrets_manager.value()
    assert value["username"] == database.clone
    assert secrets_manager.stages()[first] == ["AWSPREVIOUS"]
    assert "AWSCURRENT" in secrets_manager.stages()[second]
    with database.admin() as admin:
        members = admin.execute(
            "SELECT member::regrole::text FROM pg_auth_members WHERE roleid = %s::regrole", (database.base,)
        ).fetchall()
    assert (database.clone,) in members
    with database.connect(database.clone, value["password"], as_base=True) as connection:
        connection.execute("CREATE TABLE entries (id int)")
        owner = connection.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = 'entries'", (database.base,)
        ).fetchone()
    assert owner == (database.base,)


def test_the_third_rotation_changes_the_base_password_and_the_credential_in_use_still_works(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    first = secrets_manager.value()
    secrets_manager.rotate(rotation)
    in_use = secrets_manager.value()  # what the app holds while the next rotation runs
    secrets_manager.rotate(rotation)
    third = secrets_manager.value()
    assert (third["username"], in_use["username"]) == (database.base, database.clone)
    assert third["password"] != first["password"]
    assert database.logs_in(database.clone, in_use["password"])
    assert database.logs_in(database.base, third["password"])
    assert not database.logs_in(database.base, first["password"])
    assert secrets_manager.value(VersionStage="AWSPREVIOUS") == in_use


def test_objects_stay_usable_whichever_role_logs_in(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    secrets_manager.rotate(rotation)
    secrets_manager.rotate(rotation)
    clone = secrets_manager.value()
    with database.connect(clone["username"], clone["password"], as_base=True) as connection:
        connection.execute("CREATE TABLE entries (id int)")
        connection.execute("INSERT INTO entries VALUES (1)")
    secrets_manager.rotate(rotation)
    base = secrets_manager.value()
    with database.connect(base["username"], base["password"], as_base=True) as connection:
        connection.execute("ALTER TABLE entries ADD COLUMN note text")
        assert connection.execute("SELECT id FROM entries").fetchall() == [(1,)]


def test_an_open_session_survives_rotations(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    """RDS and PostgreSQL leave open sessions alone; so does the rotation, even of their own role."""
    secrets_manager.rotate(rotation)
    value = secrets_manager.value()
    with database.connect(value["username"], value["password"], as_base=True) as session:
        session.execute("CREATE TABLE entries (id int)")
        secrets_manager.rotate(rotation)
        secrets_manager.rotate(rotation)  # sets a new password for this very role
        session.execute("INSERT INTO entries VALUES (1)")
        assert session.execute("SELECT count(*) FROM entries").fetchone() == (1,)
    assert not database.logs_in(value["username"], value["password"])


def test_a_stored_password_is_the_verifier_the_function_computed(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    """Had PostgreSQL not recognised the verifier, it would hash it as a password: no login."""
    secrets_manager.rotate(rotation)
    with database.admin() as admin:
        stored = admin.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (database.base,)).fetchone()
    assert stored is not None and stored[0].startswith("SCRAM-SHA-256$4096:")
    assert stored[0] in database.server.log.read_text()  # sent as it is stored
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        database.connect(database.base, stored[0])
