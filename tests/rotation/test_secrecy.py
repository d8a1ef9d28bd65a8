"""Passwords never reach the server's log, pg_stat_statements or the function's own log.

The server logs DDL statements (log_statement=ddl, as the RDS parameter group sets it),
so a password sent in clear in CREATE/ALTER ROLE would be in CloudWatch Logs.
"""

from __future__ import annotations

import json
import logging

import pytest
from psycopg import sql

from rotation.steps import STEPS, Rotation
from tests.rotation.conftest import Database
from tests.rotation.secrets_manager import SecretsManager


def _every_password(secrets_manager: SecretsManager) -> list[str]:
    return [secrets_manager.value(VersionId=version)["password"] for version in secrets_manager.stages()]


def _places_holding(database: Database, text: str) -> list[str]:
    """Where the server keeps statement text and `text` occurs."""
    places = []
    if text in database.server.log.read_text():
        places.append("server log")
    with database.server.admin() as admin:
        statements = admin.execute("SELECT query FROM pg_stat_statements").fetchall()
    if any(text in query for (query,) in statements):
        places.append("pg_stat_statements")
    return places


def test_three_rotations_leave_no_password_where_statements_are_kept(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation
) -> None:
    for _ in range(3):
        secrets_manager.rotate(rotation)
    log = database.server.log.read_text()
    assert f'CREATE ROLE "{database.clone}"' in log  # DDL is logged: the check looks where a leak would be
    assert f'ALTER ROLE "{database.base}" WITH LOGIN PASSWORD' in log
    passwords = _every_password(secrets_manager)
    assert len(passwords) == 3
    assert {password: _places_holding(database, password) for password in passwords} == {
        password: [] for password in passwords
    }


def test_a_password_sent_in_clear_would_be_found(database: Database) -> None:
    """The planted defect: what the function must never do, and the check above would catch."""
    with database.admin() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} PASSWORD 'clear0text0password'").format(sql.Identifier(database.base)))
    assert _places_holding(database, "clear0text0password") == ["server log", "pg_stat_statements"]


def test_the_function_logs_one_line_per_step_without_secrets(
    secrets_manager: SecretsManager, rotation: Rotation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rotation")
    secrets_manager.rotate(rotation)
    token = secrets_manager.rotate(rotation)
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "rotation"]
    assert [(line["step"], line["outcome"]) for line in lines[4:]] == [
        ("createSecret", "created"),
        ("setSecret", "set"),
        ("testSecret", "tested"),
        ("finishSecret", "finished"),
    ]
    assert {line["token"] for line in lines[4:]} == {token}
    assert len(lines) == 2 * len(STEPS)
    assert all(password not in caplog.text for password in _every_password(secrets_manager))


def test_a_failed_step_logs_one_line_naming_the_error(
    database: Database, secrets_manager: SecretsManager, rotation: Rotation, caplog: pytest.LogCaptureFixture
) -> None:
    token = secrets_manager.begin()
    with pytest.raises(RuntimeError):
        secrets_manager.step(rotation, "setSecret", token)
    (record,) = [record for record in caplog.records if record.name == "rotation"]
    line = json.loads(record.getMessage())
    assert (record.levelname, line["outcome"]) == ("ERROR", "failed")
    assert line["error"].startswith("RotationError: version ")
