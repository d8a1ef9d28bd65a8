"""The app acts as its own least-privilege role: whichever alternating login the files name,
its table lives in the role's schema and belongs to the role, and it can create nothing
anywhere else. The role is bootstrapped as the credential's first rotation does in AWS
(tests/app/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from guestbook.settings import Settings
from psycopg import errors, sql

from tests.app.conftest import RunningApp, launch, serving
from tests.app.local_database import APP_ROLE, CLONE_ROLE, FIRST_PASSWORD, Credentials, set_password
from tests.app.postgres_server import PostgresServer
from tests.conftest import ROOT


def as_the_app(database: Credentials) -> psycopg.Connection:
    """A session opened exactly as the app opens one: its settings, its credential files."""
    settings = Settings.from_environment(
        {
            "DATABASE_CREDENTIALS_DIR": str(database.directory),
            "DATABASE_ROLE": APP_ROLE,
            "DATABASE_SSLMODE": "disable",
        }
    )
    return psycopg.connect(**settings.connection_kwargs(), autocommit=True)


def wait_for_log(app: RunningApp, text: str, timeout: float = 15) -> None:
    """Until a line of the app's log says `text` (in its message or its reason)."""
    deadline = time.monotonic() + timeout
    while not any(text in f"{r['message']} {r.get('reason', '')}" for r in app.log_records()):
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{app.log.read_text()[-2000:]}"
        time.sleep(0.1)


def readiness(app: RunningApp, timeout: float = 15) -> int:
    """The status of /readyz, once the server listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"{app.url}/readyz", timeout=5).status_code
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"not listening:\n{app.log.read_text()[-2000:]}"
            time.sleep(0.1)


def test_the_app_logs_in_as_a_role_with_no_privilege_beyond_its_schema(
    app: RunningApp, postgres: PostgresServer, database: Credentials
) -> None:
    dbname = database.read("dbname")
    with postgres.admin(dbname) as conn:
        sessions = conn.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s AND application_name = 'guestbook'",
            (dbname,),
        ).fetchall()
        role = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,"
            " (SELECT count(*) FROM pg_auth_members WHERE member = r.oid)"
            " FROM pg_roles r WHERE rolname = %s",
            (APP_ROLE,),
        ).fetchone()
        privileges = conn.execute(
            "SELECT has_database_privilege(%(role)s, %(db)s, 'CONNECT'), has_database_privilege(%(role)s, %(db)s, 'CREATE'),"
            " (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %(role)s)",
            {"role": APP_ROLE, "db": dbname},
        ).fetchone()
    assert sessions == [(APP_ROLE,)]
    assert role == (False, False, False, False, False, 0), (
        "superuser, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS, member of"
    )
    assert privileges == (True, False, APP_ROLE), "CONNECT, CREATE on the database, owner of the role's schema"


def test_logged_in_as_the_clone_the_app_keeps_its_table_in_the_roles_schema_and_owned_by_it(
    postgres: PostgresServer, database: Credentials, tmp_path: Path
) -> None:
    set_password(postgres, database.read("dbname"), CLONE_ROLE, "clone-password")
    database.write(username=CLONE_ROLE, password="clone-password")
    with serving(database, tmp_path / "app.log") as app, app.client() as client:
        assert client.post("/entries", json={"author": "clone", "message": "hello"}).status_code == 201
        with postgres.admin(database.read("dbname")) as conn:
            tables = conn.execute(
                "SELECT schemaname, tablename, tableowner FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            sessions = conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'guestbook'"
            ).fetchall()
    assert sessions == [(CLONE_ROLE,)]
    assert tables == [(APP_ROLE, "entries", APP_ROLE)]


def test_the_app_can_create_nothing_outside_its_schema(app: RunningApp, database: Credentials) -> None:
    with as_the_app(database) as conn:
        assert conn.execute("SELECT current_user, current_schema()").fetchone() == (APP_ROLE, APP_ROLE)
        for statement in ("CREATE TABLE public.planted (id int)", "CREATE SCHEMA planted", "CREATE DATABASE planted"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)


def test_without_its_schema_the_app_is_not_ready_and_says_why_until_the_schema_exists(
    postgres: PostgresServer, database: Credentials, tmp_path: Path
) -> None:
    """It does not fall back to creating its table in "public" (where it may not anyway), and
    it needs no restart once the schema is back."""
    dbname = database.read("dbname")
    with postgres.admin(dbname) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(APP_ROLE)))
    app = launch(database, tmp_path / "app.log")
    try:
        wait_for_log(app, "no schema 'guestbook' for role 'guestbook'")
        assert readiness(app) == 503
        set_password(postgres, dbname, APP_ROLE, FIRST_PASSWORD)  # the next rotation creates it again
        app.wait_ready()
    finally:
        app.process.terminate()
        app.process.wait(timeout=30)


def test_a_login_that_may_not_act_as_the_role_keeps_the_app_unready_with_the_servers_reason(
    postgres: PostgresServer, database: Credentials, tmp_path: Path
) -> None:
    with postgres.admin() as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'guestbook_outsider') THEN"
            " CREATE ROLE guestbook_outsider LOGIN PASSWORD 'outsider-password'; END IF; END $$"
        )
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO guestbook_outsider").format(
                sql.Identifier(database.read("dbname"))
            )
        )
    database.write(username="guestbook_outsider", password="outsider-password")
    app = launch(database, tmp_path / "app.log")
    try:
        wait_for_log(app, 'permission denied to set role "guestbook"')
        assert readiness(app) == 503
    finally:
        app.process.terminate()
        app.process.wait(timeout=30)


def test_an_invalid_database_role_stops_the_app_with_its_name() -> None:
    """Checked before anything else (the cases: tests/app/test_settings.py)."""
    result = subprocess.run(
        [sys.executable, "-m", "guestbook"],
        env={
            "PYTHONPATH": str(ROOT / "dockerbuild"),
            "DATABASE_ROLE": "guestbook -c search_path=public",
            "DATABASE_SSLMODE": "disable",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    [record] = [json.loads(line) for line in result.stderr.splitlines()]
    assert record["message"] == "cannot start"
    assert record["reason"].startswith("DATABASE_ROLE must be a PostgreSQL role name")
    assert record["reason"].endswith("got 'guestbook -c search_path=public'")
